import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Route } from 'playwright-core';

/**
 * The Stripe.js test double, as a server on its own loopback port. js.stripe.com and
 * api.stripe.com cannot be reached from the test machines, so the browser context routes
 * both origins here: documents it serves keep the https://js.stripe.com origin in the browser,
 * which is what the shop's CSP allows and what makes the card iframe cross-origin for real.
 * Card details are confirmed against the Stripe API double (api/test/support/stripe-double.ts),
 * which then sends the signed webhook to the api, as Stripe would.
 */

/** What this double needs of the Stripe API double (StripeDouble satisfies it). */
export interface PaymentIntentBackend {
  readonly publishableKey: string;
  readonly intents: Map<string, { id: string; client_secret: string; status: string }>;
  succeed(piId: string, card?: { brand: string; last4: string }): unknown;
  event(type: string, object: unknown): Record<string, unknown>;
  deliver(url: string, event: unknown): Promise<Response>;
}

const here = new URL('.', import.meta.url);
const file = (name: string) => readFileSync(new URL(name, here), 'utf8');

const STATIC: Record<string, { type: string; body: string }> = {
  '/stripe.js': { type: 'text/javascript; charset=utf-8', body: file('stripe.js') },
  '/elements-frame.html': { type: 'text/html; charset=utf-8', body: file('elements-frame.html') },
  '/elements-frame.js': { type: 'text/javascript; charset=utf-8', body: file('elements-frame.js') },
  '/elements-frame.css': { type: 'text/css; charset=utf-8', body: file('elements-frame.css') },
};

/** Stripe's test card that is always declined. */
export const DECLINED_CARD = '4000000000000002';

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length >= 12 && sum % 10 === 0;
}

function brandOf(number: string): string {
  if (number.startsWith('4')) return 'visa';
  if (/^5[1-5]/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  return 'unknown';
}

export interface StripeJsDoubleOptions {
  backend: PaymentIntentBackend;
  /** Where `payment_intent.succeeded` is delivered after a successful confirm. */
  webhookUrl?: string;
}

export class StripeJsDouble {
  port = 0;
  /** Every request the browser made to the Stripe origins, as `METHOD origin/path`. */
  readonly requests: string[] = [];
  /** Card numbers the iframe sent to "Stripe": proof the digits went there, not to the shop. */
  readonly cardNumbersReceived: string[] = [];
  readonly webhookStatuses: number[] = [];
  private server: http.Server | undefined;

  constructor(private readonly options: StripeJsDoubleOptions) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.handle(req, Buffer.concat(chunks).toString('utf8')).then(
          ([status, type, body]) => {
            res.writeHead(status, {
              'content-type': type,
              'access-control-allow-origin': '*',
              'cache-control': 'no-store',
            });
            res.end(body);
          },
          () => {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end('{"error":{"type":"api_error","message":"double failed"}}');
          },
        );
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

  /** Routes https://js.stripe.com and https://api.stripe.com of a browser context to this double. */
  async install(context: BrowserContext): Promise<void> {
    const forward = async (route: Route) => {
      const url = new URL(route.request().url());
      this.requests.push(`${route.request().method()} ${url.origin}${url.pathname}`);
      const prefix = url.hostname === 'api.stripe.com' ? '/api' : '/js';
      const response = await route.fetch({ url: `http://127.0.0.1:${this.port}${prefix}${url.pathname}${url.search}` });
      await route.fulfill({ response });
    };
    await context.route('https://js.stripe.com/**', forward);
    await context.route('https://api.stripe.com/**', forward);
  }

  private async handle(req: http.IncomingMessage, raw: string): Promise<[number, string, string]> {
    const url = new URL(req.url ?? '/', 'http://double');
    const json = (status: number, body: unknown): [number, string, string] => [
      status,
      'application/json',
      JSON.stringify(body),
    ];
    if (url.pathname.startsWith('/js/')) {
      const path = url.pathname.slice(3);
      // The URLs @stripe/stripe-js and Stripe's docs use: /v3, /v3/ and /<release>/stripe.js.
      const asset = /^\/(v3\/?|[a-z]+\/stripe\.js)$/.test(path) ? STATIC['/stripe.js'] : STATIC[path];
      if (req.method === 'GET' && asset) return [200, asset.type, asset.body];
      return [404, 'text/plain', 'not found'];
    }
    const m = /^\/api\/v1\/payment_intents\/([A-Za-z0-9_]+)(\/confirm)?$/.exec(url.pathname);
    if (!m) return json(404, { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } });
    const params = req.method === 'GET' ? url.searchParams : new URLSearchParams(raw);
    const { backend } = this.options;
    if (params.get('key') !== backend.publishableKey) {
      return json(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    const pi = backend.intents.get(m[1] ?? '');
    if (!pi || params.get('client_secret') !== pi.client_secret) {
      return json(404, {
        error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' },
      });
    }
    if (!m[2]) return json(200, pi);
    if (req.method !== 'POST') return json(405, { error: { type: 'invalid_request_error', message: 'POST only' } });

    const number = params.get('payment_method_data[card][number]') ?? '';
    this.cardNumbersReceived.push(number);
    if (!luhnValid(number)) {
      return json(402, {
        error: { type: 'card_error', code: 'incorrect_number', message: 'Your card number is incorrect.' },
      });
    }
    if (number === DECLINED_CARD) {
      return json(402, { error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } });
    }
    const paid = backend.succeed(pi.id, { brand: brandOf(number), last4: number.slice(-4) });
    if (this.options.webhookUrl) {
      const res = await backend.deliver(this.options.webhookUrl, backend.event('payment_intent.succeeded', paid));
      this.webhookStatuses.push(res.status);
    }
    return json(200, paid);
  }
}
