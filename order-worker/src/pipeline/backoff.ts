import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Exponential backoff with full jitter, capped: after a broker restart every process retries,
 * and spreading the retries keeps them from arriving as one burst.
 */
export function backoffDelay(attempt: number, baseMs = 100, maxMs = 5_000): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/** Sleeps, but wakes at once when the signal aborts (shutdown must not wait out a backoff). */
export async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // aborted: the caller checks the signal
  }
}
