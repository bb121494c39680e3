import type { MailRequest, MailTemplate } from '@shop/shared/mail-request';
import { MAIL_REQUESTED_TOPIC } from '@shop/shared/mail-request';
import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../../src/db/client.js';
import { mailDeliveries, outbox } from '../../src/db/schema/index.js';
import type { TestClient } from './cookie-jar.js';

/**
 * The mail requests the api wrote to the outbox, read as the database owner (the api's own
 * role may insert outbox rows but never read them back). Tests take the one-time token a mail
 * would carry from here, as the order-worker would, and follow it through the real route.
 */
export async function mailRequests(db: Database, userId: string, template?: MailTemplate): Promise<MailRequest[]> {
  const rows = await db
    .select({ payload: outbox.payload })
    .from(outbox)
    .where(
      and(
        eq(outbox.topic, MAIL_REQUESTED_TOPIC),
        sql`${outbox.payload}->>'userId' = ${userId}`,
        ...(template ? [sql`${outbox.payload}->>'template' = ${template}`] : []),
      ),
    )
    .orderBy(outbox.id);
  return rows.map((r) => r.payload as unknown as MailRequest);
}

/** The token of the newest mail of `template` requested for the user. */
export async function mailedToken(db: Database, userId: string, template: MailTemplate): Promise<string> {
  const requests = await mailRequests(db, userId, template);
  const token = requests.at(-1)?.token;
  if (!token) throw new Error(`no ${template} mail with a token was requested for ${userId}`);
  return token;
}

/** Follows the verification link of the shopper's newest verification mail (POST /api/auth/verify-email). */
export async function verifyEmail(client: TestClient, db: Database, userId: string): Promise<void> {
  const token = await mailedToken(db, userId, 'email_verification');
  const res = await client.request({ method: 'POST', url: '/api/auth/verify-email', payload: { token } });
  if (res.statusCode !== 204) throw new Error(`verify-email answered ${res.statusCode}: ${res.body}`);
}

/** What the order-worker records once it has finished with a request (sent or given up). */
export async function recordMailDelivery(db: Database, request: MailRequest, status: 'sent' | 'dead' = 'sent') {
  await db
    .insert(mailDeliveries)
    .values({ requestId: request.requestId, template: request.template, userId: request.userId, status });
}
