import { randomUUID } from 'node:crypto';
import { MAIL_REQUESTED_TOPIC, type MailRequest } from '@shop/shared/mail-request';
import type { DatabaseTx } from '../db/client.js';
import { outbox } from '../db/schema/pipeline.js';

/** Topics (AMQP routing keys) of order events. */
export type OrderTopic = 'order.paid' | 'order.payment_failed' | 'order.refunded' | 'order.disputed';

/** Payloads carry ids and amounts only: never personal data or card data. */
export interface OrderEventPayload {
  orderId: string;
  [key: string]: string | number | boolean | null;
}

/**
 * Records an event in the same transaction as the state change it announces: if the
 * transaction rolls back, the event never existed; if it commits, the relay will deliver it.
 * The relay is woken at commit by the outbox table's insert trigger (NOTIFY shop_outbox).
 */
export async function writeOutbox(tx: DatabaseTx, topic: OrderTopic, payload: OrderEventPayload): Promise<string> {
  // Chosen here, not by the database: the api's role may insert outbox rows but not read them.
  const messageId = randomUUID();
  // The insert's own trigger (migration 0012) wakes the relay at commit: no second round trip.
  await tx.insert(outbox).values({ messageId, topic, payload });
  return messageId;
}

/**
 * Requests one mail (contract: shared/src/mail-request.ts) in the caller's transaction: the
 * api names the user, never an address; the order-worker resolves the address and sends.
 */
export async function writeMailRequest(tx: DatabaseTx, request: Omit<MailRequest, 'requestId'>): Promise<string> {
  const requestId = randomUUID();
  const payload: MailRequest = { requestId, ...request };
  await tx.insert(outbox).values({ messageId: requestId, topic: MAIL_REQUESTED_TOPIC, payload });
  return requestId;
}
