// A tiny static file server for dist/, for trying the playground locally
// and for the browser tests. Loopback only by default; no server-side code.
//
//   npm run serve                 → http://127.0.0.1:8787/
//   npm run serve -- --port 0     → any free port
//   npm run serve -- --host 0.0.0.0 --port 9000 path/to/dir

import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_ROOT = fileURLToPath(new URL('../dist/', import.meta.url));

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The file under `root` a URL path names, or undefined. */
function resolvePath(root, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const path = resolve(root, `.${decoded}`);
  if (path !== root && !path.startsWith(root.endsWith(sep) ? root : root + sep)) return undefined;
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) {
      const index = join(path, 'index.html');
      return statSync(index).isFile() ? { path: index, size: statSync(index).size } : undefined;
    }
    return stats.isFile() ? { path, size: stats.size } : undefined;
  } catch {
    return undefined;
  }
}

/** Starts serving `root`; resolves to {url, port, close()} once listening. */
export function startServer({ root = DEFAULT_ROOT, host = '127.0.0.1', port = 0 } = {}) {
  const base = resolve(root);
  const server = createServer((request, response) => {
    const headers = { 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...headers, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('method not allowed\n');
      return;
    }
    const { pathname } = new URL(request.url, 'http://localhost');
    const file = resolvePath(base, pathname);
    if (!file) {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    if (pathname.endsWith('/') === false && file.path.endsWith(`${sep}index.html`) && !pathname.endsWith('index.html')) {
      response.writeHead(301, { ...headers, Location: `${pathname}/` });
      response.end();
      return;
    }
    const type = TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
    response.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': file.size });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    createReadStream(file.path).pipe(response);
  });
  return new Promise((resolveStart, rejectStart) => {
    server.once('error', rejectStart);
    server.listen(port, host, () => {
      server.off('error', rejectStart);
      const { port: actual } = server.address();
      const shown = host.includes(':') ? `[${host}]` : host;
      resolveStart({
        url: `http://${shown}:${actual}/`,
        port: actual,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

function parseArguments(argv) {
  const options = { host: '127.0.0.1', port: Number(process.env.PORT ?? 8787), root: DEFAULT_ROOT };
  for (let i = 0; i < argv.length; i += 1) {
    const argument = argv[i];
    if (argument === '--port' || argument === '-p') options.port = Number(argv[++i]);
    else if (argument === '--host') options.host = argv[++i];
    else if (argument === '--help' || argument === '-h') options.help = true;
    else options.root = resolve(argument);
  }
  return options;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const options = parseArguments(process.argv.slice(2));
  if (options.help) {
    console.log('usage: npm run serve -- [--host HOST] [--port PORT] [DIR]   (default 127.0.0.1:8787, dist/)');
    process.exit(0);
  }
  try {
    statSync(join(options.root, 'index.html'));
  } catch {
    console.error(`${options.root} has no index.html. Run \`npm run build\` first.`);
    process.exit(1);
  }
  startServer(options).then(
    ({ url }) => console.log(`Serving ${options.root} at ${url}  (Ctrl-C to stop)`),
    (error) => {
      console.error(
        error.code === 'EADDRINUSE'
          ? `Port ${options.port} is in use; pick another with \`npm run serve -- --port N\` (0 picks a free one).`
          : error.message,
      );
      process.exit(1);
    },
  );
}
