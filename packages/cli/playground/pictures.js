/**
 * Pictures of a Lift Wing answer, by generic rules on its shape (no model is named here: the
 * page knows a model only by its definition, and a definition says nothing of its answer's
 * shape). The first rule that matches draws the answer:
 *
 * 1. bars: the first list of objects that each have a text and a number (outlink's topics and
 *    scores), one bar per item;
 * 2. gauge: the first object with the numbers `true` and `false` (a probability of yes and no,
 *    as revert risk and the revscoring models answer), a gauge of `true`;
 * 3. label: the first object with a number `score` and texts beside it (langid's language), the
 *    texts large and the score as a meter;
 * 4. numbers: every number between 0 and 1, as bars named by where they are in the answer.
 *
 * @module
 */

const SVG = 'http://www.w3.org/2000/svg';

/** Every object and list in `value`, depth first, with its path (`output.probabilities`). */
function* nodes(value, path = []) {
  if (value === null || typeof value !== 'object') return;
  yield [path, value];
  for (const [key, child] of Object.entries(value)) yield* nodes(child, [...path, key]);
}

const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);
const named = (path) => (path.length === 0 ? 'answer' : path.join('.'));

function bars(answer) {
  for (const [path, value] of nodes(answer)) {
    if (!Array.isArray(value) || value.length === 0 || value.length > 100) continue;
    const items = value.map((item) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
      const entries = Object.entries(item);
      const label = entries.find(([, v]) => typeof v === 'string');
      const number = entries.find(([, v]) => isNumber(v));
      return label && number ? { label: label[1], value: number[1] } : undefined;
    });
    if (items.every((item) => item !== undefined)) {
      return { kind: 'bars', title: named(path), items };
    }
  }
  return undefined;
}

function gauge(answer) {
  for (const [path, value] of nodes(answer)) {
    if (!Array.isArray(value) && isNumber(value.true) && isNumber(value.false)) {
      return { kind: 'gauge', title: `${named(path)}: probability of true`, value: value.true };
    }
  }
  return undefined;
}

function label(answer) {
  for (const [path, value] of nodes(answer)) {
    if (Array.isArray(value) || !isNumber(value.score)) continue;
    const texts = Object.entries(value).filter(([, v]) => typeof v === 'string' && v !== '');
    if (texts.length > 0) {
      return { kind: 'label', title: named(path), texts, score: value.score };
    }
  }
  return undefined;
}

function numbers(answer) {
  const items = [];
  const visit = (value, path) => {
    if (isNumber(value) && value >= 0 && value <= 1) items.push({ label: named(path), value });
    else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) visit(child, [...path, key]);
    }
  };
  visit(answer, []);
  return items.length === 0
    ? undefined
    : { kind: 'numbers', title: 'numbers between 0 and 1', items: items.slice(0, 30) };
}

/** What to draw for `answer`: the first rule of the module's list that matches, or none. */
export function pictureOf(answer) {
  return bars(answer) ?? gauge(answer) ?? label(answer) ?? numbers(answer) ?? { kind: 'none' };
}

function element(tag, attributes = {}, text = undefined) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

const shown = (value) =>
  Math.abs(value) >= 0.001 || value === 0 ? value.toFixed(3) : value.toExponential(2);

function drawBars(picture) {
  const top = Math.max(1, ...picture.items.map((item) => item.value));
  const list = element('div', { class: 'bars' });
  for (const item of picture.items) {
    const row = element('div', { class: 'bar' });
    row.append(element('span', { class: 'label' }, item.label));
    const track = element('span', { class: 'track' });
    const width = Math.max(0, Math.min(100, (item.value / top) * 100));
    track.append(element('span', { class: 'fill', style: `display:block;width:${width}%` }));
    row.append(track, element('span', { class: 'value' }, shown(item.value)));
    list.append(row);
  }
  return list;
}

/** A half-circle gauge from 0 (left) to 1 (right), filled up to `value`. */
function drawGauge(picture) {
  const value = Math.max(0, Math.min(1, picture.value));
  const root = svg('svg', { class: 'gauge', viewBox: '0 0 220 130', width: 260, role: 'img' });
  const point = (fraction, radius) => {
    const angle = Math.PI * (1 - fraction);
    return [110 + radius * Math.cos(angle), 115 - radius * Math.sin(angle)];
  };
  const arc = (to, color) => {
    const [x0, y0] = point(0, 90);
    const [x1, y1] = point(to, 90);
    return svg('path', {
      d: `M ${x0} ${y0} A 90 90 0 0 1 ${x1} ${y1}`,
      fill: 'none',
      stroke: color,
      'stroke-width': 18,
    });
  };
  root.append(arc(1, '#eaecf0'));
  if (value > 0) root.append(arc(value, value >= 0.5 ? '#d33' : '#36c'));
  const [nx, ny] = point(value, 70);
  root.append(
    svg('line', { x1: 110, y1: 115, x2: nx, y2: ny, stroke: '#202122', 'stroke-width': 3 }),
  );
  const label = svg('text', { x: 110, y: 105, 'text-anchor': 'middle' });
  label.textContent = shown(value);
  root.append(label);
  const title = svg('title', {});
  title.textContent = `${picture.title}: ${value}`;
  root.append(title);
  return root;
}

function drawLabel(picture) {
  const card = element('div', { class: 'label-score' });
  const [first, ...rest] = picture.texts;
  card.append(element('div', { class: 'headline' }, first[1]));
  for (const [key, text] of rest) card.append(element('div', {}, `${key}: ${text}`));
  const meter = element('meter', { min: '0', max: '1', value: String(picture.score) });
  card.append(element('div', { class: 'score' }, `score ${shown(picture.score)} `), meter);
  return card;
}

/** Draws `picture` into `container`, replacing what it held. */
export function drawPicture(container, picture) {
  container.replaceChildren();
  container.dataset.kind = picture.kind;
  if (picture.kind === 'none') return;
  container.append(element('h2', {}, picture.title));
  if (picture.kind === 'bars' || picture.kind === 'numbers') container.append(drawBars(picture));
  else if (picture.kind === 'gauge') container.append(drawGauge(picture));
  else container.append(drawLabel(picture));
}
