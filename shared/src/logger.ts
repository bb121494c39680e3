import type { LoggerOptions } from 'pino';
import { maskCardNumbers } from './card-numbers.js';

/**
 * Paths that must never reach a log line (PCI DSS v4.0.1 3.3/10.2, ARCHITECTURE non-negotiables 1-2).
 * Bodies are never logged at all; these paths cover headers and domain events that carry objects.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'req.headers["stripe-signature"]',
  'res.headers["set-cookie"]',
  'headers.cookie',
  'headers.authorization',
  '*.password',
  '*.newPassword',
  '*.passwordHash',
  '*.email',
  '*.name',
  '*.phone',
  '*.address',
  '*.shippingAddress',
  '*.line1',
  '*.line2',
  '*.postalCode',
  '*.card',
  '*.cardNumber',
  '*.number',
  '*.pan',
  '*.cvc',
  '*.cvv',
  '*.exp',
  '*.value',
  '*.values',
  '*.secret',
  '*.token',
  '*.clientSecret',
  '*.client_secret',
  'password',
  'email',
  'name',
  'value',
  'values',
];

export interface LoggerConfig {
  service: string;
  level?: string;
}

/** pino options shared by every service: redaction, no bodies, card numbers scrubbed from messages. */
export function loggerOptions({ service, level = 'info' }: LoggerConfig): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: {
      // Only what an operator needs; never the body, query strings with personal data, or cookies.
      req(req: { id?: string; method?: string; url?: string; routeOptions?: { url?: string }; ip?: string }) {
        return {
          id: req.id,
          method: req.method,
          url: req.url ? maskCardNumbers(req.url.split('?')[0] ?? '') : undefined,
          route: req.routeOptions?.url,
          ip: req.ip,
        };
      },
      res(res: { statusCode?: number }) {
        return { statusCode: res.statusCode };
      },
      err(err: {
        type?: string;
        message?: string;
        code?: string;
        statusCode?: number;
        constructor?: { name?: string };
      }) {
        return {
          type: err.constructor?.name ?? err.type,
          code: err.code,
          statusCode: err.statusCode,
          message: typeof err.message === 'string' ? maskCardNumbers(err.message) : undefined,
        };
      },
    },
    hooks: {
      // Last line of defence: a card-like number in a message string never reaches the stream.
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? maskCardNumbers(a) : a));
        return method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
}
