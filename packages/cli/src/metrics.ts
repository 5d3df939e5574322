/**
 * Server metrics in the Prometheus text exposition format (version 0.0.4), written by hand so the
 * CLI needs no metrics library.
 */

/** Upper bounds of the latency histogram, in seconds. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** The `Content-Type` of {@link ServerMetrics.render}'s output. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

// Label values escape backslash, double quote and line feed, as the format requires.
const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

const labels = (pairs: Record<string, string>) =>
  `{${Object.entries(pairs)
    .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
    .join(',')}}`;

// Prometheus reads Go float syntax; JavaScript's shortest round-trip form is a subset of it.
const formatValue = (value: number) =>
  Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';

/**
 * Request counts by model and status, errors by model and status, a latency histogram of
 * predictions by model, and the number of requests in flight.
 *
 * The `model` label is only ever a served model's name or `""`, never a name taken from a URL, so
 * that a client cannot grow the label set without bound.
 */
export class ServerMetrics {
  private readonly requests = new Map<string, number>();
  private readonly errors = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private inFlight = 0;

  /** A request has arrived. */
  started(): void {
    this.inFlight++;
  }

  /**
   * A request has been answered. `model` is `""` for routes that are not about a served model;
   * latency is recorded for predictions only, given by `prediction`.
   */
  finished(model: string, status: number, seconds: number, prediction: boolean): void {
    this.inFlight--;
    const key = `${model}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    if (status >= 400) this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    if (!prediction) return;
    let histogram = this.latency.get(model);
    if (histogram === undefined) {
      histogram = { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(model, histogram);
    }
    LATENCY_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) histogram.counts[index]!++;
    });
    histogram.sum += seconds;
    histogram.count++;
  }

  /** The exposition text, every family with its `# HELP` and `# TYPE` lines. */
  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, values: Map<string, number>) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [key, value] of [...values].sort(([a], [b]) => a.localeCompare(b))) {
        const [model = '', status = ''] = key.split('\u0000');
        lines.push(`${name}${labels({ model, status })} ${formatValue(value)}`);
      }
    };
    counter(
      'liftwing_http_requests_total',
      'HTTP requests answered, by served model ("" for other routes) and status code.',
      this.requests,
    );
    counter(
      'liftwing_http_request_errors_total',
      'HTTP requests answered with a status of 400 or more, by served model and status code.',
      this.errors,
    );

    const name = 'liftwing_prediction_duration_seconds';
    lines.push(
      `# HELP ${name} Time from request to response of predictions, by model.`,
      `# TYPE ${name} histogram`,
    );
    for (const [model, histogram] of [...this.latency].sort(([a], [b]) => a.localeCompare(b))) {
      LATENCY_BUCKETS.forEach((bound, index) => {
        lines.push(
          `${name}_bucket${labels({ model, le: formatValue(bound) })} ${histogram.counts[index]}`,
        );
      });
      lines.push(
        `${name}_bucket${labels({ model, le: '+Inf' })} ${histogram.count}`,
        `${name}_sum${labels({ model })} ${formatValue(histogram.sum)}`,
        `${name}_count${labels({ model })} ${histogram.count}`,
      );
    }

    lines.push(
      '# HELP liftwing_http_requests_in_flight HTTP requests being answered.',
      '# TYPE liftwing_http_requests_in_flight gauge',
      `liftwing_http_requests_in_flight ${this.inFlight}`,
    );
    return lines.join('\n') + '\n';
  }
}
