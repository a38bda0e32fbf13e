// Builds the static site into dist/:
//   - shrinks the component with Binaryen's wasm-opt (-Oz, through `jco opt`):
//     a fifth smaller, and the page downloads it;
//   - transpiles it to JavaScript + core WebAssembly with
//     jco in instantiation mode (src/component.js hands it the browser WASI
//     shims of preview2-shim, copied beside it, by relative paths, since a
//     Web Worker does not see a page's import map; and the worker compiles
//     the core WebAssembly while the JavaScript loads);
//     both steps are skipped when the component is the one they last saw;
//   - bundles the page's modules and CodeMirror into app.js with esbuild,
//     the input CRD's schema (package/input/) compiled in, and copies the
//     page and the worker's modules;
//   - gathers every examples/<name>/ folder that has an xr.yaml into
//     examples.json, so new examples appear without code changes.
//
//   npm run build            # builds the small component (cargo profile `component`) first
//   COMPONENT_WASM=path/to/connection_details.wasm npm run build

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

import { INPUTS } from '../src/request.js';
import { loadInputSchema } from './input-schema.mjs';
import { measure, report } from './size.mjs';

const MAIN_CORE_MODULE = 'connection_details.core.wasm';

const here = dirname(fileURLToPath(import.meta.url));
const playground = resolve(here, '..');
const repository = resolve(playground, '..');
const dist = join(playground, 'dist');

/** Where the host's build keeps its component builds; the playground's goes beside them. */
const COMPONENT_TARGET_DIR = join(resolve(repository, process.env.CARGO_TARGET_DIR || 'target'), 'component-build');
const DEFAULT_COMPONENT = join(COMPONENT_TARGET_DIR, 'wasm32-wasip2/component/connection_details.wasm');
const component = resolve(process.env.COMPONENT_WASM || DEFAULT_COMPONENT);
const examplesDir = resolve(process.env.EXAMPLES_DIR || join(repository, 'examples'));
const DEFAULT_EXAMPLE = 'aws-iam';

/** The modules the worker imports (src/worker.js), copied beside it. */
const WORKER_MODULES = ['worker.js', 'request.js', 'component.js'];

/** The browser shims the component's imports (wasi:cli, wasi:io, wasi:random) need. */
const SHIMS = ['cli.js', 'io.js', 'random.js', 'common.js', 'environment.js', 'config.js'];

/** An installed package's folder (their exports hide package.json from require.resolve). */
function packageDir(name) {
  const directory = join(playground, 'node_modules', ...name.split('/'));
  if (!existsSync(join(directory, 'package.json'))) fail(`${name} is not installed: run \`npm ci\` first`);
  return directory;
}

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

/**
 * The small build of the component (the host embeds a faster, larger one):
 * cargo rebuilds it only when the sources changed. The Rust target must be
 * installed; building the host (`cargo build -p function-connection-details`)
 * adds it where rustup can.
 */
function buildSmallComponent() {
  try {
    execFileSync(
      'cargo',
      ['build', '--locked', '--package', 'connection-details', '--lib', '--target', 'wasm32-wasip2',
        '--profile', 'component', '--target-dir', COMPONENT_TARGET_DIR],
      { cwd: repository, stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch {
    fail('building the component with cargo failed (see above); `rustup target add wasm32-wasip2` if the target is missing');
  }
}

/**
 * src/app.js and what it imports, minified into dist/app.js and its chunks;
 * `virtual:input-schema` is the CRD's schema. Returns the chunks app.js
 * imports statically, which the page preloads beside it.
 */
async function bundlePage() {
  const schema = loadInputSchema();
  const inputSchema = {
    name: 'input-schema',
    setup(plugin) {
      plugin.onResolve({ filter: /^virtual:input-schema$/ }, () => ({ path: 'input-schema', namespace: 'input-schema' }));
      plugin.onLoad({ filter: /.*/, namespace: 'input-schema' }, () => ({ contents: JSON.stringify(schema), loader: 'json' }));
    },
  };
  try {
    const result = await build({
      entryPoints: [join(playground, 'src', 'app.js')],
      outdir: dist,
      // The editors (CodeMirror, most of the bytes) are a chunk of their own,
      // which app.js loads after asking for the first render.
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      format: 'esm',
      minify: true,
      target: 'es2022',
      legalComments: 'linked',
      plugins: [inputSchema],
      metafile: true,
      absWorkingDir: playground, // the metafile's paths are relative to it
      logLevel: 'warning',
    });
    const entry = Object.entries(result.metafile.outputs).find(([, output]) => output.entryPoint)[1];
    return entry.imports.filter((imported) => imported.kind === 'import-statement').map((imported) => relative(dist, resolve(playground, imported.path)));
  } catch (error) {
    fail(`esbuild could not bundle the page (${error.message})`);
  }
}

if (!process.env.COMPONENT_WASM) buildSmallComponent();
if (!existsSync(component)) {
  fail(`the component ${component} does not exist${process.env.COMPONENT_WASM ? ' (COMPONENT_WASM)' : ''}.`);
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'component', 'shim'), { recursive: true });

const jcoDir = packageDir('@bytecodealliance/jco');
const jcoBin = join(jcoDir, JSON.parse(readFileSync(join(jcoDir, 'package.json'), 'utf8')).bin.jco);

/**
 * The WebAssembly features rustc enables for wasm32-wasip2 (`rustc --print
 * cfg --target wasm32-wasip2`): wasm-opt may use these and no others, so
 * the optimised module runs wherever the original does.
 */
const RUSTC_FEATURES = ['bulk-memory', 'multivalue', 'mutable-globals', 'nontrapping-float-to-int', 'reference-types', 'sign-ext'];

/**
 * The component's core modules through wasm-opt -Oz. Not `jco transpile
 * --optimize`: the catalog states the bytes of the component the page
 * runs, so it is written out first.
 */
function optimize(input, output) {
  const args = ['-Oz', '--strip-debug', ...RUSTC_FEATURES.map((feature) => `--enable-${feature}`)];
  try {
    execFileSync(process.execPath, [jcoBin, 'opt', input, '-o', output, '--quiet', '--', ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (error) {
    fail(`jco opt (wasm-opt) failed on ${input} (${error.message})`);
  }
}

// 1. The component, optimised and transpiled into a cache beside the cargo
// builds (so what the page runs can be inspected), which later builds reuse
// while the component and the tools are the same.
const cache = join(COMPONENT_TARGET_DIR, 'playground');
const optimized = join(cache, 'connection_details.wasm');
const transpiled = join(cache, 'transpiled');
const stampPath = join(cache, 'stamp.json');
const stamp = JSON.stringify({
  component: createHash('sha256').update(readFileSync(component)).digest('hex'),
  jco: JSON.parse(readFileSync(join(jcoDir, 'package.json'), 'utf8')).version,
  features: RUSTC_FEATURES,
});
if (existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp && existsSync(join(transpiled, MAIN_CORE_MODULE))) {
  console.log(`The component is unchanged since the last build: reusing ${relative(process.cwd(), cache)}/`);
} else {
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  optimize(component, optimized);
  transpile(optimized, transpiled);
  writeFileSync(stampPath, stamp);
}
cpSync(transpiled, join(dist, 'component'), { recursive: true });

function transpile(input, output) {
  try {
    execFileSync(
      process.execPath,
      [jcoBin, 'transpile', input, '--name', 'connection_details', '--minify', '--instantiation', 'async', '--quiet', '-o', output],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch (error) {
    fail(`jco transpile failed (${error.message})`);
  }
  // Type declarations are of no use to the page (jco writes them regardless).
  rmSync(join(output, 'interfaces'), { recursive: true, force: true });
  rmSync(join(output, 'connection_details.d.ts'), { force: true });
}

const generated = readFileSync(join(dist, 'component', 'connection_details.js'), 'utf8');
const wanted = new Set([...generated.matchAll(/\[`(wasi:[a-z-]+\/[a-z-]+)`\]/g)].map((m) => m[1]));
const granted = new Set(['cli', 'io', 'random']);
const missing = [...wanted].filter((name) => !granted.has(name.slice('wasi:'.length, name.indexOf('/'))));
if (wanted.size === 0 || missing.length > 0) {
  fail(`the component imports ${missing.join(', ') || 'nothing jco names'}; src/component.js grants only wasi:cli, wasi:io and wasi:random`);
}
if (!existsSync(join(dist, 'component', MAIN_CORE_MODULE))) {
  fail(`jco wrote no ${MAIN_CORE_MODULE}; update it here and in src/worker.js, which fetches it first`);
}
const shimDir = join(packageDir('@bytecodealliance/preview2-shim'), 'dist', 'browser');
for (const shim of SHIMS) {
  copyFileSync(join(shimDir, shim), join(dist, 'component', 'shim', shim));
}

// 2. The page: app.js bundles the page's modules, CodeMirror and the input
// schema; the worker's modules are copied as they are (the worker imports
// them, and the transpiled component, by relative paths). The boot script
// compiles the core modules jco wrote; the Content-Security-Policy allows
// that one inline script by its hash.
for (const file of ['index.html', 'style.css', ...WORKER_MODULES]) copyFileSync(join(playground, 'src', file), join(dist, file));
const pageChunks = await bundlePage();
const coreModules = readdirSync(join(dist, 'component')).filter((name) => name.endsWith('.wasm')).sort();
const indexPath = join(dist, 'index.html');
let index = readFileSync(indexPath, 'utf8')
  .replace('__CORE_MODULES__', JSON.stringify(coreModules))
  .replace('__MODULE_PRELOADS__', pageChunks.map((chunk) => `<link rel="modulepreload" href="${chunk}">`).join('\n  '));
const scripts = [...index.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
if (scripts.length !== 1) fail(`index.html should have exactly one inline script, not ${scripts.length}`);
const scriptHash = `'sha256-${createHash('sha256').update(scripts[0]).digest('base64')}'`;
index = index.replace('__BOOT_SCRIPT_HASH__', scriptHash);
if (index.includes('__')) fail('index.html has a placeholder the build did not fill in');
writeFileSync(indexPath, index);

// 3. The examples, and what the footer says about the component.
const examples = [];
for (const entry of readdirSync(examplesDir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
  const folder = join(examplesDir, entry.name);
  if (!entry.isDirectory() || !existsSync(join(folder, 'xr.yaml'))) continue;
  const files = {};
  for (const input of INPUTS) {
    const path = join(folder, input.file);
    if (existsSync(path)) files[input.id] = readFileSync(path, 'utf8');
  }
  examples.push({ name: entry.name, files });
}
if (examples.length === 0) fail(`no example folder with an xr.yaml under ${examplesDir}`);
const wasm = readFileSync(optimized);
const catalog = {
  default: examples.some((example) => example.name === DEFAULT_EXAMPLE) ? DEFAULT_EXAMPLE : examples[0].name,
  component: { bytes: wasm.length, sha256: createHash('sha256').update(wasm).digest('hex') },
  examples,
};
writeFileSync(join(dist, 'examples.json'), `${JSON.stringify(catalog)}\n`);

console.log(`Built ${relative(process.cwd(), dist) || dist}/ from ${component} (${wasm.length} bytes after wasm-opt)`);
console.log(`Examples: ${examples.map((example) => example.name).join(', ')}\n`);
report(measure(dist));
