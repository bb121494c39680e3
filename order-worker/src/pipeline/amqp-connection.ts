import amqp, { type ChannelModel } from 'amqplib';
import type { Logger } from 'pino';
import { backoffDelay, sleepUnlessAborted } from './backoff.js';

/** The broker URL without credentials, for log lines. */
export function redactAmqpUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return 'amqp://[unparseable]';
  }
}

/**
 * Connects, retrying with backoff until it succeeds or the signal aborts. amqplib does not
 * reconnect by itself, so every user of the broker goes through this after a close.
 * Returns null when aborted.
 */
export async function connectWithBackoff(
  url: string,
  signal: AbortSignal,
  log: Pick<Logger, 'warn'>,
): Promise<ChannelModel | null> {
  for (let attempt = 0; !signal.aborted; attempt++) {
    try {
      const conn = await amqp.connect(url, { timeout: 5_000 });
      // Without a listener an 'error' event would crash the process; the 'close' that
      // follows it is what the callers react to.
      conn.on('error', () => {});
      return conn;
    } catch (err) {
      const delay = backoffDelay(attempt);
      log.warn({ broker: redactAmqpUrl(url), attempt, delayMs: delay, err }, 'broker unreachable, retrying');
      await sleepUnlessAborted(delay, signal);
    }
  }
  return null;
}

/** Resolves when the connection or channel closes (for any reason). */
export function closed(emitter: { once(event: 'close', cb: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once('close', () => resolve()));
}
