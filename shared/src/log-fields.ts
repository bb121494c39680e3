import { serializeError } from './error-serializer.js';
import { maskFreeText } from './free-text.js';

/**
 * Logs by allowlist (ARCHITECTURE "logs by allowlist"; PCI DSS v4.0.1 3.3, 10.2): a field
 * reaches a log line because it is listed here with its type and bound, never because no
 * redaction path caught it. A value of the wrong type is dropped; a key that is not listed
 * (at any depth) is dropped; the names of dropped keys are written in `droppedKeys`, so a
 * missing field shows in the line instead of vanishing silently. Free text (messages, URLs,
 * the few `text` fields) is bounded and masked for card-like numbers and emails.
 *
 * To log a new field, add it to `LOG_FIELDS` (shared by every service) or pass it to
 * `loggerOptions({ fields })` (one service only), built with `logField`.
 */

/** Sanitises one value: the value to write, or `DROP` when it is not of the field's type. */
export type FieldSpec = (value: unknown, dropped: string[], path: string) => unknown;

export const DROP: unique symbol = Symbol('drop');

const KEYWORD = /^[A-Za-z0-9_.:/+-]{1,100}$/;
const ID = /^[A-Za-z0-9_.:-]{1,100}$/;
const STAFF_IDENTITY = /^[A-Za-z0-9_.@+-]{1,200}$/;

function drop(dropped: string[], path: string): typeof DROP {
  if (dropped.length < 20) dropped.push(maskFreeText(path, 100));
  return DROP;
}

/** Builds every field of `shape` (an allowlist one level down), dropping the rest. */
function pick(value: object, shape: Readonly<Record<string, FieldSpec>>, dropped: string[], prefix: string) {
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || !Object.hasOwn(value, key)) continue;
    const spec = Object.hasOwn(shape, key) ? shape[key] : undefined;
    const path = prefix ? `${prefix}.${key}` : key;
    if (!spec) {
      drop(dropped, path);
      continue;
    }
    const clean = spec(v, dropped, path);
    if (clean !== DROP && clean !== undefined) out[key] = clean;
  }
  return out;
}

/** Field types. Every one checks its type and bounds its size. */
export const logField = {
  /** An identifier: a uuid, a Stripe or message id, or a non-negative integer id. */
  id(): FieldSpec {
    return (v, d, p) =>
      (typeof v === 'string' && ID.test(v)) || (Number.isSafeInteger(v) && (v as number) >= 0) ? v : drop(d, p);
  },
  /** A code-chosen word (event name, outcome, status code, route pattern): no spaces, at most 100. */
  keyword(): FieldSpec {
    return (v, d, p) => (typeof v === 'string' && KEYWORD.test(v) ? v : drop(d, p));
  },
  /**
   * A staff member's identity as the admin portal names them (often an address of the staff
   * domain): who did what is what PCI DSS 10.2.2 asks a log to record, so it is not masked like
   * free text. It names staff, never a customer; anything outside its shape is dropped.
   */
  staffIdentity(): FieldSpec {
    return (v, d, p) => (typeof v === 'string' && STAFF_IDENTITY.test(v) ? v : drop(d, p));
  },
  /** Free text, bounded and masked. */
  text(max = 300): FieldSpec {
    return (v, d, p) => (typeof v === 'string' ? maskFreeText(v, max) : drop(d, p));
  },
  int(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): FieldSpec {
    return (v, d, p) => (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? v : drop(d, p));
  },
  number(): FieldSpec {
    return (v, d, p) => (typeof v === 'number' && Number.isFinite(v) ? v : drop(d, p));
  },
  bool(): FieldSpec {
    return (v, d, p) => (typeof v === 'boolean' ? v : drop(d, p));
  },
  /** An array of at most `maxItems` values of one type. */
  list(item: FieldSpec, maxItems = 20): FieldSpec {
    return (v, d, p) => {
      if (!Array.isArray(v)) return drop(d, p);
      const out: unknown[] = [];
      for (const x of v.slice(0, maxItems)) {
        const clean = item(x, d, `${p}[]`);
        if (clean !== DROP) out.push(clean);
      }
      return out;
    };
  },
  /** A nested object with its own allowlist. */
  object(shape: Readonly<Record<string, FieldSpec>>): FieldSpec {
    return (v, d, p) => (v && typeof v === 'object' && !Array.isArray(v) ? pick(v, shape, d, p) : drop(d, p));
  },
  /** Counters: keyword keys (at most 30) to integers, e.g. a worker's statistics. */
  counts(): FieldSpec {
    return (v, d, p) => {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return drop(d, p);
      const out: Record<string, number> = {};
      let n = 0;
      for (const [k, x] of Object.entries(v)) {
        if (n++ >= 30 || !KEYWORD.test(k) || !Number.isSafeInteger(x)) drop(d, `${p}.${k}`);
        else out[k] = x as number;
      }
      return out;
    };
  },
  /** An error, through the one error serializer (class, code, our own message only). */
  error(): FieldSpec {
    return (v) => serializeError(v);
  },
} as const;

interface LoggedRequest {
  method?: unknown;
  url?: unknown;
  ip?: unknown;
  routeOptions?: { url?: unknown };
}

const METHOD = /^[A-Z]{1,16}$/;
// A path segment this long is an id, a token or a secret more often than a word.
const LONG_SEGMENT = /[^/]{33,}/g;

/**
 * Where a request went, never what it carried: the matched route pattern when the route has
 * parameters (so `/v1/tokens/:token`, never the token), else the path without its query,
 * with long segments masked; card-like numbers and emails masked either way.
 */
export function requestUrl(req: LoggedRequest): string | undefined {
  const route = req.routeOptions?.url;
  if (typeof route === 'string' && route.includes(':')) return route;
  if (typeof req.url !== 'string') return undefined;
  const q = req.url.indexOf('?');
  const path = q === -1 ? req.url : req.url.slice(0, q);
  return maskFreeText(path.length > 32 ? path.replace(LONG_SEGMENT, ':masked') : path, 200);
}

function request(): FieldSpec {
  return (v, d, p) => {
    if (!v || typeof v !== 'object') return drop(d, p);
    const req = v as LoggedRequest;
    const route = req.routeOptions?.url;
    return {
      method: typeof req.method === 'string' && METHOD.test(req.method) ? req.method : undefined,
      url: requestUrl(req),
      route: typeof route === 'string' ? maskFreeText(route, 200) : undefined,
      ip: typeof req.ip === 'string' ? req.ip.slice(0, 64) : undefined,
    };
  };
}

function response(): FieldSpec {
  return (v, d, p) => {
    const status = (v as { statusCode?: unknown } | null)?.statusCode;
    return Number.isInteger(status) ? { statusCode: status } : drop(d, p);
  };
}

const f = logField;

/**
 * Every field any service logs, by name, for the api, the order-worker and the
 * vault-tokenizer. Bindings (`service`, `pid`, `hostname`, `reqId`, `stream`) are set by the
 * code, not by log calls, and are not filtered.
 */
export const LOG_FIELDS: Readonly<Record<string, FieldSpec>> = {
  // The access line (one per request).
  req: request(),
  res: response(),
  responseTime: f.number(),
  /** The public error code a refused request was answered with. */
  code: f.keyword(),
  err: f.error(),
  statusCode: f.int(100, 599),
  /** The tokenizer's caller (its certificate's service name). */
  caller: f.keyword(),

  // Domain events of the api.
  event: f.keyword(),
  userId: f.id(),
  orderId: f.id(),
  paymentIntent: f.id(),
  eventId: f.id(),
  eventType: f.keyword(),
  outcome: f.keyword(),
  amountMinor: f.int(),
  currency: f.keyword(),
  route: f.keyword(),
  failed: f.int(0, 100),
  csp: f.object({
    directive: f.keyword(),
    blocked: f.text(300),
    document: f.text(300),
    disposition: f.keyword(),
  }),

  // The order-worker and its pipeline.
  mode: f.keyword(),
  signal: f.keyword(),
  stats: f.counts(),
  template: f.keyword(),
  messageId: f.id(),
  outboxId: f.id(),
  topic: f.keyword(),
  queue: f.keyword(),
  exchange: f.keyword(),
  /** A broker URL with its credentials already removed (redactAmqpUrl). */
  broker: f.text(200),
  prefetch: f.int(0, 100_000),
  attempt: f.int(0),
  attempts: f.int(0),
  dead: f.bool(),
  delayMs: f.int(0),

  // The admin portal: accounts the PCI DSS 8.2.6 inactivity sweep disabled in one run, and the
  // entry count an audit checkpoint signed.
  disabledAccounts: f.int(0),
  checkpointEntries: f.int(0),

  // The vault-tokenizer.
  audit: f.object({
    caller: f.keyword(),
    operation: f.keyword(),
    outcome: f.keyword(),
    fieldTypes: f.list(f.keyword(), 10),
    count: f.int(0),
    staffIdentity: f.staffIdentity(),
    reason: f.text(500),
    detail: f.keyword(),
  }),
  keyProvider: f.keyword(),
  policyVersion: f.int(0),
  port: f.int(0, 65_535),
  crlFile: f.text(300),
  /** An hourly bound of the tokenizer's policy (erase, reveal) and its limit. */
  bound: f.keyword(),
  perHour: f.int(0),
  staffIdentity: f.staffIdentity(),
  // mTLS connection guard (shared/src/mtls-connections.ts).
  revoked: f.int(0),
  reason: f.keyword(),
  peer: f.text(64),
  serial: f.keyword(),

  // The egress proxy (egress-proxy/): where a tunnel went and how much it carried, never what.
  /** A CONNECT target (`host:port`), or what a refused client sent in its place, bounded and masked. */
  target: f.text(270),
  /** The allowlist in force at start. */
  allowed: f.list(f.keyword(), 50),
  /** Bytes client → upstream and upstream → client through one tunnel. */
  bytesUp: f.int(0),
  bytesDown: f.int(0),
  durationMs: f.int(0),
  clientAddress: f.text(64),
  /** The HTTP method of a refused request (anything but CONNECT). */
  method: f.keyword(),
  tunnels: f.int(0),
};

/**
 * The log line's fields: listed ones sanitised, the names of the others in `droppedKeys`.
 * An Error passed directly is logged as `err`.
 */
export function allowedFields(value: object, fields: Readonly<Record<string, FieldSpec>>): Record<string, unknown> {
  const dropped: string[] = [];
  const out = pick(value instanceof Error ? { err: value } : value, fields, dropped, '');
  if (dropped.length > 0) out.droppedKeys = dropped;
  return out;
}
