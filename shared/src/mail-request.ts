import { type Static, Type } from 'typebox';

/**
 * A request for one mail, written by the api to the outbox (topic `mail.requested`) in the
 * transaction of the change it announces, and sent by the order-worker. It names the recipient
 * by user id only: the api can never read an address (its tokenizer policy denies detokenize),
 * so the worker resolves the address through the tokenizer at send time and keeps none of it.
 * `requestId` is the idempotency key: a redelivered request is mailed at most once
 * (`mail_deliveries`). `token` is the one-time secret a link in the mail carries (verification,
 * password reset); the api stores only its hash, and nothing logs it.
 */
export const MAIL_REQUESTED_TOPIC = 'mail.requested';

export const MailTemplate = Type.Union([
  Type.Literal('email_verification'),
  Type.Literal('password_reset'),
  Type.Literal('password_changed'),
  Type.Literal('order_confirmation'),
  Type.Literal('data_export'),
  Type.Literal('account_deleted'),
]);
export type MailTemplate = Static<typeof MailTemplate>;

const Uuid = Type.String({ format: 'uuid', maxLength: 36 });

export const MailRequest = Type.Object(
  {
    requestId: Uuid,
    template: MailTemplate,
    userId: Uuid,
    orderId: Type.Optional(Uuid),
    // base64url, 32 random bytes or more; only in verification and reset requests.
    token: Type.Optional(Type.String({ minLength: 43, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' })),
  },
  { additionalProperties: false },
);
export type MailRequest = Static<typeof MailRequest>;
