// The playground page: editors in, the component's render out. The
// component runs in a module Web Worker (worker.js); this file never logs
// and never sends inputs or outputs anywhere.

import { INPUTS } from './request.js';
import { decodeShare, encodeShare } from './share.js';
import {
  classify,
  displayValue,
  maskSecretValues,
  namespacedName,
  objectKeys,
  plural,
  severityName,
} from './view.js';

const DEFAULT_TIMEOUT_MS = 5000;
/** Downloading and compiling the component is not a runaway render. */
const LOAD_TIMEOUT_MS = 60000;
const DEBOUNCE_MS = 300;
const DEFAULT_EXAMPLE = 'aws-iam';

const params = new URLSearchParams(location.search);
// Test hooks: ?renderTimeoutMs=N lowers the render time limit; ?test exposes
// window.playgroundTest to provoke a runaway render or a trap.
const timeoutMs = positiveInteger(params.get('renderTimeoutMs')) ?? DEFAULT_TIMEOUT_MS;
const testMode = params.has('test');

const $ = (id) => document.getElementById(id);
const editors = Object.fromEntries(INPUTS.map((input) => [input.id, $(`input-${input.id}`)]));
const functionNameInput = $('input-function-name');
const exampleSelect = $('example');
const output = $('output');
const statusLine = $('status');
const problemBox = $('problem');

// ---------------------------------------------------------------------------
// The worker that runs the component.

class ComponentWorker {
  constructor({ onResult, onTable }) {
    this.onResult = onResult;
    this.onTable = onTable;
    this.sequence = 0;
    this.current = null; // {id, job, timer}
    this.queued = null;
    this.restarts = 0;
    this.spawn();
  }

  spawn() {
    // The first worker, and the compiled core WebAssembly every worker
    // instantiates, come from the boot script in index.html.
    const boot = window.playgroundBoot;
    window.playgroundBoot = undefined;
    if (boot) this.cores = boot.cores;
    const worker = boot?.worker ?? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'render' });
    worker.onmessage = (event) => this.receive(worker, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      if (worker !== this.worker) return;
      this.worker = null;
      worker.terminate();
      this.finish({ type: 'load-error', message: event.message || 'the worker script could not be loaded' });
    };
    this.worker = worker;
    // Without compiled modules (their download failed), the worker tries itself.
    Promise.resolve(this.cores ?? {}).then(
      (cores) => worker.postMessage({ type: 'init', cores }),
      () => worker.postMessage({ type: 'init', cores: {} }),
    );
    if (boot?.error) {
      queueMicrotask(() => worker.onerror({ message: boot.error, preventDefault() {} }));
    }
  }

  /** Renders `job`, or, while a render runs, keeps it as the next one. */
  submit(job) {
    if (this.current) {
      this.queued = job;
    } else {
      this.start(job);
    }
  }

  start(job) {
    if (!this.worker) this.spawn();
    const id = ++this.sequence;
    this.current = { id, job, timer: setTimeout(() => this.expire('load'), LOAD_TIMEOUT_MS) };
    const message = { type: 'render', id, inputs: job.inputs, functionName: job.functionName };
    if (job.busyMs) message.busyMs = job.busyMs;
    if (job.trap) message.trap = true;
    this.worker.postMessage(message);
  }

  receive(worker, message) {
    if (worker !== this.worker || !this.current || message.id !== this.current.id) return;
    if (message.type === 'table') {
      if (!this.queued) this.onTable(message.table);
      return;
    }
    clearTimeout(this.current.timer);
    if (message.type === 'started') {
      this.current.timer = setTimeout(() => this.expire('render'), timeoutMs);
      return;
    }
    // After a trap the instance is unusable; after a failed load, a fresh
    // worker tries again at the next render.
    if (message.type === 'trap' || message.type === 'load-error') this.replace();
    this.finish(message);
  }

  expire(phase) {
    this.replace();
    this.finish({ type: 'timeout', phase, ms: phase === 'load' ? LOAD_TIMEOUT_MS : timeoutMs });
  }

  /** Ends the worker, whatever it is doing, and starts a fresh one. */
  replace() {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.restarts += 1;
    this.spawn();
  }

  finish(result) {
    const current = this.current;
    this.current = null;
    if (current) clearTimeout(current.timer);
    const next = this.queued;
    this.queued = null;
    if (current) this.onResult(current.job, result, { superseded: Boolean(next) });
    if (next) this.start(next);
  }
}

// ---------------------------------------------------------------------------
// State and rendering.

let examples = [];
let lastRender = null; // the last successful render, kept while an error shows
let debounceTimer = null;
let firstTableShown = false;

const worker = new ComponentWorker({ onResult: showResult, onTable: showTable });

function currentInputs() {
  return Object.fromEntries(INPUTS.map((input) => [input.id, editors[input.id].value]));
}

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
      showRendered(result);
      break;
    case 'input-error':
      showInputError(result.error);
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
}

/** The table of a render whose other outputs are still on their way. */
function showTable(table) {
  $('table-output').textContent = table;
  noteFirstTable();
}

function noteFirstTable() {
  if (!firstTableShown) {
    firstTableShown = true;
    // From navigation start to the frame that paints the first table, for
    // the load test.
    const tableSetMs = performance.now();
    requestAnimationFrame(() => {
      window.playgroundMetrics = { tableSetMs, firstRenderMs: performance.now() };
    });
  }
}

function showRendered(result) {
  let classified;
  try {
    classified = classify(result.json);
  } catch {
    showProblem('Unexpected output', 'The component returned JSON the page cannot read.');
    return;
  }
  lastRender = { classified };
  hideProblem();
  output.classList.remove('stale');
  $('table-output').textContent = result.table;
  $('yaml-output').textContent = maskSecretValues(result.yaml, classified.documents);
  renderSummary(classified, result.fatal);
  renderResults(classified);
  renderSecrets(classified);
  statusLine.textContent = `Rendered in ${Math.max(1, Math.round(result.ms))} ms${result.fatal ? ' — with a FATAL result' : ''}.`;
  noteFirstTable();
}

function showInputError(error) {
  const input = INPUTS.find((candidate) => candidate.label === error.file);
  const where = [error.file, error.line ? `line ${error.line}` : null].filter(Boolean).join(', ');
  const title = where ? `Input error in ${where}` : 'Input error';
  showProblem(title, error.message, input && { input, line: error.line }, true);
  if (input) {
    const field = $(`error-${input.id}`);
    field.textContent = error.line ? `Line ${error.line}: ${error.message}` : error.message;
    field.hidden = false;
    editors[input.id].setAttribute('aria-invalid', 'true');
  }
  if (lastRender) output.classList.add('stale');
  statusLine.textContent = 'Not rendered: an input is unusable.';
}

function showProblem(title, message, jump, quoted = false) {
  problemBox.replaceChildren();
  const heading = element('strong', { className: 'problem-title' }, title);
  const text = element('span', { className: quoted ? 'problem-message quoted' : 'problem-message' }, message);
  problemBox.append(heading, text);
  if (jump) {
    const button = element('button', { type: 'button', className: 'link' }, jump.line ? `Go to line ${jump.line}` : `Go to ${jump.input.label}`);
    button.addEventListener('click', () => goToLine(editors[jump.input.id], jump.line));
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
    editors[input.id].removeAttribute('aria-invalid');
  }
}

function goToLine(textarea, line) {
  const lines = textarea.value.split('\n');
  const index = Math.min(Math.max((line ?? 1) - 1, 0), lines.length - 1);
  const start = lines.slice(0, index).reduce((sum, text) => sum + text.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + lines[index].length);
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
  textarea.scrollTop = Math.max(0, (index - 2) * lineHeight);
  textarea.scrollIntoView({ block: 'nearest' });
}

// ---------------------------------------------------------------------------
// Views.

function renderSummary({ objects, results, conditions }, fatal) {
  const summary = $('summary');
  summary.replaceChildren();
  const secrets = objects.filter((o) => o.kind === 'Secret').length;
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap').length;
  summary.append(chip(plural(secrets, 'Secret'), 'neutral'));
  if (configMaps) summary.append(chip(plural(configMaps, 'ConfigMap'), 'neutral'));
  const counts = {};
  for (const result of results) {
    const severity = severityName(result.severity);
    counts[severity] = (counts[severity] ?? 0) + 1;
  }
  for (const severity of ['FATAL', 'WARNING', 'NORMAL']) {
    if (counts[severity]) summary.append(chip(plural(counts[severity], severity.toLowerCase()), severity.toLowerCase()));
  }
  for (const condition of conditions) {
    summary.append(chip(`${condition.type}: ${condition.status}`, conditionTone(condition.status)));
  }
  if (fatal && !counts.FATAL) summary.append(chip('fatal', 'fatal'));
  $('count-results').textContent = String(results.length + conditions.length);
  $('count-secrets').textContent = String(objects.length);
}

function conditionTone(status) {
  return status === 'True' ? 'ok' : status === 'False' ? 'fatal' : 'neutral';
}

function renderResults({ results, conditions, readiness }) {
  const container = $('results-output');
  container.replaceChildren();

  container.append(...listSection('Results', 'No results.', results, (result) => {
    const severity = severityName(result.severity).toLowerCase();
    const meta = [result.reason && `reason ${result.reason}`, result.step && `step ${result.step}`].filter(Boolean);
    return {
      className: `result ${severity}`,
      tone: severity,
      badge: severityName(result.severity),
      message: result.message ?? '',
      meta: meta.join(' · '),
    };
  }));

  container.append(...listSection('Conditions', 'No conditions.', conditions, (condition) => {
    const tone = conditionTone(condition.status);
    return {
      className: `result condition ${tone}`,
      tone,
      badge: condition.status === 'True' ? 'Ready' : condition.status === 'False' ? 'Not ready' : condition.status,
      message: `${condition.type} is ${condition.status}: ${condition.message ?? ''}`,
      meta: condition.reason ? `reason ${condition.reason}` : '',
    };
  }));

  if (readiness) {
    container.append(element('h3', {}, 'Readiness'));
    const table = element('table', { className: 'readiness' });
    table.append(tableRow('th', ['Resource', 'Ready, as set by the pipeline']));
    table.append(tableRow('td', ['composite resource', readiness.composite ?? 'Unspecified']));
    for (const [name, ready] of Object.entries(readiness.composedResources ?? {})) {
      table.append(tableRow('td', [name, ready]));
    }
    container.append(table);
    if (readiness.ttl) container.append(element('p', { className: 'meta' }, `Crossplane calls again within ${readiness.ttl}.`));
  }
}

/** A heading and a list of badged entries (or a line saying there are none); `describe` gives each entry's parts. */
function listSection(title, empty, entries, describe) {
  const heading = element('h3', {}, title);
  if (entries.length === 0) return [heading, element('p', { className: 'empty' }, empty)];
  const list = element('ul', { className: 'results' });
  for (const entry of entries) {
    const { className, tone, badge, message, meta } = describe(entry);
    const item = element('li', { className });
    item.append(element('span', { className: `badge ${tone}` }, badge));
    const body = element('div', { className: 'result-body' });
    body.append(element('p', { className: 'result-message' }, message));
    if (meta) body.append(element('p', { className: 'meta' }, meta));
    item.append(body);
    list.append(item);
  }
  return [heading, list];
}

function tableRow(cell, values) {
  const row = element('tr');
  for (const value of values) {
    const td = element(cell, cell === 'th' ? { scope: 'col' } : {}, value);
    if (cell === 'td' && /^(True|False)$/.test(value)) td.className = value === 'True' ? 'ok-text' : 'fatal-text';
    row.append(td);
  }
  return row;
}

function renderSecrets({ objects }) {
  const container = $('secrets-output');
  container.replaceChildren();
  if (objects.length === 0) {
    container.append(element('p', { className: 'empty' }, 'This render produces no Secrets or ConfigMaps.'));
    return;
  }
  for (const object of objects) {
    const name = namespacedName(object);
    const card = element('article', { className: 'object', 'aria-label': `${object.kind} ${name}` });
    const head = element('header', { className: 'object-head' });
    head.append(element('span', { className: 'kind' }, object.kind ?? 'Object'), element('h3', {}, name));
    if (object.type) head.append(element('span', { className: 'type' }, object.type));
    const keys = objectKeys(object);
    head.append(element('span', { className: 'key-count' }, plural(keys.length, 'key')));
    card.append(head);
    if (keys.length === 0) {
      card.append(element('p', { className: 'empty' }, 'No data.'));
    } else {
      const list = element('ul', { className: 'keys' });
      for (const entry of keys) list.append(keyRow(object, name, entry));
      card.append(list);
    }
    container.append(card);
  }
}

function keyRow(object, name, entry) {
  const row = element('li', { className: 'key' });
  row.append(
    element('code', { className: 'key-name' }, entry.key),
    element('span', { className: 'bytes' }, plural(entry.bytes, 'byte')),
  );
  const value = element('code', { className: 'value', hidden: true });
  const button = element(
    'button',
    { type: 'button', className: 'reveal', 'aria-expanded': 'false', 'aria-label': `Reveal ${entry.key} of ${object.kind} ${name}` },
    'Reveal',
  );
  button.addEventListener('click', () => {
    const showing = button.getAttribute('aria-expanded') === 'true';
    if (showing) {
      value.textContent = '';
      value.hidden = true;
      button.textContent = 'Reveal';
      button.setAttribute('aria-expanded', 'false');
      button.setAttribute('aria-label', `Reveal ${entry.key} of ${object.kind} ${name}`);
    } else {
      const shown = displayValue(entry.value());
      value.textContent = shown.text;
      value.classList.toggle('binary', shown.binary);
      value.title = shown.binary ? 'Not UTF-8: shown as hex bytes' : '';
      value.hidden = false;
      button.textContent = 'Hide';
      button.setAttribute('aria-expanded', 'true');
      button.setAttribute('aria-label', `Hide ${entry.key} of ${object.kind} ${name}`);
    }
  });
  row.append(button, value);
  return row;
}

// ---------------------------------------------------------------------------
// Tabs.

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

// ---------------------------------------------------------------------------
// Examples, editing, sharing.

function setInputs(inputs, functionName = '') {
  for (const input of INPUTS) {
    editors[input.id].value = inputs[input.id] ?? '';
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
  const text = editors[id].value;
  const label = $(`lines-${id}`);
  const blank = text.trim() === '';
  label.textContent = blank ? 'not given' : plural(text.replace(/\n$/, '').split('\n').length, 'line');
  $(`editor-${id}`).classList.toggle('blank', blank);
}

for (const input of INPUTS) {
  editors[input.id].addEventListener('input', () => {
    updateLineCount(input.id);
    scheduleRender();
  });
  editors[input.id].addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      requestRender();
    }
  });
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
    const fragment = await encodeShare({
      inputs: currentInputs(),
      functionName: functionNameInput.value.trim(),
      example: exampleSelect.value,
    });
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
    shareStatus.textContent = copied
      ? `Link copied (${url.length.toLocaleString('en')} characters). The inputs are in its #fragment, which is never sent to a server.`
      : `Share link ready (${url.length.toLocaleString('en')} characters). The inputs are in its #fragment, which is never sent to a server.`;
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
    $('share-status').textContent = 'Opened from a share link.';
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
  }
}

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
    timeoutMs,
  };
}

start();

// ---------------------------------------------------------------------------
// Helpers.

function element(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'className') node.className = value;
    else if (name === 'hidden') node.hidden = Boolean(value);
    else node.setAttribute(name, value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function chip(text, tone) {
  return element('span', { className: `chip ${tone}` }, text);
}

function seconds(ms) {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

function positiveInteger(text) {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value > 0 ? value : undefined;
}
