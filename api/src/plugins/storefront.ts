import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';

export interface StorefrontPluginOptions {
  /** The storefront build (`npm run build -w storefront` writes storefront/dist). */
  distDir: string;
}

// Hashed file names change with their content, so a year-long immutable cache is safe;
// index.html names the current hashes (and their SRI values) and must be revalidated on
// every visit, or a shopper could keep running a withdrawn script.
const ASSET_CACHE = 'public, max-age=31536000, immutable';
const PAGE_CACHE = 'no-cache';

function cacheFor(path: string): string {
  return /[\\/]assets[\\/]/.test(path) ? ASSET_CACHE : PAGE_CACHE;
}

/** Paths that are never the single-page app: the api itself and missing files. */
function isAppPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  if (path === '/api' || path.startsWith('/api/') || path.startsWith('/assets/')) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}

/**
 * Serves the storefront on the api's origin, so the one CSP and the session cookie cover
 * both. It sets no security header of its own: the headers plugin's CSP, frame and
 * content-type headers reach these answers unchanged (PCI DSS v4.0.1 6.4.3).
 */
export const storefrontPlugin = fp(
  async (app: FastifyInstance, opts: StorefrontPluginOptions) => {
    if (!existsSync(join(opts.distDir, 'index.html'))) {
      throw new Error(
        `the storefront is not built (${opts.distDir}/index.html is missing): run npm run build -w storefront`,
      );
    }
    await app.register(fastifyStatic, {
      root: opts.distDir,
      prefix: '/',
      // One route per built file, found at start: no file system lookups driven by the URL.
      wildcard: false,
      index: false,
      redirect: false,
      dotfiles: 'deny',
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header('Cache-Control', cacheFor(path));
      },
    });
    const sendPage = (reply: FastifyReply) => reply.sendFile('index.html');
    app.get('/', { schema: { hide: true } }, (_request, reply) => sendPage(reply));
    // Client-side routes (/cart, /products/:id, /checkout/complete...) get the app's page.
    app.get('/*', { schema: { hide: true } }, (request, reply) => {
      if (!isAppPath(request.url)) return reply.callNotFound();
      return sendPage(reply);
    });
  },
  { name: 'storefront', fastify: '5.x', dependencies: ['security-headers'] },
);
