import { maskFreeText } from './free-text.js';

/**
 * The one way any service writes an error to a log line (issue: database errors wrote query
 * parameters to the log). An error's message is text someone else wrote: DrizzleQueryError
 * embeds the query and its `params:` (an argon2id hash, a blind index, tokens), PostgreSQL
 * quotes the offending value ("invalid input syntax for type uuid: ..."), Stripe and the
 * tokenizer send their own bodies. So a logged error carries only:
 * - `type`: the error's class;
 * - `code`: the first code found on it or its causes (a SQLSTATE such as `55P03`, an errno
 *   such as `ECONNREFUSED`, one of our codes, a Stripe code), when it is a short keyword;
 * - `statusCode`, and `cause`: the class of what it wraps;
 * - `message`: only when the message is ours (an error declared with `defineError`, or a
 *   class registered with `ownMessage`), masked and bounded all the same.
 */
export interface LoggedError {
  type: string;
  code?: string;
  statusCode?: number;
  cause?: string;
  message?: string;
}

const OWN_MESSAGE_CLASSES = new WeakSet<object>();

/**
 * Marks an error class whose messages we write ourselves and that never embed a value, so
 * its message may reach a log line. `defineError` marks every error it declares.
 */
export function ownMessage<T extends abstract new (...args: never[]) => Error>(errorClass: T): T {
  OWN_MESSAGE_CLASSES.add(errorClass);
  return errorClass;
}

const KEYWORD = /^[A-Za-z0-9_.-]{1,64}$/;
const CLASS_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;

function className(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && CLASS_NAME.test(name) ? name : 'Error';
}

function codeOf(value: object): string | undefined {
  let e: unknown = value;
  for (let depth = 0; depth < 4 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && KEYWORD.test(code)) return code;
    if (typeof code === 'number' && Number.isInteger(code)) return String(code);
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function serializeError(err: unknown): LoggedError {
  if (!err || typeof err !== 'object') return { type: typeof err };
  const out: LoggedError = { type: className(err) };
  const code = codeOf(err);
  if (code) out.code = code;
  const { statusCode, cause, message } = err as { statusCode?: unknown; cause?: unknown; message?: unknown };
  if (typeof statusCode === 'number' && Number.isInteger(statusCode)) out.statusCode = statusCode;
  if (cause && typeof cause === 'object') out.cause = className(cause);
  const ctor = (err as { constructor?: unknown }).constructor;
  if (typeof message === 'string' && ctor && OWN_MESSAGE_CLASSES.has(ctor)) out.message = maskFreeText(message, 300);
  return out;
}
