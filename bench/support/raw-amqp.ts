import amqp from 'amqplib';

export interface RawResult {
  seconds: number;
  perSecond: number;
}

/**
 * The broker-side limit the pipeline is compared with: plain amqplib, no database. A private
 * topic exchange and quorum queue declared like the pipeline's (durable, delivery limit),
 * `messages` persistent messages of exactly `size` bytes confirm-published (backpressure
 * honoured, every confirm awaited) while a consumer on its own connection acks each one
 * manually with the same prefetch. Timed from the first publish to the last ack.
 */
export async function rawConfirmPublishConsume(
  url: string,
  names: { exchange: string; queue: string },
  opts: { messages: number; size: number; prefetch: number },
): Promise<RawResult> {
  const publisherConn = await amqp.connect(url);
  const consumerConn = await amqp.connect(url);
  publisherConn.on('error', () => {});
  consumerConn.on('error', () => {});
  try {
    const pub = await publisherConn.createConfirmChannel();
    await pub.assertExchange(names.exchange, 'topic', { durable: true });
    await pub.assertQueue(names.queue, {
      durable: true,
      arguments: { 'x-queue-type': 'quorum', 'x-delivery-limit': 5 },
    });
    await pub.bindQueue(names.queue, names.exchange, 'order.*');
    const sub = await consumerConn.createChannel();
    await sub.prefetch(opts.prefetch);

    let acked = 0;
    let allAcked: () => void = () => {};
    const consumed = new Promise<void>((resolve) => (allAcked = resolve));
    const { consumerTag } = await sub.consume(
      names.queue,
      (msg) => {
        if (!msg) return;
        sub.ack(msg);
        if (++acked === opts.messages) allAcked();
      },
      { noAck: false },
    );

    const body = (i: number) => {
      const json = JSON.stringify({ orderId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` });
      if (json.length > opts.size) throw new Error(`message size ${opts.size} is below the minimal body`);
      return Buffer.from(json.padEnd(opts.size, ' '));
    };
    const started = performance.now();
    const confirms: Promise<void>[] = [];
    for (let i = 0; i < opts.messages; i++) {
      let accepted = true;
      confirms.push(
        new Promise<void>((resolve, reject) => {
          accepted = pub.publish(
            names.exchange,
            'order.paid',
            body(i),
            {
              persistent: true,
              messageId: crypto.randomUUID(),
              type: 'order.paid',
              contentType: 'application/json',
              timestamp: Math.floor(Date.now() / 1000),
            },
            (err) => (err ? reject(new Error('broker refused the message')) : resolve()),
          );
        }),
      );
      if (!accepted) await new Promise((r) => pub.once('drain', r));
    }
    await Promise.all(confirms);
    await consumed;
    const seconds = (performance.now() - started) / 1000;
    await sub.cancel(consumerTag);
    await sub.close();
    await pub.close();
    return { seconds, perSecond: opts.messages / seconds };
  } finally {
    await consumerConn.close().catch(() => {});
    await publisherConn.close().catch(() => {});
  }
}

/** Deletes what the raw run declared (and, given the names, a pipeline topology) from the broker. */
export async function deleteQueuesAndExchanges(url: string, queues: string[], exchanges: string[]): Promise<void> {
  const conn = await amqp.connect(url);
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    for (const q of queues) await ch.deleteQueue(q);
    for (const e of exchanges) await ch.deleteExchange(e);
  } finally {
    await conn.close().catch(() => {});
  }
}
