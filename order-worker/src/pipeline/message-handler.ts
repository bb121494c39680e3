import type { DatabaseTx } from '@shop/api/db/client';
import type { HandleOutcome, PipelineMessage } from './pipeline-message.js';

/**
 * What both delivery paths (RabbitMQ consumer, embedded outbox claimer) call, inside a
 * transaction they own: the handler's writes and its processed-message record commit together.
 */
export interface MessageHandler {
  /** Names the consumer in the processed-messages table. */
  readonly name: string;
  /** Topics this handler takes, as AMQP binding patterns (`order.*`: one word for the star). */
  readonly topics: readonly string[];
  handle(tx: DatabaseTx, message: PipelineMessage): Promise<HandleOutcome>;
  /** Wait before try `attempt + 1` after a RetryLaterError (none: at once). */
  retryDelayMs?(attempt: number): number;
}

/** Whether a binding pattern (`order.*`, `mail.requested`) matches a topic. */
export function topicMatches(pattern: string, topic: string): boolean {
  const words = pattern.split('.');
  const parts = topic.split('.');
  return words.length === parts.length && words.every((w, i) => w === '*' || w === parts[i]);
}

export function takes(handler: MessageHandler, topic: string): boolean {
  return handler.topics.some((p) => topicMatches(p, topic));
}
