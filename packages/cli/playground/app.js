/**
 * The playground page: the models come from `/playground/models.json` (their definitions), the
 * form from the chosen model's request schema, the answer from this server's own
 * `/v1/models/{name}:predict`. Plain modules, nothing to build.
 *
 * @module
 */
import { drawPicture, pictureOf } from './pictures.js';

const $ = (id) => document.getElementById(id);

/** The schema's fields as form controls, with the example's values filled in. */
function fieldsOf(model, values) {
  const { properties, required = [] } = model.request;
  return Object.entries(properties).map(([name, spec]) => {
    const wrap = document.createElement('label');
    wrap.className = 'field';
    wrap.textContent = required.includes(name) ? `${name} *` : name;
    let control;
    if (spec.enum || spec.type === 'boolean') {
      control = document.createElement('select');
      const choices = spec.enum ?? [true, false];
      for (const choice of ['', ...choices]) {
        const option = document.createElement('option');
        option.value = String(choice);
        option.textContent = choice === '' ? '(not sent)' : String(choice);
        control.append(option);
      }
    } else {
      control = document.createElement('input');
      control.type = spec.type === 'string' ? 'text' : 'number';
      if (spec.type === 'integer') control.step = '1';
      if (spec.type === 'number') control.step = 'any';
      const hint = spec.examples?.[0] ?? spec.default;
      if (hint !== undefined) control.placeholder = String(hint);
    }
    control.name = name;
    control.dataset.type = spec.type;
    if (values[name] !== undefined) control.value = String(values[name]);
    const help = document.createElement('small');
    help.textContent = [
      spec.description,
      spec.default === undefined ? '' : `default ${JSON.stringify(spec.default)}`,
    ]
      .filter(Boolean)
      .join('; ');
    wrap.append(control, help);
    return wrap;
  });
}

/** The request body the form says: each filled-in field, typed as its schema says. */
function bodyOfForm() {
  const body = {};
  for (const control of $('fields').querySelectorAll('input, select')) {
    if (control.value === '') continue;
    const type = control.dataset.type;
    if (type === 'boolean') body[control.name] = control.value === 'true';
    else if (type === 'integer' || type === 'number') body[control.name] = Number(control.value);
    else body[control.name] = control.value;
  }
  return body;
}

/** `text` inside single quotes for a POSIX shell. */
const quoted = (text) => `'${text.replaceAll("'", "'\\''")}'`;

function showCalls(model, bodyText) {
  const url = `${location.origin}/v1/models/${encodeURIComponent(model.name)}:predict`;
  $('curl').textContent =
    `curl -s ${url} \\\n  -H 'Content-Type: application/json' \\\n  -d ${quoted(bodyText)}`;
  let body;
  try {
    body = JSON.stringify(JSON.parse(bodyText), null, 2);
  } catch {
    body = bodyText;
  }
  const load = model.family
    ? `import { definitions } from '${model.package}/definition';\n\n` +
      `const definition = definitions.find((d) => d.name === '${model.name}');`
    : `import { definition } from '${model.package}/definition';\n`;
  $('library').textContent =
    `${load}\nconst model = await definition.create({\n  mode: '${model.mode}',\n` +
    `  userAgent: 'MyTool/1.0 (me@example.org)',\n});\n` +
    `const answer = await model.handle(${body});`;
}

function choose(model, example = model.request.examples[0] ?? {}) {
  $('description').textContent = model.description;
  $('rules').textContent = model.request.description ?? '';
  $('fields').replaceChildren(...fieldsOf(model, example));
  $('examples').replaceChildren(
    ...model.request.examples.map((values, i) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `Example ${i + 1}`;
      button.addEventListener('click', () => choose(model, values));
      return button;
    }),
  );
  $('body').value = JSON.stringify(bodyOfForm());
  showCalls(model, $('body').value);
}

async function predict(model) {
  const bodyText = $('body').value;
  showCalls(model, bodyText);
  $('status').textContent = `Asking ${model.name}…`;
  $('status').dataset.ok = '';
  $('submit').disabled = true;
  try {
    const response = await fetch(`/v1/models/${encodeURIComponent(model.name)}:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodyText,
    });
    const text = await response.text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = undefined;
    }
    $('answer').textContent = answer === undefined ? text : JSON.stringify(answer, null, 2);
    $('status').dataset.ok = String(response.ok);
    const said = answer?.error ?? answer?.detail;
    $('status').textContent = response.ok
      ? `HTTP ${response.status} from ${model.name} (${model.mode})`
      : `HTTP ${response.status}: ${typeof said === 'string' ? said : text}`;
    drawPicture($('picture'), response.ok ? pictureOf(answer) : { kind: 'none' });
  } catch (error) {
    $('status').dataset.ok = 'false';
    $('status').textContent = `No answer: ${error.message}`;
    drawPicture($('picture'), { kind: 'none' });
  } finally {
    $('submit').disabled = false;
  }
}

async function start() {
  const { models } = await (await fetch('/playground/models.json')).json();
  const picker = $('model');
  for (const model of models) {
    const option = document.createElement('option');
    option.value = model.name;
    option.textContent = model.alias === model.name ? model.name : `${model.alias} (${model.name})`;
    picker.append(option);
  }
  if (models.length === 0) {
    $('status').textContent = 'This server runs no model with a definition.';
    return;
  }
  const wanted = new URLSearchParams(location.hash.slice(1)).get('model');
  const current = () => models.find((model) => model.name === picker.value) ?? models[0];
  if (models.some((model) => model.name === wanted)) picker.value = wanted;
  picker.addEventListener('change', () => choose(current()));
  $('fields').addEventListener('input', () => {
    $('body').value = JSON.stringify(bodyOfForm());
    showCalls(current(), $('body').value);
  });
  $('body').addEventListener('input', () => showCalls(current(), $('body').value));
  $('form').addEventListener('submit', (event) => {
    event.preventDefault();
    void predict(current());
  });
  choose(current());
  document.body.dataset.ready = 'true';
}

void start();
