/**
 * The HTML report of `liftwing evaluate --report`: one self-contained file (inline CSS and SVG,
 * no scripts, nothing fetched), so that it can be mailed, attached to a task or opened offline.
 *
 * @packageDocumentation
 */
import type { EvaluationReport, PrCurve, RocCurve } from '@liftwing/core';

/** Text made safe for HTML. */
const html = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A number for a table: 4 decimals, or a dash for a metric that is undefined. */
const num = (value: number | null | undefined, digits = 4) =>
  value === null || value === undefined ? '–' : value.toFixed(digits);

/** Curves of many thousand points are thinned to this many, enough for a 320-pixel plot. */
const MAX_POINTS = 800;

function thin<T>(points: readonly T[]): readonly T[] {
  if (points.length <= MAX_POINTS) return points;
  const step = (points.length - 1) / (MAX_POINTS - 1);
  return Array.from({ length: MAX_POINTS }, (_, i) => points[Math.round(i * step)]!);
}

/** An SVG plot of a curve in the unit square, with its axes and a title. */
function plot(
  title: string,
  xLabel: string,
  yLabel: string,
  points: readonly (readonly [number, number])[],
  diagonal: boolean,
): string {
  const size = 320;
  const pad = 40;
  const x = (v: number) => (pad + v * (size - 2 * pad)).toFixed(1);
  const y = (v: number) => (size - pad - v * (size - 2 * pad)).toFixed(1);
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<text x="${x(t)}" y="${size - pad + 14}" text-anchor="middle">${t}</text>` +
        `<text x="${pad - 6}" y="${y(t)}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    )
    .join('');
  const line = thin(points)
    .map(([px, py]) => `${x(px)},${y(py)}`)
    .join(' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" width="${size}" height="${size}" role="img" aria-label="${html(title)}">` +
    `<title>${html(title)}</title>` +
    `<rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#999"/>` +
    (diagonal
      ? `<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#ccc" stroke-dasharray="4"/>`
      : '') +
    `<polyline fill="none" stroke="#36c" stroke-width="2" points="${line}"/>` +
    `<g font-size="10" fill="#333">${ticks}</g>` +
    `<text x="${size / 2}" y="${size - 8}" text-anchor="middle" font-size="12">${html(xLabel)}</text>` +
    `<text x="12" y="${size / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 12 ${size / 2})">${html(yLabel)}</text>` +
    `<text x="${size / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold">${html(title)}</text>` +
    '</svg>'
  );
}

/** ROC and PR curves as SVG; a curve that is undefined (one class only) is said instead. */
function curves(roc: RocCurve, pr: PrCurve, auc: number | null, ap: number | null): string {
  const rocPoints = roc.fpr.flatMap((fpr, i) => {
    const tpr = roc.tpr[i];
    return fpr === null || tpr === null || tpr === undefined ? [] : [[fpr, tpr] as const];
  });
  const prPoints = pr.recall.flatMap((recall, i) =>
    recall === null ? [] : [[recall, pr.precision[i]!] as const],
  );
  const figure = (svg: string, ok: boolean, why: string) =>
    `<figure>${ok ? svg : `<p class="note">${html(why)}</p>`}</figure>`;
  return (
    '<div class="plots">' +
    figure(
      plot(
        `ROC curve (AUC ${num(auc)})`,
        'false positive rate',
        'true positive rate',
        rocPoints,
        true,
      ),
      auc !== null,
      'No ROC curve: the labels hold one class only.',
    ) +
    figure(
      plot(`Precision-recall (AP ${num(ap)})`, 'recall', 'precision', prPoints, false),
      ap !== null,
      'No precision-recall curve: no item is positive.',
    ) +
    '</div>'
  );
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = (row: readonly string[], tag: string) =>
    `<tr>${row.map((cell) => `<${tag}>${cell}</${tag}>`).join('')}</tr>`;
  return `<table><thead>${cells(head, 'th')}</thead><tbody>${rows.map((r) => cells(r, 'td')).join('')}</tbody></table>`;
}

function failures(report: EvaluationReport): string {
  if (report.failed.count === 0) return '';
  return (
    `<h2>Failed requests (${report.failed.count})</h2>` +
    table(
      ['item', 'code', 'message'],
      report.failed.first.map((f) => [String(f.index + 1), html(f.code), html(f.message)]),
    )
  );
}

function binary(report: EvaluationReport): string {
  const b = report.binary!;
  return (
    table(
      ['items', 'positives', 'ROC AUC', 'PR AUC (average precision)', 'Brier score', 'ECE'],
      [
        [
          String(b.count),
          String(b.positives),
          num(b.rocAuc),
          num(b.prAuc),
          num(b.calibration.brierScore),
          num(b.calibration.expectedCalibrationError),
        ],
      ],
    ) +
    curves(b.roc, b.pr, b.rocAuc, b.prAuc) +
    '<h2>At thresholds (flagged: score ≥ threshold)</h2>' +
    table(
      ['threshold', 'flagged', 'precision', 'recall', 'F1', 'TP', 'FP', 'FN', 'TN'],
      b.thresholds.map((row) => [
        String(row.threshold),
        `${(100 * row.flaggedShare).toFixed(1)}%`,
        num(row.precision),
        num(row.recall),
        num(row.f1),
        String(row.truePositives),
        String(row.falsePositives),
        String(row.falseNegatives),
        String(row.trueNegatives),
      ]),
    ) +
    '<h2>Calibration</h2>' +
    table(
      ['scores in', 'items', 'mean score', 'share positive'],
      b.calibration.bins.map((bin, i) => [
        `${i === 0 ? '[' : '('}${bin.lower.toFixed(2)}, ${bin.upper.toFixed(2)}]`,
        String(bin.count),
        num(bin.meanScore),
        num(bin.positiveShare),
      ]),
    )
  );
}

function multilabel(report: EvaluationReport): string {
  const m = report.multilabel!;
  const rates = (
    name: string,
    r: { precision: number | null; recall: number | null; f1: number | null },
  ) => [name, num(r.precision), num(r.recall), num(r.f1)];
  const curvesOf = report.multilabelCurves;
  return (
    `<p>A label is given when its score is at least ${m.threshold}. Macro averages are over the ` +
    `${m.macroLabels} labels that some item has or is given.</p>` +
    table(
      ['average', 'precision', 'recall', 'F1'],
      [rates('micro', m.micro), rates('macro', m.macro)],
    ) +
    (curvesOf === undefined
      ? ''
      : '<h2>Micro-averaged curves (every item and label)</h2>' +
        curves(curvesOf.roc, curvesOf.pr, curvesOf.rocAuc, curvesOf.averagePrecision)) +
    '<h2>Per label</h2>' +
    table(
      ['label', 'support', 'given', 'precision', 'recall', 'F1', 'ROC AUC', 'average precision'],
      m.labels.map((row) => [
        html(row.label),
        String(row.support),
        String(row.predicted),
        num(row.precision),
        num(row.recall),
        num(row.f1),
        num(row.rocAuc),
        num(row.averagePrecision),
      ]),
    )
  );
}

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:70em}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.plots{display:flex;gap:2em;flex-wrap:wrap}
figure{margin:0}.note{color:#666;font-style:italic;width:320px}`;

/** The whole report as one HTML document. */
export function evaluationHtml(report: EvaluationReport, generatedAt: Date): string {
  const title = `${report.model}${report.version === null ? '' : `@${report.version}`} (${report.mode})`;
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
    `<title>Evaluation of ${html(title)}</title><style>${STYLE}</style></head><body>` +
    `<h1>Evaluation of ${html(title)}</h1>` +
    `<p>${report.scored} of ${report.count} labelled requests scored; ${report.failed.count} failed. ` +
    `Made by liftwing evaluate on ${html(generatedAt.toISOString())}.</p>` +
    (report.kind === 'binary' ? binary(report) : multilabel(report)) +
    failures(report) +
    '</body></html>\n'
  );
}
