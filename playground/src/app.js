// The playground page: editors in, the component's render out. Wires the
// modules together: editors.js (CodeMirror, with completion.js for the
// input's schema), lint.js (diagnostics from the component's errors), the
// views, and share.js. The inputs' texts live here; the editors, loaded
// after the first render is asked for, show and change them. The component
// runs only in the worker (worker.js, driven by worker-client.js); this
// file never logs and never sends inputs or outputs anywhere.

import INPUT_SCHEMA from 'virtual:input-schema';

import { element } from './dom.js';
import { flowModel } from './flow-model.js';
import { compositionRoot, declaredKeys, derivedKeys, functionStep, templateReads } from './function-input.js';
import { diagnose } from './lint.js';
import { INPUTS } from './request.js';
import { decodeShare, encodeShare } from './share.js';
import { classify, maskSecretValues, plural } from './view.js';
import { renderFlow } from './views/flow.js';
import { renderResults, renderSummary } from './views/results.js';
import { renderSecrets } from './views/secrets.js';
import { renderTables } from './views/table.js';
import { ComponentWorker } from './worker-client.js';
import { parser } from './yaml-tree.js';

const DEFAULT_TIMEOUT_MS = 5000;
const DEBOUNCE_MS = 300;
const DEFAULT_EXAMPLE = 'aws-iam';
const INPUT_FIELDS = Object.keys(INPUT_SCHEMA.schema.properties ?? {});

const params = new URLSearchParams(location.search);
// Test hooks: ?renderTimeoutMs=N lowers the render time limit; ?test exposes
// window.playgroundTest to provoke a runaway render or a trap.
const timeoutMs = positiveInteger(params.get('renderTimeoutMs')) ?? DEFAULT_TIMEOUT_MS;
const testMode = params.has('test');

const $ = (id) => document.getElementById(id);
const functionNameInput = $('input-function-name');
const exampleSelect = $('example');
const output = $('output');
const statusLine = $('status');
const problemBox = $('problem');

// ---------------------------------------------------------------------------
// State.

let examples = [];
let lastRender = null; // {job, classified, keys}: the last successful render, kept while an error shows
let debounceTimer = null;
let firstOutputShown = false;

const worker = new ComponentWorker({ onResult: showResult, onJson: showViews, timeoutMs });

// ---------------------------------------------------------------------------
// The inputs and their editors.

const texts = Object.fromEntries(INPUTS.map((input) => [input.id, '']));
/** What the editors show besides the texts, kept for editors that load later. */
const marks = { diagnostics: null, invalid: new Set() };
let editors = null;

/**
 * Loads the editors (CodeMirror is most of the page's script) once the first
 * render has answered: parsing and building them would hold the main thread
 * while the first output waits for it.
 */
let editorsLoaded = null;
function loadEditors() {
  editorsLoaded ??= import('./editors.js').then(createEditors, (error) => showProblem('The editors could not be loaded', error.message));
  return editorsLoaded;
}

function createEditors({ InputEditors }) {
  editors = new InputEditors({
    inputs: INPUTS,
    texts,
    onChange: (id, text) => {
      texts[id] = text;
      updateLineCount(id);
      scheduleRender();
    },
    onSubmit: () => requestRender(),
    assistance: () => ({ schema: INPUT_SCHEMA, functionName: functionNameInput.value.trim(), keys: keyChoices() }),
  });
  if (marks.diagnostics) showAllDiagnostics(marks.diagnostics.byInput, marks.diagnostics.job);
  for (const id of marks.invalid) editors.setInvalid(id, true);
  $('inputs').dataset.editors = 'ready';
}

for (const input of INPUTS) {
  // A click on the name focuses the editor, as a label does for a field.
  $(`label-${input.id}`).addEventListener('click', () => editors?.focus(input.id));
}

function currentInputs() {
  return { ...texts };
}

/** Key names the Composition's completion offers: what the last render accounted for, and what the input declares now. */
function keyChoices() {
  const choices = new Map();
  for (const key of lastRender?.keys ?? []) {
    choices.set(key.name, `${key.state}${key.bytes !== null && key.bytes !== undefined ? `, ${plural(key.bytes, 'byte')}` : ''}`);
  }
  const text = texts.composition;
  const root = compositionRoot(parser.parse(text), text);
  const step = root && functionStep(root, text, functionNameInput.value.trim());
  for (const name of declaredKeys(root, text, step)) if (!choices.has(name)) choices.set(name, 'declared');
  return [...choices].map(([name, detail]) => ({ name, detail })).sort((a, b) => (a.name < b.name ? -1 : 1));
}

// ---------------------------------------------------------------------------
// Rendering.

function requestRender(extra = {}) {
  clearTimeout(debounceTimer);
  debounceTimer = null;
  statusLine.textContent = 'Rendering…';
  output.setAttribute('aria-busy', 'true');
  worker.submit({ inputs: currentInputs(), functionName: functionNameInput.value.trim(), ...extra });
}

function scheduleRender() {
  forgetShareLink();
  clearTimeout(debounceTimer);
  debounceTimer = setTimeout(() => requestRender(), DEBOUNCE_MS);
}

function showResult(job, result, { superseded }) {
  if (superseded && result.type !== 'timeout' && result.type !== 'trap') {
    return; // a newer render is on its way
  }
  output.removeAttribute('aria-busy');
  clearFieldErrors();
  switch (result.type) {
    case 'rendered':
      showRendered(job, result);
      break;
    case 'input-error':
      showInputError(job, result.error);
      break;
    case 'timeout':
      showProblem(
        result.phase === 'load' ? 'The component did not load' : 'Render stopped',
        result.phase === 'load'
          ? `The component took longer than ${seconds(result.ms)} to load. The worker was restarted; press Render to try again.`
          : `This render ran longer than ${seconds(result.ms)}, so it was stopped and the component's worker was replaced. The page is still usable: edit an input or press Render.`,
      );
      statusLine.textContent = 'Render stopped.';
      break;
    case 'trap':
      showProblem(
        'The component trapped',
        `${result.message}. Its worker was replaced with a fresh instance; edit an input or press Render to try again.`,
      );
      statusLine.textContent = 'Render failed.';
      break;
    default:
      showProblem('The component could not be loaded', result.message ?? 'unknown error');
      statusLine.textContent = 'Component not loaded.';
  }
  output.dataset.renders = String(Number(output.dataset.renders) + 1);
  output.dataset.result = result.type;
  loadEditors();
}

/** The views that come from the JSON output, as soon as it is there. */
function showViews(job, { json, fatal }) {
  let classified;
  try {
    classified = classify(json);
  } catch {
    showProblem('Unexpected output', 'The component returned JSON the page cannot read.');
    return false;
  }
  const flow = flowModel(classified, { reads: derivedReads(job.inputs.composition, job.functionName) });
  lastRender = { job, classified, keys: flow.keys };
  hideProblem();
  output.classList.remove('stale');
  renderTables($('table-objects'), classified);
  renderFlow($('flow-output'), flow);
  renderSummary($('summary'), classified, fatal);
  renderResults($('results-output'), classified);
  renderSecrets($('secrets-output'), classified);
  $('count-results').textContent = String(classified.results.length + classified.conditions.length);
  $('count-secrets').textContent = String(classified.objects.length);
  showAllDiagnostics(diagnose({ texts: job.inputs, functionName: job.functionName, results: classified.results, fields: INPUT_FIELDS }), job);
  noteFirstOutput();
  return true;
}

function showRendered(job, result) {
  if (lastRender?.job !== job && !showViews(job, result)) return;
  $('table-output').textContent = result.table;
  $('yaml-output').textContent = maskSecretValues(result.yaml, lastRender.classified.documents);
  statusLine.textContent = `Rendered in ${Math.max(1, Math.round(result.ms))} ms${result.fatal ? ' — with a FATAL result' : ''}.`;
}

/** Each derived key's template, read from the Composition, to the keys it reads. */
function derivedReads(text, functionName) {
  const tree = parser.parse(text ?? '');
  const root = compositionRoot(tree, text ?? '');
  const step = root && functionStep(root, text, functionName);
  if (!step) return new Map();
  const declared = declaredKeys(root, text, step);
  return new Map(derivedKeys(root, text, step).map(({ name, template }) => [name, templateReads(template, declared)]));
}

function noteFirstOutput() {
  if (!firstOutputShown) {
    firstOutputShown = true;
    // From navigation start to the frame that paints the first output, for
    // the load test.
    const outputSetMs = performance.now();
    requestAnimationFrame(() => {
      window.playgroundMetrics = { outputSetMs, firstRenderMs: performance.now() };
      loadEditors();
    });
  }
}

function showInputError(job, error) {
  const input = INPUTS.find((candidate) => candidate.label === error.file);
  const where = [error.file, error.line ? `line ${error.line}` : null].filter(Boolean).join(', ');
  const title = where ? `Input error in ${where}` : 'Input error';
  showProblem(title, error.message, input && { input, line: error.line }, true);
  if (input) {
    const field = $(`error-${input.id}`);
    field.textContent = error.line ? `Line ${error.line}: ${error.message}` : error.message;
    field.hidden = false;
    marks.invalid.add(input.id);
    editors?.setInvalid(input.id, true);
  }
  showAllDiagnostics(diagnose({ texts: job.inputs, inputError: error, fields: INPUT_FIELDS }), job);
  if (lastRender) output.classList.add('stale');
  statusLine.textContent = 'Not rendered: an input is unusable.';
}

/** The diagnostics of a render, unless an input changed since it was asked for (they would be out of place). */
function showAllDiagnostics(byInput, job) {
  marks.diagnostics = { byInput, job };
  if (!editors) return;
  for (const input of INPUTS) {
    editors.setDiagnostics(input.id, texts[input.id] === job.inputs[input.id] ? byInput[input.id] : []);
  }
}

function showProblem(title, message, jump, quoted = false) {
  problemBox.replaceChildren();
  const heading = element('strong', { className: 'problem-title' }, title);
  const text = element('span', { className: quoted ? 'problem-message quoted' : 'problem-message' }, message);
  problemBox.append(heading, text);
  if (jump) {
    const button = element('button', { type: 'button', className: 'link' }, jump.line ? `Go to line ${jump.line}` : `Go to ${jump.input.label}`);
    button.addEventListener('click', () => loadEditors().then(() => editors.goToLine(jump.input.id, jump.line)));
    problemBox.append(button);
  }
  if (lastRender) {
    problemBox.append(element('span', { className: 'problem-note' }, 'The output below is from the last successful render.'));
  }
  problemBox.hidden = false;
}

function hideProblem() {
  problemBox.hidden = true;
  problemBox.replaceChildren();
}

function clearFieldErrors() {
  for (const input of INPUTS) {
    const field = $(`error-${input.id}`);
    field.hidden = true;
    field.textContent = '';
    editors?.setInvalid(input.id, false);
  }
  marks.invalid.clear();
}

// ---------------------------------------------------------------------------
// Tabs and the Table view's text.

const tabs = Array.from(document.querySelectorAll('[role="tab"]'));

function selectTab(tab, focus = false) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute('aria-controls')).hidden = !selected;
  }
  if (focus) tab.focus();
}

for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (event) => {
    const index = tabs.indexOf(tab);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      selectTab(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
    }
  });
}

$('toggle-table-text').addEventListener('click', (event) => {
  const button = event.currentTarget;
  const showing = button.getAttribute('aria-expanded') === 'true';
  button.setAttribute('aria-expanded', String(!showing));
  button.textContent = showing ? 'Show as text' : 'Show as tables';
  $('table-output').hidden = showing;
  $('table-objects').hidden = !showing;
});

$('copy-table').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText($('table-output').textContent);
    $('copy-status').textContent = 'Copied the render --format table text.';
  } catch {
    $('copy-status').textContent = 'The browser did not allow copying; use Show as text.';
  }
});

// ---------------------------------------------------------------------------
// Examples, editing, sharing.

function setInputs(inputs, functionName = '') {
  for (const input of INPUTS) {
    texts[input.id] = inputs[input.id] ?? '';
    editors?.setText(input.id, texts[input.id]);
    updateLineCount(input.id);
  }
  functionNameInput.value = functionName;
}

function loadExample(name) {
  const example = examples.find((candidate) => candidate.name === name);
  if (!example) return;
  forgetShareLink();
  exampleSelect.value = name;
  setInputs(example.files);
  requestRender();
}

function updateLineCount(id) {
  const text = texts[id];
  const blank = text.trim() === '';
  $(`lines-${id}`).textContent = blank ? 'not given' : plural(text.replace(/\n$/, '').split('\n').length, 'line');
  $(`editor-${id}`).classList.toggle('blank', blank);
}

functionNameInput.addEventListener('input', scheduleRender);
exampleSelect.addEventListener('change', () => {
  if (exampleSelect.value) loadExample(exampleSelect.value);
});
$('render').addEventListener('click', () => requestRender());

$('share').addEventListener('click', async () => {
  const link = $('share-link');
  const shareStatus = $('share-status');
  try {
    const { fragment, redacted } = await encodeShare(
      { inputs: currentInputs(), functionName: functionNameInput.value.trim(), example: exampleSelect.value },
      { withSecretValues: $('share-secrets').checked },
    );
    const url = `${location.origin}${location.pathname}${fragment}`;
    history.replaceState(null, '', url);
    link.href = url;
    link.hidden = false;
    let copied = false;
    try {
      await navigator.clipboard.writeText(url);
      copied = true;
    } catch {
      // No clipboard permission: the link is there to copy by hand.
    }
    const what = redacted
      ? `Secret values are placeholders of the same sizes (${plural(redacted.values, 'value')} in ${plural(redacted.secrets, 'Secret')}${redacted.withheld ? `; ${plural(redacted.withheld, 'unreadable document')} left out` : ''}).`
      : 'It includes the Secret values: anyone with the link can read them.';
    shareStatus.textContent = `${copied ? 'Link copied' : 'Share link ready'} (${url.length.toLocaleString('en')} characters). ${what}`;
  } catch (error) {
    shareStatus.textContent = `Could not make a share link: ${error.message}`;
  }
});

/** After an edit, a share link in the address bar no longer describes the page. */
function forgetShareLink() {
  if (location.hash) history.replaceState(null, '', `${location.pathname}${location.search}`);
  $('share-link').hidden = true;
  $('share-status').textContent = '';
}

window.addEventListener('hashchange', () => {
  restoreFromHash().then((restored) => {
    if (restored) requestRender();
  });
});

async function restoreFromHash() {
  if (!location.hash) return false;
  try {
    const state = await decodeShare(location.hash);
    if (!state) return false;
    setInputs(state.inputs, state.functionName);
    exampleSelect.value = examples.some((example) => example.name === state.example) ? state.example : '';
    $('share-status').textContent = state.redacted
      ? 'Opened from a share link. Its Secret values are placeholders of the same sizes.'
      : 'Opened from a share link.';
    return true;
  } catch (error) {
    showProblem('This share link cannot be read', error.message);
    return false;
  }
}

async function start() {
  $('timeout-info').textContent = seconds(timeoutMs);
  let catalog;
  try {
    const response = await fetch('examples.json');
    if (!response.ok) throw new Error(`examples.json: HTTP ${response.status}`);
    catalog = await response.json();
  } catch (error) {
    catalog = { examples: [] };
    showProblem('The examples could not be loaded', error.message);
  }
  examples = catalog.examples ?? [];
  for (const example of examples) {
    exampleSelect.append(element('option', { value: example.name }, example.name));
  }
  if (catalog.component) {
    const { bytes, sha256 } = catalog.component;
    $('component-info').textContent = `Component connection_details.wasm · ${(bytes / 1048576).toFixed(2)} MiB · sha256 ${sha256.slice(0, 12)}`;
  }
  if (await restoreFromHash()) {
    requestRender();
    return;
  }
  const name = examples.some((example) => example.name === (catalog.default ?? DEFAULT_EXAMPLE))
    ? catalog.default ?? DEFAULT_EXAMPLE
    : examples[0]?.name;
  if (name) {
    loadExample(name);
  } else {
    for (const input of INPUTS) updateLineCount(input.id);
    statusLine.textContent = 'Paste an XR and a Composition to render.';
    loadEditors();
  }
}

// What the inputs hold, by label, for the browser tests (the editors keep
// their text in CodeMirror's state, not in a form field).
const idOf = (label) => INPUTS.find((input) => input.label === label).id;
window.playground = {
  text: (label) => texts[idOf(label)],
  selection: (label) => editors?.selection(idOf(label)),
};

if (testMode) {
  window.playgroundTest = {
    /** A render that keeps the worker busy for `ms` before rendering. */
    runaway(ms) {
      requestRender({ busyMs: ms });
    },
    /** A render whose export traps. */
    trap() {
      requestRender({ trap: true });
    },
    restarts: () => worker.restarts,
    spareReady: () => worker.spareReady(),
    timeoutMs,
  };
}

start();

// ---------------------------------------------------------------------------
// Helpers.

function seconds(ms) {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

function positiveInteger(text) {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 ? value : undefined;
}
