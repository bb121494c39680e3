import { type FieldSpec, logField as f, loggerOptions } from '@shop/shared/logger';
import type { LoggerOptions } from 'pino';

/**
 * Fields only the order-worker logs, on top of the shared allowlist (shared/src/log-fields.ts).
 * Mail lines name the request, the template and the user by id: never an address, a name, a
 * token or what the relay answered (its text may echo the address).
 */
export const WORKER_LOG_FIELDS: Readonly<Record<string, FieldSpec>> = {
  requestId: f.id(),
  /** Where mail goes: the transport's description, credentials never in it. */
  mail: f.text(300),
};

export function workerLoggerOptions(level?: string): LoggerOptions {
  return loggerOptions({ service: 'order-worker', level, fields: WORKER_LOG_FIELDS });
}
