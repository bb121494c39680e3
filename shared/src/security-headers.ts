import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The headers helmet's middleware sets for these options, lower-cased, computed once at start
 * (issue 9, item 4). `@fastify/helmet` 13 calls `helmet(options)` again on every request,
 * rebuilding the middleware and re-serialising the CSP; a service keeps helmet's options as the
 * definition of its headers and sets this record in one hook instead. Used by the api and the
 * admin portal; each has a test comparing the result with what `@fastify/helmet` sends.
 */
export function helmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure;
  return headers;
}

export type { HelmetOptions };
