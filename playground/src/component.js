// Instantiates the transpiled component (jco, instantiation mode) with the
// browser WASI shims of preview2-shim, granting what the CLI's host grants:
// no arguments, no environment, stdin closed, stdout and stderr discarded.
// Used by the page's worker and by the Node tests alike.

import { instantiate } from './component/connection_details.js';
import { createCli } from './component/shim/cli.js';
import * as io from './component/shim/io.js';
import { insecureSeed } from './component/shim/random.js';

const DISCARD = { write() {} };

function kebab(name) {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/**
 * The component's exports ({renderer, functionRunner}). `compileCore(name)`
 * returns (a promise of) the WebAssembly.Module of each core module file
 * jco wrote beside connection_details.js.
 */
export function loadComponent(compileCore) {
  const cli = createCli({ stdout: DISCARD, stderr: DISCARD, environment: {}, arguments: [] });
  const imports = {};
  for (const [pkg, module] of [
    ['cli', cli],
    ['io', { error: io.error, poll: io.poll, streams: io.streams }],
    ['random', { insecureSeed }],
  ]) {
    for (const [name, value] of Object.entries(module)) {
      imports[`wasi:${pkg}/${kebab(name)}`] = value;
    }
  }
  return instantiate(compileCore, imports);
}
