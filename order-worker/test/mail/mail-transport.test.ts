import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Allowlist } from '@shop/egress-proxy/allowlist';
import { createEgressProxy } from '@shop/egress-proxy/proxy';
import { DevCertificateAuthority } from '@shop/shared/mtls';
import { simpleParser } from 'mailparser';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import pino from 'pino';
import { loadWorkerConfig } from '../../src/config.js';
import {
  emlTransport,
  isLoopbackHost,
  MailSendFailedError,
  type OutgoingMail,
  smtpOptions,
  smtpTransport,
} from '../../src/mail/mail-transport.js';
import { SmtpSink } from '../support/smtp-sink.js';

const mail = (requestId = crypto.randomUUID()): OutgoingMail => ({
  requestId,
  to: 'shopper@example.test',
  subject: 'Subject',
  text: 'Text',
  html: '<p>Text</p>',
});

let dir: string;
let ca: DevCertificateAuthority;
let otherCa: DevCertificateAuthority;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mail-transport-'));
  ca = await new DevCertificateAuthority(join(dir, 'ca')).init();
  otherCa = await new DevCertificateAuthority(join(dir, 'other-ca'), 'Somebody Else CA').init();
  await ca.issue('mail-relay', { server: true });
  await otherCa.issue('mail-relay', { server: true });
});
after(() => rm(dir, { recursive: true, force: true }));

/** Dials the sink whatever host the URL names: the relay's name is not in DNS here. */
function dialSink(sink: SmtpSink): SMTPTransport.Options['getSocket'] {
  return (_options, callback) => {
    const socket = net.connect(sink.port, '127.0.0.1');
    socket.once('connect', () => callback(null, { connection: socket }));
    socket.once('error', (err) => callback(err, undefined));
  };
}

function relayConfig(extra: Record<string, string> = {}) {
  return loadWorkerConfig({
    WORKER_DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
    SMTP_URL: 'smtp://mail-relay:2525',
    MAIL_FROM: 'shop@shop.example.test',
    MAIL_SEND_TIMEOUT_MS: '10000',
    ...extra,
  });
}

describe('[C-051] mail transport (ASVS 9.2.1, PCI DSS v4.0.1 4.2.1 by analogy: shopper data never crosses a network in clear)', () => {
  it('requires STARTTLS for any relay that is not loopback, takes smtps:// as TLS from the start, and always verifies the certificate', () => {
    const options = (url: string) => smtpOptions({ SMTP_URL: url, MAIL_SEND_TIMEOUT_MS: 1000 });
    for (const url of [
      'smtp://mail-relay:587',
      'smtp://relay.example.com',
      'smtp://10.0.0.5:25',
      'smtp://[2001:db8::1]:25',
    ]) {
      assert.equal(options(url).requireTLS, true, url);
      assert.equal(options(url).secure, false, url);
    }
    for (const url of ['smtp://127.0.0.1:2525', 'smtp://localhost:25', 'smtp://[::1]:25', 'smtp://127.8.9.10:25']) {
      assert.equal(options(url).requireTLS, false, url);
    }
    assert.deepEqual(
      [options('smtps://relay.example.com').secure, options('smtps://relay.example.com').port],
      [true, 465],
    );
    assert.equal(options('smtp://user:p%40ss@relay.example.com').auth?.pass, 'p@ss');
    for (const url of ['smtp://relay.example.com', 'smtp://127.0.0.1:25']) {
      assert.equal(options(url).tls?.rejectUnauthorized, true, url);
      assert.equal(options(url).disableUrlAccess, true);
      assert.equal(options(url).disableFileAccess, true);
    }
    assert.equal(isLoopbackHost('127.evil.example'), false);
    assert.equal(isLoopbackHost('localhost.example.com'), false);
  });

  it('refuses to send to a remote relay that offers no STARTTLS: the message never leaves in clear', async (t) => {
    const sink = await new SmtpSink({ starttls: false }).start();
    t.after(() => sink.stop());
    const transport = smtpTransport(relayConfig(), { getSocket: dialSink(sink) });
    t.after(() => transport.close());
    await assert.rejects(transport.send(mail()), MailSendFailedError);
    assert.equal(sink.attempts, 0, 'no DATA was sent');
    assert.equal(sink.received.length, 0);
  });

  it('sends to a remote relay over STARTTLS when its certificate chains to MAIL_RELAY_CA_FILE, and refuses one from another CA', async (t) => {
    const trusted = await new SmtpSink({
      tls: { certFile: ca.certFile('mail-relay'), keyFile: ca.keyFile('mail-relay') },
    }).start();
    t.after(() => trusted.stop());
    const good = smtpTransport(relayConfig({ MAIL_RELAY_CA_FILE: ca.caFile }), { getSocket: dialSink(trusted) });
    t.after(() => good.close());
    await good.send(mail());
    assert.equal(trusted.received.length, 1);
    assert.equal(trusted.received[0]?.secure, true, 'the session was upgraded before the message');

    const impostor = await new SmtpSink({
      tls: { certFile: otherCa.certFile('mail-relay'), keyFile: otherCa.keyFile('mail-relay') },
    }).start();
    t.after(() => impostor.stop());
    const fooled = smtpTransport(relayConfig({ MAIL_RELAY_CA_FILE: ca.caFile }), { getSocket: dialSink(impostor) });
    t.after(() => fooled.close());
    await assert.rejects(fooled.send(mail()), MailSendFailedError);
    assert.equal(impostor.attempts, 0, 'nothing reached a relay whose certificate does not verify');
  });

  it('[C-052] sends through the egress proxy (SMTP_PROXY_URL): a CONNECT to the relay host:port, STARTTLS end to end inside the tunnel; a relay off its allowlist gets nothing (PCI DSS 1.3.2)', async (t) => {
    const relay = await new SmtpSink({
      tls: { certFile: ca.certFile('mail-relay'), keyFile: ca.keyFile('mail-relay') },
    }).start();
    t.after(() => relay.stop());
    // The proxy resolves the relay's name; here that name is this machine's sink.
    const proxyFor = async (allow: string) => {
      const targets: string[] = [];
      const proxy = createEgressProxy(
        { allow: new Allowlist(allow), connectTimeoutMs: 5_000, idleTimeoutMs: 60_000, maxTunnels: 4 },
        {
          log: pino({ level: 'silent' }),
          connect: (target) => {
            targets.push(`${target.host}:${target.port}`);
            return net.connect(relay.port, '127.0.0.1');
          },
        },
      );
      const { port } = await proxy.listen(0, '127.0.0.1');
      t.after(() => proxy.close());
      return { url: `http://127.0.0.1:${port}`, targets };
    };

    const open = await proxyFor('mail-relay:2525');
    const through = smtpTransport(relayConfig({ MAIL_RELAY_CA_FILE: ca.caFile, SMTP_PROXY_URL: open.url }));
    t.after(() => through.close());
    await through.send(mail());
    assert.deepEqual(open.targets, ['mail-relay:2525'], 'one tunnel, to the relay named by SMTP_URL');
    assert.equal(relay.received.length, 1);
    assert.equal(relay.received[0]?.secure, true, 'STARTTLS inside the tunnel, the certificate verified');

    const closed = await proxyFor('api.stripe.com:443');
    const refused = smtpTransport(relayConfig({ MAIL_RELAY_CA_FILE: ca.caFile, SMTP_PROXY_URL: closed.url }));
    t.after(() => refused.close());
    await assert.rejects(refused.send(mail()), MailSendFailedError);
    assert.deepEqual(closed.targets, [], 'the proxy opened nothing');
    assert.equal(relay.received.length, 1, 'the relay got nothing more');
  });

  it('with SMTP_URL unset writes each mail once as an .eml file only its owner can read', async (t) => {
    const folder = join(dir, 'eml');
    const transport = emlTransport({ MAIL_DIR: folder, MAIL_FROM: 'shop@shop.example.test' });
    t.after(() => transport.close());
    assert.equal(transport.kind, 'eml');
    assert.match(transport.description, /\.eml files in /);
    const one = mail();
    await transport.send(one);
    await transport.send({ ...one, subject: 'A second try of the same request' });
    const files = await readdir(folder);
    assert.deepEqual(files, [`${one.requestId}.eml`]);
    const file = join(folder, files[0] as string);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(folder)).mode & 0o777, 0o700);
    const parsed = await simpleParser(await readFile(file));
    assert.equal(parsed.subject, 'Subject', 'the first try is kept');
    assert.equal(parsed.messageId, `<${one.requestId}@shop.example.test>`);
    assert.equal(parsed.text?.trim(), 'Text');
  });
});
