import type { DatabaseTx } from '@shop/api/db/client';
import { mailDeliveries, orderItems, orders, users } from '@shop/api/db/schema';
import { MAIL_REQUESTED_TOPIC, MailRequest } from '@shop/shared/mail-request';
import { asc, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Value } from 'typebox/value';
import {
  type DetokenizeField,
  type Detokenizer,
  RecipientGoneError,
  TokenizerUnavailableError,
} from '../pii/tokenizer-client.js';
import { backoffDelay } from '../pipeline/backoff.js';
import type { MessageHandler } from '../pipeline/message-handler.js';
import {
  type HandleOutcome,
  type PipelineMessage,
  PoisonMessageError,
  RetryLaterError,
} from '../pipeline/pipeline-message.js';
import { assembleDataExport, parseAddress } from './data-export.js';
import { MailSendFailedError, type MailTransport, type OutgoingMail } from './mail-transport.js';
import { type MailContext, type OrderSummary, renderMail, TemplateDataMissingError } from './templates.js';

export interface MailHandlerOptions {
  transport: MailTransport;
  tokenizer: Detokenizer;
  /** The storefront's origin, for links. */
  baseUrl: string;
  /** Tries before a mail is recorded `dead` (the last try records it, whatever the relay says). */
  deliveryLimit: number;
  retryBaseMs: number;
  retryMaxMs: number;
  log: Pick<Logger, 'info' | 'warn'>;
}

/** The topics the mail handler takes: requests from the api, and paid orders (the confirmation). */
export const MAIL_TOPICS = [MAIL_REQUESTED_TOPIC, 'order.paid'] as const;

/**
 * Sends the shop's mail (issue 11): the api writes a mail request naming a user, never an
 * address; this handler reads the address (and name, shipping address) from the vault-tokenizer
 * at send time with the worker's own certificate, composes the mail, hands it to the relay and
 * keeps nothing of it. Once per request id: the `mail_deliveries` row is written in the same
 * transaction, after the relay accepted the message, under a lock on the request id, so a
 * redelivery, a relay duplicate or a second worker finds the row and mails nothing. The one
 * window left is a crash between the relay's acceptance and the commit (the mail is then sent
 * again on redelivery): SMTP offers no way to close it, and the stable Message-ID lets a
 * receiving system see the repeat.
 *
 * A relay that refuses, times out or is down leaves the request to be tried again with backoff;
 * the last allowed try, and a request that can never be sent (subject erased, data missing),
 * records `dead`, so the api, which waits for the row before erasing an account, never waits
 * forever.
 */
export function createMailHandler(options: MailHandlerOptions): MessageHandler {
  const { transport, tokenizer, log } = options;

  async function compose(tx: DatabaseTx, request: MailRequest): Promise<OutgoingMail> {
    const [user] = await tx
      .select({ emailToken: users.emailToken, nameToken: users.nameToken })
      .from(users)
      .where(eq(users.id, request.userId));
    if (!user?.emailToken) throw new RecipientGoneError('no address on record');
    const wanted: { token: string; field: DetokenizeField }[] = [{ token: user.emailToken, field: 'email' }];
    if (user.nameToken) wanted.push({ token: user.nameToken, field: 'name' });
    const order = request.orderId ? await orderSummary(tx, request.orderId, request.userId) : undefined;
    if (order?.shippingAddressToken) wanted.push({ token: order.shippingAddressToken, field: 'shipping_address' });
    const values = await tokenizer.detokenize(wanted);
    const email = values[0] as string;
    const name = user.nameToken ? values[1] : undefined;
    const address = order?.shippingAddressToken ? parseAddress(values[values.length - 1]) : undefined;
    const ctx: MailContext = {
      baseUrl: options.baseUrl,
      name,
      token: request.token,
      order: order ? { ...order.summary, shipping: address && { name: address.name, city: address.city } } : undefined,
    };
    const content = renderMail(request.template, ctx);
    const mail: OutgoingMail = { requestId: request.requestId, to: email, ...content };
    if (request.template === 'data_export') {
      const data = await assembleDataExport(tx, tokenizer, request.userId, { email, name });
      mail.attachments = [
        {
          filename: 'my-shop-data.json',
          content: `${JSON.stringify(data, null, 2)}\n`,
          contentType: 'application/json',
        },
      ];
    }
    return mail;
  }

  async function record(tx: DatabaseTx, request: MailRequest, status: 'sent' | 'dead', attempts: number) {
    await tx.insert(mailDeliveries).values({
      requestId: request.requestId,
      template: request.template,
      userId: request.userId,
      status,
      attempts,
    });
  }

  return {
    name: 'mail',
    topics: MAIL_TOPICS,
    retryDelayMs: (attempt) => backoffDelay(attempt - 1, options.retryBaseMs, options.retryMaxMs),
    async handle(tx: DatabaseTx, message: PipelineMessage): Promise<HandleOutcome> {
      const request = await requestOf(tx, message);
      // One sender per request at a time (two workers, or a relay duplicate in flight).
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${request.requestId}, 7))`);
      const [done] = await tx
        .select({ status: mailDeliveries.status })
        .from(mailDeliveries)
        .where(eq(mailDeliveries.requestId, request.requestId));
      if (done) return 'duplicate';
      const attempt = message.attempt ?? 1;
      const ids = { requestId: request.requestId, template: request.template, userId: request.userId, attempt };
      try {
        await transport.send(await compose(tx, request));
      } catch (err) {
        // Database errors are not the mail's: they reach the consumer, which waits for PostgreSQL.
        if (!isMailError(err)) throw err;
        const never = err instanceof RecipientGoneError || err instanceof TemplateDataMissingError;
        if (!never && attempt < options.deliveryLimit) {
          log.warn({ ...ids, err }, 'mail not sent, will retry');
          throw new RetryLaterError(err);
        }
        await record(tx, request, 'dead', attempt);
        log.warn({ ...ids, err, dead: true }, 'mail given up and recorded dead');
        return 'dead';
      }
      await record(tx, request, 'sent', attempt);
      log.info(ids, 'mail sent');
      return 'processed';
    },
  };
}

function isMailError(err: unknown): boolean {
  return (
    err instanceof MailSendFailedError ||
    err instanceof TokenizerUnavailableError ||
    err instanceof RecipientGoneError ||
    err instanceof TemplateDataMissingError
  );
}

/** The request a message carries: a mail request, or the confirmation a paid order implies. */
async function requestOf(tx: DatabaseTx, message: PipelineMessage): Promise<MailRequest> {
  if (message.topic === 'order.paid') {
    const orderId = message.payload.orderId;
    if (typeof orderId !== 'string' || !Value.Check(MailRequest.properties.userId, orderId)) {
      throw new PoisonMessageError('order id missing');
    }
    const [order] = await tx.select({ userId: orders.userId }).from(orders).where(eq(orders.id, orderId));
    if (!order) throw new PoisonMessageError('paid event for an unknown order');
    // The paid event's id is the confirmation's request id: one confirmation per paid event.
    return { requestId: message.messageId, template: 'order_confirmation', userId: order.userId, orderId };
  }
  const payload = message.payload;
  if (!Value.Check(MailRequest, payload)) throw new PoisonMessageError('mail request outside its schema');
  // writeMailRequest uses the request id as the outbox message id; anything else is not from it.
  if (payload.requestId !== message.messageId) throw new PoisonMessageError('request id is not the message id');
  return payload;
}

async function orderSummary(
  tx: DatabaseTx,
  orderId: string,
  userId: string,
): Promise<{ summary: OrderSummary; shippingAddressToken: string | null }> {
  const [order] = await tx
    .select({
      id: orders.id,
      userId: orders.userId,
      currency: orders.currency,
      totalMinor: orders.totalMinor,
      shippingAddressToken: orders.shippingAddressToken,
    })
    .from(orders)
    .where(eq(orders.id, orderId));
  // An order of someone else is never mailed to this user.
  if (!order || order.userId !== userId) throw new TemplateDataMissingError('order');
  const items = await tx
    .select({ name: orderItems.name, quantity: orderItems.quantity, unitPriceMinor: orderItems.unitPriceMinor })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId))
    .orderBy(asc(orderItems.name));
  return {
    summary: { id: order.id, currency: order.currency, totalMinor: order.totalMinor, items },
    shippingAddressToken: order.shippingAddressToken,
  };
}
