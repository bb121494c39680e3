import type { Channel } from 'amqplib';

export interface Topology {
  exchange: string;
  fulfilmentQueue: string;
  deadLetterExchange: string;
  deadLetterQueue: string;
  deliveryLimit: number;
}

/** Names derived from one prefix, so each test file (or shop) gets its own set. */
export function topologyFor(prefix: string, deliveryLimit = 5): Topology {
  return {
    exchange: `${prefix}.orders`,
    fulfilmentQueue: `${prefix}.fulfilment`,
    deadLetterExchange: `${prefix}.orders.dlx`,
    deadLetterQueue: `${prefix}.fulfilment.dead`,
    deliveryLimit,
  };
}

/**
 * Declared by code at every (re)connection so a fresh broker is usable at once. The fulfilment
 * queue is a quorum queue (replicated, survives a node restart) with an explicit delivery
 * limit: RabbitMQ 3.10 has no default, and without one a poison message loops forever.
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
}

/** Removes a topology (tests clean up what they declared on the shared broker). */
export async function deleteTopology(channel: Channel, t: Topology): Promise<void> {
  await channel.deleteQueue(t.fulfilmentQueue);
  await channel.deleteQueue(t.deadLetterQueue);
  await channel.deleteExchange(t.exchange);
  await channel.deleteExchange(t.deadLetterExchange);
}
