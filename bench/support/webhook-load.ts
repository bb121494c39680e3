import http from 'node:http';
import type { StripeDouble } from '../../api/test/support/stripe-double.js';

export interface WebhookLoadResult {
  startedAt: number;
  finishedAt: number;
  /** Answer latency of each webhook, ms. */
  latencies: number[];
}

function post(
  agent: http.Agent,
  url: URL,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Stripe's delivery of `payment_intent.succeeded` for each intent: the event is built and
 * signed (official library, via the double) just before it is sent, by `concurrency` senders
 * over keep-alive connections. Each request carries X-Forwarded-For as the gateway would, with
 * the sending addresses taken in turn from `sourceAddresses`. Anything but 200 fails the run.
 */
export async function deliverSucceededWebhooks(
  apiUrl: string,
  double: StripeDouble,
  paymentIntentIds: string[],
  opts: { concurrency: number; sourceAddresses: string[] },
): Promise<WebhookLoadResult> {
  const url = new URL('/api/webhooks/stripe', apiUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  let next = 0;
  const startedAt = performance.now();
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < paymentIntentIds.length) {
          const i = next++;
          const intent = double.intents.get(paymentIntentIds[i] as string);
          if (!intent) throw new Error('unknown payment intent');
          const { payload, signature } = double.sign(double.event('payment_intent.succeeded', intent));
          const t0 = performance.now();
          const res = await post(agent, url, payload, {
            'content-type': 'application/json',
            'stripe-signature': signature,
            'x-forwarded-for': opts.sourceAddresses[i % opts.sourceAddresses.length] as string,
          });
          latencies.push(performance.now() - t0);
          if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.body.slice(0, 200)}`);
          if (res.body.includes('duplicate')) throw new Error('webhook answered duplicate to a first delivery');
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return { startedAt, finishedAt: performance.now(), latencies };
}
