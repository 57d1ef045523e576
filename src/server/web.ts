/**
 * The search page: serves the static files of `src/web/` (index.html at `/`, app.js, style.css,
 * favicon.svg) with a Content-Security-Policy that forbids inline scripts and styles.
 *
 * Only the files present in `src/web/` when the router is created are served, each on its own
 * exact route: no directory lookups, so requests for the API never touch the file system here.
 * The files are read into memory once; browsers revalidate every load (`Cache-Control: no-cache`)
 * against a content hash ETag, so an edit shows after a restart and unchanged files answer 304.
 * Each file is also gzipped once, at start, and sent compressed to clients that accept gzip.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import express, { type Request, type Response } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/**
 * `src/web/` in the repo. Compiled, this file is `dist/src/server/web.js` (three levels below the
 * repo root); run from source (`src/server/web.ts`) it is two levels below.
 */
export function webDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    resolve(here, '..', '..', '..', 'src', 'web'),
    resolve(here, '..', '..', 'src', 'web'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0];
}

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** The gzip variant, when it is smaller, with its own ETag. */
  gzip: { body: Buffer; etag: string } | null;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name).toLowerCase()];
    const file = join(dir, name);
    if (!type || name.startsWith('.') || !statSync(file).isFile()) continue;
    const body = readFileSync(file);
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    const zipped = gzipSync(body, { level: 9 });
    const gzip = zipped.length < body.length * 0.9 ? { body: zipped, etag: `"${hash}-gz"` } : null;
    assets.set('/' + name, { body, type, etag: `"${hash}"`, gzip });
  }
  return assets;
}

function setSecurityHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  });
}

/** GET / (the page) and its static files. Mount before the API's 404 handler. */
export function webRouter(dir: string = webDir()): express.Router {
  const router = express.Router();
  const assets = loadAssets(dir);
  const send = (asset: Asset) => (req: Request, res: Response) => {
    setSecurityHeaders(res);
    // Compressed when the browser takes gzip (every browser does): a third of the bytes.
    const variant =
      asset.gzip && /\bgzip\b/i.test(req.get('Accept-Encoding') ?? '') ? asset.gzip : null;
    const etag = variant ? variant.etag : asset.etag;
    res.set({ 'Content-Type': asset.type, ETag: etag });
    if (asset.gzip) res.set('Vary', 'Accept-Encoding');
    if (variant) res.set('Content-Encoding', 'gzip');
    const inm = req.get('If-None-Match');
    if (inm?.split(/\s*,\s*/).some((tag) => tag === etag || tag === 'W/' + etag)) {
      res.status(304).end();
      return;
    }
    res.send(variant ? variant.body : asset.body);
  };
  const page = assets.get('/index.html');
  if (page) assets.set('/', page);
  router.use((req, res, next) => {
    const asset = req.method === 'GET' || req.method === 'HEAD' ? assets.get(req.path) : undefined;
    if (asset) send(asset)(req, res);
    else next();
  });
  return router;
}
