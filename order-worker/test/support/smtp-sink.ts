import { readFileSync } from 'node:fs';
import { freePort } from '@shop/shared/test-harness';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

/** What the sink does with the next message: take it, refuse it (a 4xx), or never answer DATA. */
export type SinkMode = 'accept' | 'refuse' | 'hang';

export interface ReceivedMail {
  to: string[];
  /** Whether the session was TLS (STARTTLS or implicit) when the message came in. */
  secure: boolean;
  raw: string;
  parsed: ParsedMail;
}

/**
 * A real SMTP server (the `smtp-server` package) on a spare loopback port that keeps what it
 * receives, for tests to read. It can refuse or stall messages, be stopped (the relay is down)
 * and started again on the same port.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  /**
   * Message transactions that reached DATA, whatever the answer. Each is answered by the mode it
   * was counted under: a test that changes the mode once it sees a count never changes the answer
   * to a try already counted (that race once let a counted "refused" try be accepted).
   */
  attempts = 0;
  mode: SinkMode = 'accept';
  port = 0;
  private server: SMTPServer | undefined;
  private readonly stalled = new Set<() => void>();

  constructor(private readonly options: { tls?: { certFile: string; keyFile: string }; starttls?: boolean } = {}) {}

  async start(): Promise<this> {
    if (this.port === 0) this.port = await freePort();
    const starttls = this.options.starttls ?? Boolean(this.options.tls);
    const server = new SMTPServer({
      authOptional: true,
      logger: false,
      disabledCommands: starttls ? [] : ['STARTTLS'],
      ...(this.options.tls
        ? { key: readFileSync(this.options.tls.keyFile), cert: readFileSync(this.options.tls.certFile) }
        : {}),
      onData: (stream, session, callback) => {
        const mode = this.mode;
        this.attempts++;
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => void this.onMessage(mode, Buffer.concat(chunks), session, callback));
      },
    });
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return this;
  }

  private async onMessage(
    mode: SinkMode,
    raw: Buffer,
    session: SMTPServerSession,
    callback: (err?: Error | null) => void,
  ) {
    if (mode === 'refuse') {
      const err = Object.assign(new Error('Try again later'), { responseCode: 451 });
      callback(err);
      return;
    }
    if (mode === 'hang') {
      // Never answers: the client's timeout ends the try. Released at stop.
      this.stalled.add(() => callback(Object.assign(new Error('Gone'), { responseCode: 421 })));
      return;
    }
    this.received.push({
      to: session.envelope.rcptTo.map((r) => r.address),
      secure: session.secure,
      raw: raw.toString('utf8'),
      parsed: await simpleParser(raw),
    });
    callback();
  }

  /** The relay goes away (connections refused) until `start` is called again. */
  async stop(): Promise<void> {
    for (const release of this.stalled) release();
    this.stalled.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
