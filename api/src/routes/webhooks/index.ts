import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody } from '@shop/shared/errors';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import Type from 'typebox';
import {
  publicCode,
  WebhookNotConfiguredError,
  WebhookPayloadInvalidError,
  WebhookSignatureInvalidError,
} from '../../errors.js';
import { applyStripeEvent } from './stripe-event-handler.js';

/** Stripe's default: a signed timestamp older than this is refused, which bounds replays. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;
export const MAX_WEBHOOK_BYTES = 256 * 1024;

export interface WebhookRoutesOptions {
  /** Used to re-fetch objects; null when STRIPE_SECRET_KEY is unset (events then wait for retries). */
  stripe: Stripe | null;
  /** Current secret first, then the previous one while a rotation is in progress. */
  signingSecrets: string[];
  rateLimit?: { max: number; timeWindow: string | number };
}

class RawBody {
  constructor(readonly bytes: Buffer) {}
}

/**
 * POST /api/webhooks/stripe. Encapsulated (no fastify-plugin): the raw-body parser below
 * applies to this route only, because the signature covers the exact bytes Stripe sent.
 * Exempt from CSRF (Stripe has no session or token; the signature is the authentication)
 * and never touches the session; it has its own rate limit.
 */
export default async function webhookRoutes(fastify: FastifyInstance, opts: WebhookRoutesOptions): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: MAX_WEBHOOK_BYTES },
    (_req, body, done) => done(null, new RawBody(body as Buffer)),
  );
  const rateLimit = opts.rateLimit ?? app.rateLimits.webhook;

  app.post(
    '/api/webhooks/stripe',
    {
      config: { csrf: false, rateLimit },
      schema: {
        tags: ['webhooks'],
        summary: 'Stripe events, verified on the raw body',
        headers: Type.Object({ 'stripe-signature': Type.String({ minLength: 1, maxLength: 4096 }) }),
        response: {
          200: Type.Object(
            { received: Type.Boolean(), duplicate: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          400: ErrorBody,
          413: ErrorBody,
          415: ErrorBody,
          429: ErrorBody,
          502: ErrorBody,
          503: ErrorBody,
        },
      },
    },
    async (request) => {
      if (opts.signingSecrets.length === 0) throw new WebhookNotConfiguredError();
      if (!(request.body instanceof RawBody)) throw new WebhookPayloadInvalidError();
      const raw = request.body.bytes;
      const header = request.headers['stripe-signature'];
      // The library bounds only the past; a timestamp far ahead would keep a signed body
      // replayable for longer than the tolerance, so the window is made symmetric.
      const signedAt = Number(/(?:^|,)t=(\d{1,12})(?:,|$)/.exec(header)?.[1]);
      if (signedAt > Math.floor(Date.now() / 1000) + WEBHOOK_TOLERANCE_SECONDS) {
        const refused = new WebhookSignatureInvalidError();
        request.log.warn({ code: publicCode(refused) }, 'webhook refused: timestamp in the future');
        throw refused;
      }

      let event: Stripe.Event | undefined;
      let malformed = false;
      for (const secret of opts.signingSecrets) {
        try {
          event = Stripe.webhooks.constructEvent(raw, header, secret, WEBHOOK_TOLERANCE_SECONDS);
          break;
        } catch (err) {
          // A good signature over bytes that are not JSON: the library fails while parsing.
          if ((err as { type?: string }).type !== 'StripeSignatureVerificationError') malformed = true;
        }
      }
      if (!event) {
        const refused = malformed ? new WebhookPayloadInvalidError() : new WebhookSignatureInvalidError();
        request.log.warn({ code: publicCode(refused) }, 'webhook refused');
        throw refused;
      }
      const object = (event as { data?: { object?: unknown } }).data?.object;
      if (
        typeof event.id !== 'string' ||
        !event.id.startsWith('evt_') ||
        event.id.length > 255 ||
        typeof event.type !== 'string' ||
        !object ||
        typeof object !== 'object' ||
        Array.isArray(object)
      ) {
        throw new WebhookPayloadInvalidError();
      }
      const outcome = await applyStripeEvent(
        app.db,
        opts.stripe,
        { id: event.id, type: event.type, data: { object: object as Record<string, unknown> } },
        request.log,
      );
      request.log.info({ eventId: event.id, eventType: event.type, outcome }, 'stripe event');
      return outcome === 'duplicate' ? { received: true, duplicate: true } : { received: true };
    },
  );
}
