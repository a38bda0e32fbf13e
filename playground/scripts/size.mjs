// The download size of dist/: every file's bytes, and gzipped (level 9), as
// a static server that compresses would send them.
//
//   npm run size

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

function* files(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

/** [{path, bytes, gzipped}] for every file under `root`, largest first. */
export function measure(root = DIST) {
  statSync(root); // throws ENOENT with the path when dist/ is missing
  const rows = [];
  for (const path of files(root)) {
    const content = readFileSync(path);
    rows.push({ path: relative(root, path), bytes: content.length, gzipped: gzipSync(content, { level: 9 }).length });
  }
  return rows.sort((a, b) => b.gzipped - a.gzipped);
}

export function report(rows, print = console.log) {
  const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
  const width = Math.max(...rows.map((row) => row.path.length), 5);
  print(`${'file'.padEnd(width)}  ${'bytes'.padStart(10)}  ${'gzipped'.padStart(10)}`);
  for (const row of rows) {
    print(`${row.path.padEnd(width)}  ${kib(row.bytes).padStart(10)}  ${kib(row.gzipped).padStart(10)}`);
  }
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  const gzipped = rows.reduce((sum, row) => sum + row.gzipped, 0);
  print(`${'total'.padEnd(width)}  ${kib(total).padStart(10)}  ${kib(gzipped).padStart(10)}`);
  print(`dist/ is ${total.toLocaleString('en')} bytes, ${gzipped.toLocaleString('en')} bytes gzipped (${kib(gzipped)}).`);
  return { total, gzipped };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    report(measure());
  } catch (error) {
    console.error(`${error.message}\nRun \`npm run build\` first.`);
    process.exit(1);
  }
}
