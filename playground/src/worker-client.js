// The worker that runs the component (worker.js), seen from the page: one
// render at a time, the newest request queued behind it; a render that runs
// longer than the time limit, or traps, ends the worker, and a fresh one
// takes its place.

/** Downloading and compiling the component is not a runaway render. */
const LOAD_TIMEOUT_MS = 60000;

export class ComponentWorker {
  constructor({ onResult, onJson, timeoutMs }) {
    this.onResult = onResult;
    this.onJson = onJson;
    this.timeoutMs = timeoutMs;
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
    if (message.type === 'json') {
      if (!this.queued) this.onJson(this.current.job, message);
      return;
    }
    clearTimeout(this.current.timer);
    if (message.type === 'started') {
      this.current.timer = setTimeout(() => this.expire('render'), this.timeoutMs);
      return;
    }
    // After a trap the instance is unusable; after a failed load, a fresh
    // worker tries again at the next render.
    if (message.type === 'trap' || message.type === 'load-error') this.replace();
    this.finish(message);
  }

  expire(phase) {
    this.replace();
    this.finish({ type: 'timeout', phase, ms: phase === 'load' ? LOAD_TIMEOUT_MS : this.timeoutMs });
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
