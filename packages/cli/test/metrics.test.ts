import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, ServerMetrics } from '../src/metrics.js';

describe('ServerMetrics', () => {
  it('renders counters, errors and a cumulative histogram in the text exposition format', () => {
    const metrics = new ServerMetrics();
    for (const [status, seconds] of [
      [200, 0.004],
      [200, 0.2],
      [422, 0.03],
    ] as const) {
      metrics.started();
      metrics.finished('outlink-topic-model', status, seconds, true);
    }
    metrics.started();
    metrics.finished('', 404, 0.001, false);
    metrics.started();
    const text = metrics.render();

    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    // Every sample line is `name{labels} value`, and every family is declared before its samples.
    const declared = new Set<string>();
    for (const line of lines) {
      const type = /^# TYPE (\w+) (counter|gauge|histogram)$/.exec(line);
      if (type) declared.add(type[1]!);
      if (line.startsWith('#')) continue;
      const sample = /^(\w+?)(_bucket|_sum|_count)?(\{[^}]*\})? (\S+)$/.exec(line);
      expect(sample, line).not.toBeNull();
      expect(
        declared.has(sample![1]!) || declared.has(sample![1]! + (sample![2] ?? '')),
        line,
      ).toBe(true);
      expect(Number.isNaN(Number(sample![4]!.replace('+Inf', 'Infinity')))).toBe(false);
    }

    expect(lines).toContain(
      'liftwing_http_requests_total{model="outlink-topic-model",status="200"} 2',
    );
    expect(lines).toContain(
      'liftwing_http_requests_total{model="outlink-topic-model",status="422"} 1',
    );
    expect(lines).toContain('liftwing_http_requests_total{model="",status="404"} 1');
    expect(lines).toContain(
      'liftwing_http_request_errors_total{model="outlink-topic-model",status="422"} 1',
    );
    expect(
      lines.some((line) =>
        line.startsWith(
          'liftwing_http_request_errors_total{model="outlink-topic-model",status="200"}',
        ),
      ),
    ).toBe(false);

    const bucket = (le: string) =>
      Number(
        lines
          .find((line) =>
            line.startsWith(
              `liftwing_prediction_duration_seconds_bucket{model="outlink-topic-model",le="${le}"}`,
            ),
          )!
          .split(' ')[1],
      );
    expect([
      bucket('0.005'),
      bucket('0.025'),
      bucket('0.05'),
      bucket('0.25'),
      bucket('+Inf'),
    ]).toEqual([1, 1, 2, 3, 3]);
    expect(lines.filter((line) => line.includes('_bucket{')).length).toBe(
      LATENCY_BUCKETS.length + 1,
    );
    expect(lines).toContain(
      'liftwing_prediction_duration_seconds_count{model="outlink-topic-model"} 3',
    );
    const sum = lines.find((line) => line.startsWith('liftwing_prediction_duration_seconds_sum'))!;
    expect(Number(sum.split(' ')[1])).toBeCloseTo(0.234, 10);
    expect(lines).toContain('liftwing_http_requests_in_flight 1');
  });

  it('escapes label values', () => {
    const metrics = new ServerMetrics();
    metrics.started();
    metrics.finished('a"b\\c\nd', 200, 0.1, false);
    expect(metrics.render()).toContain('{model="a\\"b\\\\c\\nd",status="200"} 1');
  });
});
