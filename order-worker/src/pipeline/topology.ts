import { MAIL_REQUESTED_TOPIC } from '@shop/shared/mail-request';
import type { Channel } from 'amqplib';

export interface Topology {
  exchange: string;
  fulfilmentQueue: string;
  /** Mail requests and paid orders (their confirmation), apart from fulfilment: a slow relay never holds up an order. */
  mailQueue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  deliveryLimit: number;
  /** The worker records a mail `dead` itself on its last try; the broker's limit sits one above. */
  mailDeliveryLimit: number;
}

/** Names derived from one prefix, so each test file (or shop) gets its own set. */
export function topologyFor(prefix: string, deliveryLimit = 5, mailDeliveryLimit = 8): Topology {
  return {
    exchange: `${prefix}.orders`,
    fulfilmentQueue: `${prefix}.fulfilment`,
    mailQueue: `${prefix}.mail`,
    deadLetterExchange: `${prefix}.orders.dlx`,
    deadLetterQueue: `${prefix}.fulfilment.dead`,
    deliveryLimit,
    mailDeliveryLimit,
  };
}

/** The queue a consumer reads, and its bindings on the exchange. */
export type ConsumedQueue = 'fulfilment' | 'mail';

export function queueOf(t: Topology, queue: ConsumedQueue): string {
  return queue === 'mail' ? t.mailQueue : t.fulfilmentQueue;
}

/**
 * Declared by code at every (re)connection so a fresh broker is usable at once. The queues are
 * quorum queues (replicated, survive a node restart) with an explicit delivery limit: RabbitMQ
 * 3.10 has no default, and without one a poison message loops forever. The topic exchange gives
 * each queue its own copy of an `order.paid` event: fulfilment reserves stock, mail confirms.
 */
export async function declareTopology(channel: Channel, t: Topology): Promise<void> {
  await channel.assertExchange(t.exchange, 'topic', { durable: true });
  await channel.assertExchange(t.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(t.deadLetterQueue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(t.deadLetterQueue, t.deadLetterExchange, '');
  await channel.assertQueue(t.fulfilmentQueue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': t.deliveryLimit,
      'x-dead-letter-exchange': t.deadLetterExchange,
    },
  });
  await channel.bindQueue(t.fulfilmentQueue, t.exchange, 'order.*');
  await channel.assertQueue(t.mailQueue, {
    durable: true,
    arguments: {
      'x-queue-type': 'quorum',
      'x-delivery-limit': t.mailDeliveryLimit + 1,
      'x-dead-letter-exchange': t.deadLetterExchange,
    },
  });
  await channel.bindQueue(t.mailQueue, t.exchange, MAIL_REQUESTED_TOPIC);
  await channel.bindQueue(t.mailQueue, t.exchange, 'order.paid');
}

/** Removes a topology (tests clean up what they declared on the shared broker). */
export async function deleteTopology(channel: Channel, t: Topology): Promise<void> {
  await channel.deleteQueue(t.fulfilmentQueue);
  await channel.deleteQueue(t.mailQueue);
  await channel.deleteQueue(t.deadLetterQueue);
  await channel.deleteExchange(t.exchange);
  await channel.deleteExchange(t.deadLetterExchange);
}
