/**
 * The search page: serves the static files of `src/web/` (index.html at `/`, app.js, style.css,
 * favicon.svg) with a Content-Security-Policy that forbids inline scripts and styles.
 *
 * Only the files present in `src/web/` when the router is created are served, each on its own
 * exact route: no directory lookups, so requests for the API never touch the file system here.
 * The files are read into memory once, with a content hash ETag (unchanged files answer 304).
 * The page refers to its files by fingerprinted URLs (`/app.js?v=<hash>`): those are cached for a
 * year (`immutable`), since an edit changes the URL; the page itself and a file asked for without
 * its current fingerprint are revalidated every load (`no-cache`), so an edit shows after a
 * restart. Each file is compressed once, at start (brotli and gzip), and sent compressed to
 * clients that accept it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompress, constants, gzipSync } from 'node:zlib';
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
  /** The content hash its fingerprinted URL carries. */
  hash: string;
  /** Compressed variants, when smaller, each with its own ETag. */
  br: { body: Buffer; etag: string } | null;
  gzip: { body: Buffer; etag: string } | null;
  /** Starts making the brotli variant (once; on the thread pool). */
  makeBrotli: (() => void) | null;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  const names = readdirSync(dir).filter((name) => {
    const file = join(dir, name);
    return TYPES[extname(name).toLowerCase()] && !name.startsWith('.') && statSync(file).isFile();
  });
  const add = (name: string, body: Buffer) => {
    const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
    const variant = (zipped: Buffer, suffix: string) =>
      zipped.length < body.length * 0.9 ? { body: zipped, etag: `"${hash}-${suffix}"` } : null;
    const asset: Asset = {
      body,
      type: TYPES[extname(name).toLowerCase()],
      etag: `"${hash}"`,
      hash,
      br: null,
      gzip: variant(gzipSync(body, { level: 9 }), 'gz'),
      // Brotli at its best takes a while: made on the thread pool when a browser first asks for
      // it, not during start-up; gzip until it is ready.
      makeBrotli: () => {
        asset.makeBrotli = null;
        brotliCompress(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }, (err, out) => {
          if (!err) asset.br = variant(out, 'br');
        });
      },
    };
    assets.set('/' + name, asset);
  };
  // The files first, then the HTML pages pointing at them by fingerprinted URLs.
  for (const name of names.filter((n) => extname(n) !== '.html'))
    add(name, readFileSync(join(dir, name)));
  for (const name of names.filter((n) => extname(n) === '.html')) {
    const html = readFileSync(join(dir, name), 'utf8').replace(
      /(\s(?:src|href)=")(\/[\w.-]+)(")/g,
      (all, before: string, path: string, after: string) => {
        const asset = assets.get(path);
        return asset ? `${before}${path}?v=${asset.hash}${after}` : all;
      },
    );
    add(name, Buffer.from(html, 'utf8'));
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
    if (req.query.v === asset.hash) res.set('Cache-Control', IMMUTABLE);
    // Compressed when the browser takes it (every browser does): a third of the bytes or less.
    // Brotli first when taken (browsers list it after gzip with the same weight), as the
    // compression middleware does for the API.
    const brotli = req.acceptsEncodings('br') === 'br';
    if (brotli) asset.makeBrotli?.();
    const encoding =
      asset.br && brotli
        ? 'br'
        : asset.gzip && req.acceptsEncodings('gzip') === 'gzip'
          ? 'gzip'
          : null;
    const variant = encoding === 'br' ? asset.br : encoding === 'gzip' ? asset.gzip : null;
    const etag = variant ? variant.etag : asset.etag;
    res.set({ 'Content-Type': asset.type, ETag: etag });
    res.set('Vary', 'Accept-Encoding');
    if (variant) res.set('Content-Encoding', encoding!);
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
