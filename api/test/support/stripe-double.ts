import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../src/payments/stripe-client.js';

/**
 * A small HTTP double of the Stripe endpoints the api calls (test code only, never a runtime
 * default): PaymentIntents create/update/retrieve/confirm/cancel and refunds create. It is as
 * strict as Stripe where the api could otherwise get away with a request Stripe refuses:
 * - the secret key and the pinned `Stripe-Version` are checked;
 * - `Idempotency-Key` like Stripe: the same key with the same parameters replays the first
 *   answer, with other parameters (or on another endpoint) it answers 400 `idempotency_error`;
 *   a request refused by parameter validation is not saved (it never started executing);
 * - unknown parameters answer `parameter_unknown`, a non-integer amount
 *   `parameter_invalid_integer`, amounts outside Stripe's range `amount_too_small` or
 *   `amount_too_large`, an unsupported currency `invalid_request_error` on `currency`,
 *   oversized metadata `parameter_invalid_*`;
 * - a PaymentIntent can be updated only in `requires_payment_method`, `requires_confirmation`
 *   or `requires_action`, and confirmed only before it is processing, captured or cancelled:
 *   anything else answers 400 `payment_intent_unexpected_state` with Stripe's message, `param`
 *   and the intent in the error, as Stripe does;
 * - `amount_received` is what was captured, which is not always `amount` (partial capture).
 * Webhooks it emits are signed with the official library, so the api's verification is real.
 * It speaks plain HTTP on 127.0.0.1 by default; with `tls` (a certificate and key, e.g. from the
 * development CA) it speaks HTTPS only, as Stripe does, under the name `host` gives.
 */

type Params = Record<string, unknown>;

export type DoubleIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'succeeded'
  | 'canceled';

export interface DoublePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: DoubleIntentStatus;
  client_secret: string;
  metadata: Record<string, string>;
  automatic_payment_methods: { enabled: boolean } | null;
  latest_charge: string | null;
  created: number;
  livemode: false;
}

export interface DoubleCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  refunded: boolean;
  status: 'succeeded';
  payment_method_details: { type: 'card'; card: { brand: string; last4: string } };
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: Params;
  idempotencyKey: string | undefined;
  apiVersion: string | undefined;
}

/** How the next `failNext` requests fail: the conditions the api must tell apart. */
export type DoubleFailure = 'unavailable' | 'rate_limit' | 'authentication' | 'connection';

/** Statuses in which Stripe accepts an update of amount or currency. */
const UPDATABLE: ReadonlySet<DoubleIntentStatus> = new Set([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
]);
const CONFIRMABLE: ReadonlySet<DoubleIntentStatus> = UPDATABLE;

/** A subset of Stripe's currencies with their minimum charge amounts (Stripe's table). */
const MINIMUM_AMOUNT: Record<string, number> = { usd: 50, eur: 50, gbp: 30, chf: 50, sek: 300, dkk: 250, jpy: 50 };
const MAXIMUM_AMOUNT = 99_999_999;

/** Parameters each endpoint accepts (the ones the api can send); anything else is unknown. */
const ALLOWED: Record<string, ReadonlySet<string>> = {
  create: new Set(['amount', 'currency', 'automatic_payment_methods', 'metadata', 'description', 'expand']),
  update: new Set(['amount', 'currency', 'metadata', 'description', 'expand']),
  retrieve: new Set(['expand', 'client_secret']),
  confirm: new Set(['payment_method', 'return_url', 'expand']),
  cancel: new Set(['cancellation_reason', 'expand']),
  refund: new Set(['payment_intent', 'charge', 'amount', 'metadata', 'reason', 'expand']),
};

function id(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** Turns Stripe's form encoding (`metadata[order_id]=x`, `expand[0]=y`) into nested objects. */
function parseForm(body: string): Params {
  const out: Params = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node = out as Record<string, unknown>;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      if (node[part] === undefined) node[part] = {};
      node = node[part] as Record<string, unknown>;
    });
  }
  return out;
}

class StripeRefusal {
  constructor(
    readonly status: number,
    readonly error: Record<string, unknown>,
    /** Parameter validation failures are not saved under the idempotency key. */
    readonly validation = false,
  ) {}
}

function invalid(message: string, extra: Record<string, unknown> = {}, validation = true): StripeRefusal {
  return new StripeRefusal(400, { type: 'invalid_request_error', message, ...extra }, validation);
}

function checkParams(kind: keyof typeof ALLOWED, params: Params): void {
  for (const key of Object.keys(params)) {
    if (!ALLOWED[kind]?.has(key)) {
      throw invalid(`Received unknown parameter: ${key}`, { code: 'parameter_unknown', param: key });
    }
  }
  const metadata = params.metadata;
  if (metadata !== undefined) {
    if (typeof metadata !== 'object' || metadata === null) {
      throw invalid('Invalid object', { code: 'parameter_invalid_empty', param: 'metadata' });
    }
    const entries = Object.entries(metadata as Record<string, unknown>);
    if (entries.length > 50) throw invalid('Too many metadata keys', { param: 'metadata' });
    for (const [k, v] of entries) {
      if (k.length > 40) throw invalid('Metadata keys must be at most 40 characters', { param: `metadata[${k}]` });
      if (typeof v !== 'string' || v.length > 500) {
        throw invalid('Metadata values must be at most 500 characters', { param: `metadata[${k}]` });
      }
    }
  }
}

function checkCurrency(value: unknown): string {
  const currency = typeof value === 'string' ? value.toLowerCase() : '';
  if (!(currency in MINIMUM_AMOUNT)) {
    throw invalid(`Invalid currency: ${String(value).slice(0, 10)}.`, { param: 'currency' });
  }
  return currency;
}

function checkAmount(value: unknown, currency: string, param = 'amount'): number {
  if (typeof value !== 'string' || !/^\d{1,12}$/.test(value)) {
    throw invalid(`Invalid integer: ${String(value).slice(0, 20)}`, { code: 'parameter_invalid_integer', param });
  }
  const amount = Number(value);
  if (amount < (MINIMUM_AMOUNT[currency] ?? 50)) {
    throw invalid('Amount must be at least the minimum charge amount for the currency', {
      code: 'amount_too_small',
      param,
    });
  }
  if (amount > MAXIMUM_AMOUNT) {
    throw invalid('Amount must be no more than 99999999', { code: 'amount_too_large', param });
  }
  return amount;
}

export interface StripeDoubleOptions {
  /** Serve HTTPS with this certificate and key (whoever calls must trust its CA). */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** The name the api is told to call (STRIPE_API_HOST). */
  host?: string;
  /** Where it listens: 127.0.0.1 and a free port unless told (the deployment test's stand-in: 0.0.0.0:443). */
  listenHost?: string;
  listenPort?: number;
  /** Random keys of this double unless given (the deployment test's stand-in takes the run's). */
  secretKey?: string;
  publishableKey?: string;
  webhookSecret?: string;
}

export class StripeDouble {
  readonly secretKey: string;
  readonly publishableKey: string;
  readonly webhookSecret: string;
  readonly intents = new Map<string, DoublePaymentIntent>();
  readonly charges = new Map<string, DoubleCharge>();
  readonly requests: RecordedRequest[] = [];
  /** While > 0, requests fail (counting down) the way `failure` says: a Stripe outage by default. */
  failNext = 0;
  failure: DoubleFailure = 'unavailable';
  /** While set, answers wait for it: Stripe's latency, held as long as a test needs. */
  gate: Promise<void> | undefined;
  port = 0;
  private server: http.Server | https.Server | undefined;
  private idempotency = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  private readonly signer = new Stripe('sk_test_signer', { apiVersion: STRIPE_API_VERSION });

  constructor(private readonly options: StripeDoubleOptions = {}) {
    this.secretKey = options.secretKey ?? `sk_test_double${randomBytes(8).toString('hex')}`;
    this.publishableKey = options.publishableKey ?? `pk_test_double${randomBytes(8).toString('hex')}`;
    this.webhookSecret = options.webhookSecret ?? `whsec_double${randomBytes(12).toString('hex')}`;
  }

  async start(): Promise<this> {
    const handler: http.RequestListener = (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const answer = this.route(req, Buffer.concat(chunks).toString('utf8'));
        await this.gate;
        if (answer === 'drop') {
          req.socket.destroy();
          return;
        }
        const [status, body] = answer;
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
        res.end(JSON.stringify(body));
      });
    };
    this.server = this.options.tls ? https.createServer(this.options.tls, handler) : http.createServer(handler);
    const { listenPort = 0, listenHost = '127.0.0.1' } = this.options;
    await new Promise<void>((resolve) => this.server?.listen(listenPort, listenHost, () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Environment for the api under test: the Stripe client pointed at this double. */
  env(): Record<string, string> {
    return {
      STRIPE_SECRET_KEY: this.secretKey,
      STRIPE_PUBLISHABLE_KEY: this.publishableKey,
      STRIPE_WEBHOOK_SECRET: this.webhookSecret,
      STRIPE_API_HOST: this.options.host ?? '127.0.0.1',
      STRIPE_API_PORT: String(this.port),
      STRIPE_API_PROTOCOL: this.options.tls ? 'https' : 'http',
    };
  }

  private route(req: http.IncomingMessage, raw: string): [number, unknown] | 'drop' {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = req.method ?? 'GET';
    const params = method === 'GET' ? parseForm(url.search.slice(1)) : parseForm(raw);
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    const apiVersion = req.headers['stripe-version'] as string | undefined;
    this.requests.push({ method, path: url.pathname, params, idempotencyKey, apiVersion });
    if (this.failNext > 0) {
      this.failNext--;
      const failure = this.failure;
      if (failure === 'connection') return 'drop';
      if (failure === 'rate_limit') {
        return [429, { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests' } }];
      }
      if (failure === 'authentication') {
        return [401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }];
      }
      return [503, { error: { type: 'api_error', message: 'Stripe is unavailable (double)' } }];
    }
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return [401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }];
    }
    if (apiVersion !== undefined && apiVersion !== STRIPE_API_VERSION) {
      return [400, { error: { type: 'invalid_request_error', message: `Invalid Stripe API version: ${apiVersion}` } }];
    }
    if (idempotencyKey !== undefined && idempotencyKey.length > 255) {
      return [
        400,
        { error: { type: 'invalid_request_error', message: 'Idempotency keys are limited to 255 characters' } },
      ];
    }
    const run = (): [number, unknown] => {
      try {
        return this.handle(method, url.pathname, params);
      } catch (err) {
        if (err instanceof StripeRefusal) return [err.status, { error: err.error }];
        throw err;
      }
    };
    if (method === 'POST' && idempotencyKey) {
      const fingerprint = createHash('sha256')
        .update(`${url.pathname}\n${JSON.stringify(params)}`)
        .digest('hex');
      const seen = this.idempotency.get(idempotencyKey);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          return [
            400,
            {
              error: {
                type: 'idempotency_error',
                message:
                  'Keys for idempotent requests can only be used with the same parameters they were first used with.',
              },
            },
          ];
        }
        return [seen.status, seen.body];
      }
      let answer: [number, unknown];
      try {
        answer = this.handle(method, url.pathname, params);
      } catch (err) {
        if (!(err instanceof StripeRefusal)) throw err;
        answer = [err.status, { error: err.error }];
        if (err.validation) return answer;
      }
      this.idempotency.set(idempotencyKey, { fingerprint, status: answer[0], body: answer[1] });
      return answer;
    }
    return run();
  }

  private handle(method: string, path: string, params: Params): [number, unknown] {
    const m = path.match(/^\/v1\/payment_intents(?:\/([A-Za-z0-9_]+))?(?:\/(confirm|cancel))?$/);
    if (m) {
      const [, piId, action] = m;
      if (!piId && method === 'POST') {
        checkParams('create', params);
        return [200, this.createIntent(params)];
      }
      const pi = piId ? this.intents.get(piId) : undefined;
      if (!pi) {
        throw invalid(
          `No such payment_intent: '${String(piId).slice(0, 64)}'`,
          { code: 'resource_missing', param: 'intent' },
          false,
        );
      }
      if (action === 'confirm' && method === 'POST') {
        checkParams('confirm', params);
        this.assertConfirmable(pi);
        return [200, this.expand(this.succeed(pi.id), params)];
      }
      if (action === 'cancel' && method === 'POST') {
        checkParams('cancel', params);
        return [200, this.cancel(pi.id)];
      }
      if (method === 'GET' && !action) {
        checkParams('retrieve', params);
        return [200, this.expand(pi, params)];
      }
      if (method === 'POST' && !action) {
        checkParams('update', params);
        const changing = ['amount', 'currency'].filter((k) => params[k] !== undefined);
        if (changing.length > 0 && !UPDATABLE.has(pi.status)) {
          const field = changing[0] as string;
          throw this.unexpectedState(
            pi,
            field,
            `This PaymentIntent's ${field} could not be updated because it has a status of ${pi.status}. You may only update the ${field} of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.`,
          );
        }
        const currency = params.currency !== undefined ? checkCurrency(params.currency) : pi.currency;
        const amount = params.amount !== undefined ? checkAmount(params.amount, currency) : pi.amount;
        pi.currency = currency;
        pi.amount = amount;
        if (params.metadata) pi.metadata = { ...pi.metadata, ...(params.metadata as Record<string, string>) };
        return [200, this.expand(pi, params)];
      }
    }
    if (path === '/v1/refunds' && method === 'POST') {
      checkParams('refund', params);
      return this.createRefund(params);
    }
    throw invalid(`Unrecognized request URL (${method}: ${path})`, {}, false);
  }

  private unexpectedState(pi: DoublePaymentIntent, param: string, message: string): StripeRefusal {
    return new StripeRefusal(400, {
      type: 'invalid_request_error',
      code: 'payment_intent_unexpected_state',
      doc_url: 'https://stripe.com/docs/error-codes/payment-intent-unexpected-state',
      message,
      param,
      payment_intent: { ...pi },
    });
  }

  private assertConfirmable(pi: DoublePaymentIntent): void {
    if (!CONFIRMABLE.has(pi.status)) {
      throw this.unexpectedState(
        pi,
        'intent',
        `You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`,
      );
    }
  }

  private createIntent(params: Params): DoublePaymentIntent {
    const currency = checkCurrency(params.currency);
    const amount = checkAmount(params.amount, currency);
    const piId = id('pi');
    const apm = params.automatic_payment_methods as { enabled?: string } | undefined;
    const pi: DoublePaymentIntent = {
      id: piId,
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency,
      status: 'requires_payment_method',
      client_secret: `${piId}_secret_${randomBytes(12).toString('hex')}`,
      metadata: (params.metadata as Record<string, string>) ?? {},
      automatic_payment_methods: apm ? { enabled: apm.enabled === 'true' } : null,
      latest_charge: null,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
    };
    this.intents.set(piId, pi);
    return pi;
  }

  private expand(pi: DoublePaymentIntent, params: Params): unknown {
    const expand = Object.values((params.expand as Record<string, string>) ?? {});
    if (expand.includes('latest_charge') && pi.latest_charge) {
      return { ...pi, latest_charge: this.charges.get(pi.latest_charge) };
    }
    return { ...pi };
  }

  /**
   * The shopper paid (what Payment Element + confirmPayment do in a browser). Refused, as
   * Stripe refuses the confirmation, once the intent is processing, captured or cancelled.
   * `amountReceived` models a partial capture: Stripe then reports less received than `amount`.
   */
  succeed(
    piId: string,
    card: { brand: string; last4: string } = { brand: 'visa', last4: '4242' },
    options: { amountReceived?: number } = {},
  ): DoublePaymentIntent {
    const pi = this.intents.get(piId);
    if (!pi) throw new Error(`unknown payment intent ${piId}`);
    if (!CONFIRMABLE.has(pi.status) && pi.status !== 'processing') {
      throw new Error(`payment intent ${piId} cannot be confirmed: it has a status of ${pi.status}`);
    }
    const received = options.amountReceived ?? pi.amount;
    const charge: DoubleCharge = {
      id: id('ch'),
      object: 'charge',
      amount: pi.amount,
      amount_captured: received,
      amount_refunded: 0,
      currency: pi.currency,
      payment_intent: pi.id,
      refunded: false,
      status: 'succeeded',
      payment_method_details: { type: 'card', card },
    };
    this.charges.set(charge.id, charge);
    pi.status = 'succeeded';
    pi.amount_received = received;
    pi.latest_charge = charge.id;
    return pi;
  }

  /** A payment method that settles later (SEPA, bank debits): the intent is processing. */
  startProcessing(piId: string): DoublePaymentIntent {
    const pi = this.intents.get(piId);
    if (!pi) throw new Error(`unknown payment intent ${piId}`);
    this.assertConfirmable(pi);
    pi.status = 'processing';
    return pi;
  }

  cancel(piId: string): DoublePaymentIntent {
    const pi = this.intents.get(piId);
    if (!pi) throw new Error(`unknown payment intent ${piId}`);
    if (pi.status === 'succeeded' || pi.status === 'canceled') {
      throw this.unexpectedState(
        pi,
        'intent',
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
      );
    }
    pi.status = 'canceled';
    return pi;
  }

  private createRefund(params: Params): [number, unknown] {
    const pi = this.intents.get(String(params.payment_intent));
    const charge = pi?.latest_charge ? this.charges.get(pi.latest_charge) : undefined;
    if (!pi || !charge || pi.status !== 'succeeded') {
      throw invalid(
        'This PaymentIntent does not have a successful charge to refund.',
        { code: 'charge_not_refundable', param: 'payment_intent' },
        false,
      );
    }
    const refundable = charge.amount_captured - charge.amount_refunded;
    if (params.amount !== undefined && (typeof params.amount !== 'string' || !/^\d{1,12}$/.test(params.amount))) {
      throw invalid(`Invalid integer: ${String(params.amount).slice(0, 20)}`, {
        code: 'parameter_invalid_integer',
        param: 'amount',
      });
    }
    const amount = params.amount === undefined ? refundable : Number(params.amount);
    if (charge.amount_refunded >= charge.amount_captured) {
      throw invalid(
        `Charge ${charge.id} has already been refunded.`,
        { code: 'charge_already_refunded', param: 'charge' },
        false,
      );
    }
    if (!(amount > 0) || amount > refundable) {
      throw invalid(
        'Refund amount is greater than unrefunded amount on charge',
        { code: 'amount_too_large', param: 'amount' },
        false,
      );
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    return [
      200,
      {
        id: id('re'),
        object: 'refund',
        amount,
        currency: charge.currency,
        charge: charge.id,
        payment_intent: pi.id,
        status: 'succeeded',
        metadata: (params.metadata as Record<string, string>) ?? {},
      },
    ];
  }

  /** A Stripe event wrapping an object, as Stripe would send it to the webhook endpoint. */
  event(type: string, object: unknown, eventId = id('evt')): Record<string, unknown> {
    return {
      id: eventId,
      object: 'event',
      api_version: STRIPE_API_VERSION,
      created: Math.floor(Date.now() / 1000),
      type,
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    };
  }

  /** The body and `Stripe-Signature` header for an event, signed with the official library. */
  sign(event: unknown, options: { secret?: string; timestamp?: number } = {}): { payload: string; signature: string } {
    const payload = typeof event === 'string' ? event : JSON.stringify(event);
    const signature = this.signer.webhooks.generateTestHeaderString({
      payload,
      secret: options.secret ?? this.webhookSecret,
      ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
    });
    return { payload, signature };
  }

  /** Delivers a signed event to a webhook URL (for browser tests that run a real server). */
  async deliver(url: string, event: unknown): Promise<Response> {
    const { payload, signature } = this.sign(event);
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
  }
}
