// Runs the render component off the main thread. The page terminates this
// worker when a render runs too long or the component traps, and starts a
// fresh one, so a runaway render never freezes the page.
//
// Messages in:  {type: 'init', cores}, then
//               {type: 'render', id, inputs, functionName, busyMs?, trap?}
//               (busyMs and trap are test hooks the page sends only when
//               opened with ?test)
// Messages out: {type: 'ready'} once the component is instantiated;
//               for each render {type: 'started', id}, then one of
//               {type: 'json', id, json, fatal} and then
//               {type: 'rendered', id, table, yaml, json, fatal, ms}
//               {type: 'input-error', id, error: {file, line, message}}
//               {type: 'trap', id, message}
//               {type: 'load-error', id, message}
// Nothing here logs: inputs and outputs hold secret values.

// Set before anything is awaited, so that no message is missed.
self.onmessage = (event) => {
  if (event.data && event.data.type === 'init') {
    provideCores(event.data.cores ?? {});
  } else {
    handle(event.data);
  }
};

// The page compiles the core WebAssembly once, while this worker loads its
// JavaScript, and sends the compiled modules in an `init` message
// ({type: 'init', cores: {name: WebAssembly.Module}}); a core module it does
// not send is fetched and compiled here.
let provideCores;
const given = new Promise((resolve) => {
  provideCores = resolve;
});
async function compileCore(name) {
  const cores = await given;
  return cores[name] ?? WebAssembly.compileStreaming(fetch(new URL(`./component/${name}`, import.meta.url)));
}
const modules = Promise.all([import('./request.js'), import('./component.js')]);
// Ask for the whole module graph at once rather than one level at a time.
for (const path of ['connection_details.js', 'shim/cli.js', 'shim/io.js', 'shim/random.js', 'shim/common.js', 'shim/environment.js', 'shim/config.js']) {
  import(`./component/${path}`).catch(() => {}); // a failure shows through `modules`
}
const component = modules.then(([, { loadComponent }]) => loadComponent(compileCore));
// Loaded: this worker needs nothing more from the network.
component.then(() => self.postMessage({ type: 'ready' }), () => {});

async function handle(message) {
  if (!message || message.type !== 'render') {
    return;
  }
  const { id } = message;
  let renderer;
  let inputErrorOf;
  let renderRequest;
  try {
    [[{ inputErrorOf, renderRequest }], { renderer }] = await Promise.all([modules, component]);
  } catch (error) {
    self.postMessage({ type: 'load-error', id, message: describe(error) });
    return;
  }
  self.postMessage({ type: 'started', id });
  if (message.busyMs > 0) {
    // Test hook: a render that runs away, to exercise the page's timeout.
    const until = performance.now() + message.busyMs;
    while (performance.now() < until) {
      // spin
    }
  }
  const started = performance.now();
  const request = renderRequest(message.inputs ?? {}, { functionName: message.functionName ?? '' });
  try {
    if (message.trap) {
      // Test hook: behave like an export that traps.
      throw new WebAssembly.RuntimeError('unreachable executed (test hook)');
    }
    const json = renderer.render(request, 'json');
    // Every view but the texts comes from the JSON: the page shows them
    // while the table and YAML texts render.
    self.postMessage({ type: 'json', id, json: json.output, fatal: Boolean(json.fatal) });
    const table = renderer.render(request, 'table');
    const yaml = renderer.render(request, 'yaml');
    self.postMessage({
      type: 'rendered',
      id,
      table: table.output,
      yaml: yaml.output,
      json: json.output,
      fatal: Boolean(table.fatal),
      ms: performance.now() - started,
    });
  } catch (error) {
    const inputError = inputErrorOf(error);
    if (inputError) {
      self.postMessage({ type: 'input-error', id, error: inputError });
    } else {
      // A trap (RuntimeError: unreachable, out of bounds, ...): the instance
      // is unusable now; the page replaces this worker.
      self.postMessage({ type: 'trap', id, message: describe(error) });
    }
  }
}

function describe(error) {
  if (error instanceof Error) {
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}
