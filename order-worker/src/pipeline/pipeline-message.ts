/** One event as handlers see it, whether it came from RabbitMQ or straight from the outbox. */
export interface PipelineMessage {
  messageId: string;
  topic: string;
  payload: Record<string, unknown>;
  /** Which delivery of this message this is, from 1 (the broker's count, or the outbox row's). */
  attempt?: number;
}

/** `dead`: the handler gave the message up and recorded why (it is dead-lettered, not retried). */
export type HandleOutcome = 'processed' | 'duplicate' | 'dead';

/** Thrown for a message that can never succeed: it goes to the dead-letter queue at once. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

/**
 * Thrown for a failure a later try may not have (a mail relay down): the message is tried again
 * after the handler's backoff, and counts against the delivery limit.
 */
export class RetryLaterError extends Error {
  override name = 'RetryLaterError';
  constructor(cause: unknown) {
    super('retry later', { cause });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a delivery: a message id (the deduplication key) and a JSON object body. */
export function parseDelivery(messageId: unknown, topic: string, content: Buffer): PipelineMessage {
  if (typeof messageId !== 'string' || !UUID.test(messageId)) throw new PoisonMessageError('missing message id');
  let payload: unknown;
  try {
    payload = JSON.parse(content.toString('utf8'));
  } catch {
    throw new PoisonMessageError('body is not JSON');
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new PoisonMessageError('body is not an object');
  }
  return { messageId, topic, payload: payload as Record<string, unknown> };
}
