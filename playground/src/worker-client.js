// The worker that runs the component (worker.js), seen from the page: one
// render at a time, the newest request queued behind it; a render that runs
// longer than the time limit, or traps, ends the worker, and a spare one,
// started in advance, takes its place. The spare has loaded its scripts
// while the page was online, so the page keeps working offline after a
// runaway render too.

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
    this.spare = null;
    this.spareWanted = false;
    this.loaded = new WeakSet(); // workers that have said they are ready
    // The first worker, and the compiled core WebAssembly every worker
    // instantiates, come from the boot script in index.html.
    const boot = window.playgroundBoot;
    window.playgroundBoot = undefined;
    this.cores = boot?.cores;
    this.worker = this.create(boot?.worker);
    if (boot?.error) queueMicrotask(() => this.lost(this.worker, boot.error));
  }

  /** A worker (the given one, or a new one), sent the compiled core modules. */
  create(existing) {
    const worker = existing ?? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'render' });
    worker.onmessage = (event) => this.receive(worker, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.lost(worker, event.message || 'the worker script could not be loaded');
    };
    // Without compiled modules (their download failed), the worker tries itself.
    Promise.resolve(this.cores ?? {}).then(
      (cores) => worker.postMessage({ type: 'init', cores }),
      () => worker.postMessage({ type: 'init', cores: {} }),
    );
    return worker;
  }

  /** A worker whose script failed: a spare is dropped; the current one fails its render. */
  lost(worker, message) {
    worker.terminate();
    if (worker === this.spare) this.spare = null;
    if (worker !== this.worker) return;
    this.worker = null;
    this.finish({ type: 'load-error', message });
  }

  /** The spare worker or, when there is none, a new one. */
  next() {
    const worker = this.spare ?? this.create();
    this.spare = null;
    if (this.spareWanted) this.spare = this.create();
    return worker;
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
    this.worker ??= this.next();
    const id = ++this.sequence;
    this.current = { id, job, timer: setTimeout(() => this.expire('load'), LOAD_TIMEOUT_MS) };
    const message = { type: 'render', id, inputs: job.inputs, functionName: job.functionName };
    if (job.busyMs) message.busyMs = job.busyMs;
    if (job.trap) message.trap = true;
    this.worker.postMessage(message);
  }

  /** Whether a spare has loaded everything it needs. */
  spareReady() {
    return Boolean(this.spare && this.loaded.has(this.spare));
  }

  receive(worker, message) {
    if (message.type === 'ready') {
      this.loaded.add(worker);
      return;
    }
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

  /** Ends the worker, whatever it is doing, and puts the spare in its place. */
  replace() {
    if (this.worker) this.worker.terminate();
    this.restarts += 1;
    this.worker = this.next();
  }

  finish(result) {
    const current = this.current;
    this.current = null;
    if (current) clearTimeout(current.timer);
    if (!this.spareWanted) {
      // The spare starts once the first render has answered, so it does not
      // slow the first output down.
      this.spareWanted = true;
      this.spare = this.create();
    }
    const next = this.queued;
    this.queued = null;
    if (current) this.onResult(current.job, result, { superseded: Boolean(next) });
    if (next) this.start(next);
  }
}
