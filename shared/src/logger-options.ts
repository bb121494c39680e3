import type { LoggerOptions } from 'pino';
import { maskFreeText } from './free-text.js';
import { allowedFields, type FieldSpec, LOG_FIELDS } from './log-fields.js';

export interface LoggerConfig {
  service: string;
  level?: string;
  /** Fields this service logs beyond the shared `LOG_FIELDS` (built with `logField`). */
  fields?: Readonly<Record<string, FieldSpec>>;
}

const MESSAGE_MAX = 500;

// Fields arrive already sanitised (the logMethod hook below): pino and Fastify must not
// serialise `req`, `res` or `err` a second time with their own, wider serialisers.
const asIs = (value: unknown) => value;

/**
 * pino options shared by every service (api, order-worker, vault-tokenizer, admin-portal):
 * the fields of a log call pass the allowlist (log-fields.ts), errors pass the one error
 * serialiser, and the message and its format arguments are bounded and masked for card-like
 * numbers and emails (PCI DSS v4.0.1 3.3, 10.2; ARCHITECTURE non-negotiables 1-2). Use with
 * `AccessLog` as Fastify's `logController` for one line per request.
 */
export function loggerOptions({ service, level = 'info', fields }: LoggerConfig): LoggerOptions {
  const allowed = fields ? { ...LOG_FIELDS, ...fields } : LOG_FIELDS;
  return {
    level,
    base: { service },
    serializers: { req: asIs, res: asIs, err: asIs },
    hooks: {
      logMethod(args, method) {
        const first: unknown = args[0];
        let i = 0;
        if (first !== null && typeof first === 'object') {
          // An Error logged bare becomes `err`, so pino, lacking a message, takes the
          // serialised error's (ours or none), never the raw one.
          args[0] = allowedFields(first, allowed) as never;
          i = 1;
        }
        for (; i < args.length; i++) {
          const a: unknown = args[i];
          if (typeof a === 'string') args[i] = maskFreeText(a, MESSAGE_MAX) as never;
          else if (typeof a !== 'number' && typeof a !== 'boolean') args[i] = '[value dropped]' as never;
        }
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
  };
}
