import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

/**
 * A mail to send. It names the recipient by user id, never by address: the production transport
 * resolves the address through the tokenizer at send time, so no personal data travels through
 * the queue, the database rows of the pipeline or the log.
 */
export interface MailMessage {
  template: 'order_confirmation';
  recipientUserId: string;
  orderId: string;
  /** Same key, same mail: a redelivered message must not mail the shopper twice. */
  idempotencyKey: string;
}

export interface MailTransport {
  send(message: MailMessage): Promise<void>;
}

/** Development form: one JSON file per mail under a local folder (never the internet). */
export class FolderMailTransport implements MailTransport {
  private ready: Promise<unknown> | undefined;
  constructor(private readonly dir: string) {}

  async send(message: MailMessage): Promise<void> {
    // Once per transport, not per mail (a failed mkdir is tried again by the next send).
    this.ready ??= mkdir(this.dir, { recursive: true }).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    const file = join(this.dir, `${message.idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
    try {
      await writeFile(file, `${JSON.stringify({ ...message, queuedAt: new Date().toISOString() })}\n`, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Development form that only logs ids (template, order): nothing personal reaches the log. */
export class LogMailTransport implements MailTransport {
  constructor(private readonly log: Pick<Logger, 'info'>) {}

  async send(message: MailMessage): Promise<void> {
    this.log.info({ template: message.template, orderId: message.orderId }, 'mail queued (log transport)');
  }
}
