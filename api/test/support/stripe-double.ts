import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { STRIPE_API_VERSION } from '../../src/payments/stripe-client.js';

/**
 * A small HTTP double of the Stripe endpoints the api calls (test code only, never a runtime
 * default): PaymentIntents create/update/retrieve/confirm and refunds create. It checks the
 * secret key, and honours `Idempotency-Key` like Stripe: the same key with the same parameters
 * replays the first answer, with other parameters it answers 400 `idempotency_error`.
 * Webhooks it emits are signed with the official library, so the api's verification is real.
 */

type Params = Record<string, unknown>;

export interface DoublePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: 'requires_payment_method' | 'processing' | 'succeeded' | 'canceled';
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
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  refunded: boolean;
  payment_method_details: { type: 'card'; card: { brand: string; last4: string } };
}

export interface RecordedRequest {
  method: string;
  path: string;
  params: Params;
  idempotencyKey: string | undefined;
  apiVersion: string | undefined;
}

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

export class StripeDouble {
  readonly secretKey = `sk_test_double${randomBytes(8).toString('hex')}`;
  readonly publishableKey = `pk_test_double${randomBytes(8).toString('hex')}`;
  readonly webhookSecret = `whsec_double${randomBytes(12).toString('hex')}`;
  readonly intents = new Map<string, DoublePaymentIntent>();
  readonly charges = new Map<string, DoubleCharge>();
  readonly requests: RecordedRequest[] = [];
  /** While > 0, requests answer 503 (a Stripe outage), counting down. */
  failNext = 0;
  /** While set, answers wait for it: Stripe's latency, held as long as a test needs. */
  gate: Promise<void> | undefined;
  port = 0;
  private server: http.Server | undefined;
  private idempotency = new Map<string, { fingerprint: string; status: number; body: unknown }>();
  private readonly signer = new Stripe('sk_test_signer', { apiVersion: STRIPE_API_VERSION });

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const [status, body] = this.route(req, Buffer.concat(chunks).toString('utf8'));
        await this.gate;
        res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req') });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', () => resolve()));
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
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(this.port),
      STRIPE_API_PROTOCOL: 'http',
    };
  }

  private route(req: http.IncomingMessage, raw: string): [number, unknown] {
    const url = new URL(req.url ?? '/', 'http://double');
    const method = req.method ?? 'GET';
    const params = method === 'GET' ? parseForm(url.search.slice(1)) : parseForm(raw);
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    this.requests.push({
      method,
      path: url.pathname,
      params,
      idempotencyKey,
      apiVersion: req.headers['stripe-version'] as string | undefined,
    });
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) {
      return [401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }];
    }
    if (this.failNext > 0) {
      this.failNext--;
      return [503, { error: { type: 'api_error', message: 'Stripe is unavailable (double)' } }];
    }
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
      const answer = this.handle(method, url.pathname, params);
      this.idempotency.set(idempotencyKey, { fingerprint, status: answer[0], body: answer[1] });
      return answer;
    }
    return this.handle(method, url.pathname, params);
  }

  private handle(method: string, path: string, params: Params): [number, unknown] {
    const m = path.match(/^\/v1\/payment_intents(?:\/([A-Za-z0-9_]+))?(?:\/(confirm))?$/);
    if (m) {
      const [, piId, action] = m;
      if (!piId && method === 'POST') return [200, this.createIntent(params)];
      const pi = piId ? this.intents.get(piId) : undefined;
      if (!pi)
        return [
          404,
          { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' } },
        ];
      if (action === 'confirm' && method === 'POST') return [200, this.expand(this.succeed(pi.id), params)];
      if (method === 'GET') return [200, this.expand(pi, params)];
      if (method === 'POST') {
        if (pi.status === 'succeeded' || pi.status === 'processing') {
          return [
            400,
            {
              error: {
                type: 'invalid_request_error',
                code: 'payment_intent_unexpected_state',
                message: 'This PaymentIntent cannot be updated',
              },
            },
          ];
        }
        if (params.amount !== undefined) pi.amount = Number(params.amount);
        if (typeof params.currency === 'string') pi.currency = params.currency;
        if (params.metadata) pi.metadata = { ...pi.metadata, ...(params.metadata as Record<string, string>) };
        return [200, pi];
      }
    }
    if (path === '/v1/refunds' && method === 'POST') return this.createRefund(params);
    return [
      404,
      { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path})` } },
    ];
  }

  private createIntent(params: Params): DoublePaymentIntent {
    const piId = id('pi');
    const apm = params.automatic_payment_methods as { enabled?: string } | undefined;
    const pi: DoublePaymentIntent = {
      id: piId,
      object: 'payment_intent',
      amount: Number(params.amount),
      currency: String(params.currency),
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
    return pi;
  }

  /** The shopper paid (what Payment Element + confirmPayment do in a browser). */
  succeed(piId: string, card = { brand: 'visa', last4: '4242' }): DoublePaymentIntent {
    const pi = this.intents.get(piId);
    if (!pi) throw new Error(`unknown payment intent ${piId}`);
    if (pi.status !== 'succeeded') {
      const charge: DoubleCharge = {
        id: id('ch'),
        object: 'charge',
        amount: pi.amount,
        amount_refunded: 0,
        currency: pi.currency,
        payment_intent: pi.id,
        refunded: false,
        payment_method_details: { type: 'card', card },
      };
      this.charges.set(charge.id, charge);
      pi.status = 'succeeded';
      pi.latest_charge = charge.id;
    }
    return pi;
  }

  private createRefund(params: Params): [number, unknown] {
    const pi = this.intents.get(String(params.payment_intent));
    const charge = pi?.latest_charge ? this.charges.get(pi.latest_charge) : undefined;
    if (!pi || !charge) {
      return [
        400,
        { error: { type: 'invalid_request_error', code: 'charge_not_refundable', message: 'Nothing to refund' } },
      ];
    }
    const amount = params.amount === undefined ? charge.amount - charge.amount_refunded : Number(params.amount);
    if (!(amount > 0) || charge.amount_refunded + amount > charge.amount) {
      return [
        400,
        { error: { type: 'invalid_request_error', code: 'amount_too_large', message: 'Refund amount is too large' } },
      ];
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
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
