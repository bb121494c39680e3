import type { TestContext } from 'node:test';
import { orderItems, orders, products, users } from '@shop/api/db/schema';
import { writeOutbox } from '@shop/api/pipeline/outbox';
import { discardLog, LogCapture, uniqueName } from '@shop/shared/test-harness';
import { eq } from 'drizzle-orm';
import pino from 'pino';
// The real vault-tokenizer (its own app, database, key file and mTLS listener), as its own tests start it.
import { startTokenizer, type TokenizerHarness } from '../../../vault-tokenizer/test/helper.js';
import { loadWorkerConfig } from '../../src/config.js';
import { workerLoggerOptions } from '../../src/log-fields.js';
import { type OrderWorker, startOrderWorker } from '../../src/server.js';
import { type PipelineDatabase, pipelineDatabase } from './pipeline-harness.js';
import { SmtpSink } from './smtp-sink.js';

export interface Shopper {
  userId: string;
  email: string;
  name: string;
}

export interface MailStack extends PipelineDatabase {
  tokenizer: TokenizerHarness;
  smtp: SmtpSink;
  /** Every line the worker logged, as written (JSON). */
  logLines: string[];
  /** TOKENIZER_* for the worker: its own certificate (`order-worker`) from the tokenizer's test CA. */
  tokenizerEnv: Record<string, string>;
  startWorker(env?: Record<string, string | undefined>): Promise<OrderWorker>;
  /** A shopper whose email and name are tokens of the real tokenizer, as signup leaves them. */
  shopper(name?: string): Promise<Shopper>;
  /** A paid order of the shopper (two lines, an address token), with its `order.paid` outbox row. */
  paidOrder(shopper: Shopper): Promise<{ orderId: string; messageId: string }>;
}

export const SHIPPING = {
  name: 'Parcel Receiver',
  line1: '7 Quayside Lane',
  line2: '',
  city: 'Porthaven',
  postalCode: 'PH1 9ZZ',
  country: 'GB',
};

/**
 * A migrated shop database, the real vault-tokenizer and a real SMTP server on loopback, and
 * the order-worker started against them with its own database role and certificate.
 */
export async function mailStack(t: TestContext, smtp = new SmtpSink()): Promise<MailStack> {
  const database = await pipelineDatabase(t);
  const tokenizer = await startTokenizer({ logStream: discardLog() });
  await smtp.start();
  // Stopped after the workers (registered later, so run first), before the database goes.
  database.defer(async () => {
    await smtp.stop();
    await tokenizer.close();
  });
  const logs = new LogCapture();
  const tokenizerEnv = {
    TOKENIZER_URL: `https://127.0.0.1:${tokenizer.port}`,
    TOKENIZER_CA_FILE: tokenizer.ca.caFile,
    TOKENIZER_CERT_FILE: tokenizer.ca.certFile('order-worker'),
    TOKENIZER_KEY_FILE: tokenizer.ca.keyFile('order-worker'),
  };

  async function tokenize(subjectId: string, items: { field: string; value: string }[]): Promise<string[]> {
    // As the api does at signup and checkout: only the api may tokenize.
    const res = await tokenizer.call('api', 'POST', '/v1/tokenize', { subjectId, items });
    if (res.status !== 200) throw new Error(`tokenize answered ${res.status}`);
    return res.body.tokens;
  }

  return {
    ...database,
    tokenizer,
    smtp,
    logLines: logs.lines,
    tokenizerEnv,
    async startWorker(env = {}) {
      const config = loadWorkerConfig({
        WORKER_DATABASE_URL: database.workerUrl,
        SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
        STOREFRONT_ORIGIN: 'https://shop.example.test',
        MAIL_FROM: 'shop@shop.example.test',
        MAIL_RETRY_BASE_MS: '50',
        MAIL_RETRY_MAX_MS: '400',
        AMQP_TOPOLOGY_PREFIX: uniqueName('unused').toLowerCase(),
        LOG_LEVEL: 'info',
        ...tokenizerEnv,
        ...env,
      });
      const worker = await startOrderWorker(config, { log: pino(workerLoggerOptions('info'), logs) });
      database.defer(() => worker.stop());
      return worker;
    },
    async shopper(name = 'Sam <b>&amp; "Co"</b>') {
      const [user] = await database.db
        .insert(users)
        .values({ passwordHash: 'x', emailBlindIndex: uniqueName('bi') })
        .returning({ id: users.id });
      if (!user) throw new Error('user insert failed');
      const email = `shopper.${uniqueName('m').toLowerCase()}@example.test`;
      const [emailToken, nameToken] = await tokenize(user.id, [
        { field: 'email', value: email },
        { field: 'name', value: name },
      ]);
      await database.db.update(users).set({ emailToken, nameToken }).where(eq(users.id, user.id));
      return { userId: user.id, email, name };
    },
    async paidOrder(shopper) {
      const [addressToken] = await tokenize(shopper.userId, [
        { field: 'shipping_address', value: JSON.stringify(SHIPPING) },
      ]);
      const made = await database.db
        .insert(products)
        .values([
          {
            sku: uniqueName('mug'),
            name: 'Enamel mug',
            description: 'd',
            priceMinor: 1200,
            currency: 'EUR',
            stock: 10,
          },
          {
            sku: uniqueName('tee'),
            name: 'Tee <shirt>',
            description: 'd',
            priceMinor: 2500,
            currency: 'EUR',
            stock: 10,
          },
        ])
        .returning({ id: products.id });
      return database.db.transaction(async (tx) => {
        const [order] = await tx
          .insert(orders)
          .values({
            userId: shopper.userId,
            currency: 'EUR',
            totalMinor: 2 * 1200 + 2500,
            status: 'paid',
            shippingAddressToken: addressToken,
            cardBrand: 'visa',
            cardLast4: '4242',
          })
          .returning({ id: orders.id });
        if (!order) throw new Error('order insert failed');
        await tx.insert(orderItems).values([
          {
            orderId: order.id,
            productId: made[0]?.id as string,
            name: 'Enamel mug',
            unitPriceMinor: 1200,
            quantity: 2,
          },
          {
            orderId: order.id,
            productId: made[1]?.id as string,
            name: 'Tee <shirt>',
            unitPriceMinor: 2500,
            quantity: 1,
          },
        ]);
        const messageId = await writeOutbox(tx, 'order.paid', {
          orderId: order.id,
          amountMinor: 4900,
          currency: 'EUR',
        });
        return { orderId: order.id, messageId };
      });
    },
  };
}
