import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { WorkerConfig } from '../config.js';

/** One composed mail: the address is here only in memory, for the time of the send. */
export interface OutgoingMail {
  /** The idempotency key: also the Message-ID and the .eml file name. */
  requestId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  attachments?: { filename: string; content: string; contentType: string }[];
}

export interface MailTransport {
  readonly kind: 'smtp' | 'eml';
  /** Where mail goes, without credentials (for the start line). */
  readonly description: string;
  /** Resolves once the SMTP server accepted the message (or the file is written). */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A relay that refused, timed out or could not be reached: the mail is tried again later. */
export class MailSendFailedError extends Error {
  override name = 'MailSendFailedError';
  /** The SMTP reply code, when the server gave one (never its text: it may echo the address). */
  readonly smtpCode: number | undefined;
  constructor(cause: unknown) {
    super('mail not accepted');
    const { responseCode, code } = (cause ?? {}) as { responseCode?: unknown; code?: unknown };
    this.smtpCode = typeof responseCode === 'number' ? responseCode : undefined;
    if (typeof code === 'string') (this as { code?: string }).code = code;
  }
}

/** True for a host name that cannot leave this machine: localhost, 127.0.0.0/8, ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * nodemailer's SMTP options for SMTP_URL. Mail carries personal data (address, name, order,
 * a data export), so it never crosses a network in clear (PCI DSS v4.0.1 4.2.1 by analogy;
 * ASVS 9.2.1): `smtps://` is TLS from the first byte; `smtp://` must upgrade with STARTTLS
 * (`requireTLS`: a relay that does not offer it, or a stripped offer, fails the send), except
 * to a loopback host, which no network sees. The relay's certificate is always verified.
 */
export function smtpOptions(
  config: Pick<WorkerConfig, 'SMTP_URL' | 'SMTP_PROXY_URL' | 'MAIL_RELAY_CA_FILE' | 'MAIL_SEND_TIMEOUT_MS'>,
): SMTPTransport.Options {
  if (!config.SMTP_URL) throw new Error('SMTP_URL is unset');
  const url = new URL(config.SMTP_URL);
  const secure = url.protocol === 'smtps:';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && !isLoopbackHost(url.hostname),
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    tls: {
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      servername: isIP(host) ? undefined : host,
      ...(config.MAIL_RELAY_CA_FILE ? { ca: readFileSync(config.MAIL_RELAY_CA_FILE, 'utf8') } : {}),
    },
    ...(config.SMTP_PROXY_URL ? { proxy: config.SMTP_PROXY_URL } : {}),
    connectionTimeout: config.MAIL_SEND_TIMEOUT_MS,
    greetingTimeout: config.MAIL_SEND_TIMEOUT_MS,
    socketTimeout: config.MAIL_SEND_TIMEOUT_MS,
    // Our templates reference no file and no URL; nothing may make nodemailer fetch one.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
    debug: false,
  };
}

function envelope(mail: OutgoingMail, from: string, messageHost: string) {
  return {
    from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    // Stable per request: a receiving system that sees the same mail twice can tell.
    messageId: `<${mail.requestId}@${messageHost}>`,
    attachments: mail.attachments?.map((a) => ({ ...a, contentDisposition: 'attachment' as const })),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The SMTP transport (SMTP_URL set). `getSocket` is for tests that dial a name that is not in DNS. */
export function smtpTransport(
  config: Pick<
    WorkerConfig,
    'SMTP_URL' | 'SMTP_PROXY_URL' | 'MAIL_RELAY_CA_FILE' | 'MAIL_SEND_TIMEOUT_MS' | 'MAIL_FROM'
  >,
  deps: { getSocket?: SMTPTransport.Options['getSocket'] } = {},
): MailTransport {
  const options = smtpOptions(config);
  const transporter = nodemailer.createTransport({
    ...options,
    ...(deps.getSocket ? { getSocket: deps.getSocket } : {}),
  });
  const messageHost = config.MAIL_FROM.split('@')[1] ?? 'localhost';
  return {
    kind: 'smtp',
    description: `SMTP ${options.secure ? 'over TLS' : options.requireTLS ? 'with STARTTLS required' : '(loopback)'} to ${options.host}:${options.port}`,
    async send(mail) {
      try {
        await transporter.sendMail(envelope(mail, config.MAIL_FROM, messageHost));
      } catch (err) {
        throw new MailSendFailedError(err);
      }
    },
    close: () => transporter.close(),
  };
}

/**
 * The development transport (SMTP_URL unset): each mail as an RFC 5322 `.eml` file under
 * MAIL_DIR, composed by nodemailer exactly as it would be sent. The files hold personal data
 * (an address, a data export): owner-only permissions, in a folder git ignores.
 */
export function emlTransport(config: Pick<WorkerConfig, 'MAIL_DIR' | 'MAIL_FROM'>): MailTransport {
  const dir = resolve(config.MAIL_DIR);
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const messageHost = config.MAIL_FROM.split('@')[1] ?? 'localhost';
  let ready: Promise<unknown> | undefined;
  return {
    kind: 'eml',
    description: `.eml files in ${dir}`,
    async send(mail) {
      ready ??= mkdir(dir, { recursive: true, mode: 0o700 }).catch((err: unknown) => {
        ready = undefined;
        throw err;
      });
      try {
        await ready;
        const info = await transporter.sendMail(envelope(mail, config.MAIL_FROM, messageHost));
        const file = join(dir, `${mail.requestId.replace(/[^A-Za-z0-9-]/g, '_')}.eml`);
        await writeFile(file, info.message as Buffer, { flag: 'wx', mode: 0o600 }).catch((err: unknown) => {
          // Written by an earlier try whose record did not commit: the same mail, kept once.
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        });
      } catch (err) {
        throw new MailSendFailedError(err);
      }
    },
    close: () => transporter.close(),
  };
}

export function mailTransportFromConfig(config: WorkerConfig): MailTransport {
  return config.SMTP_URL ? smtpTransport(config) : emlTransport(config);
}
