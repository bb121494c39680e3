import type { DatabaseTx } from '@shop/api/db/client';
import type { HandleOutcome, PipelineMessage } from './pipeline-message.js';

/**
 * What both delivery paths (RabbitMQ consumer, embedded outbox claimer) call, inside a
 * transaction they own: the handler's writes and its processed-message record commit together.
 */
export interface MessageHandler {
  /** Names the consumer in the processed-messages table. */
  readonly name: string;
  handle(tx: DatabaseTx, message: PipelineMessage): Promise<HandleOutcome>;
}
