import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@shop/shared/test-harness';
import { ApiConfigSchema } from '../../api/src/config.js';
import { CSP_REPORT_BODY_LIMIT } from '../../api/src/routes/csp-reports/index.js';
import { MAX_WEBHOOK_BYTES } from '../../api/src/routes/webhooks/index.js';

// Runs the production gateway configuration in a real nginx, in front of a recording
// upstream, to pin what the api relies on: the client address comes only from the gateway.
const confPath = new URL('../nginx.conf', import.meta.url);

interface Seen {
  url: string | undefined;
  headers: http.IncomingHttpHeaders;
}

/** The api's own body limit of each route with one (Fastify refuses a body over it with 413). */
const API_BODY_LIMITS: Array<[string, number]> = [
  ['/api/auth/login', ApiConfigSchema.properties.BODY_LIMIT_BYTES.default],
  ['/api/webhooks/stripe', MAX_WEBHOOK_BYTES],
  ['/api/csp-reports', CSP_REPORT_BODY_LIMIT],
];

describe('[C-019] gateway (nginx.conf)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-test-'));
  let nginx: ChildProcess | undefined;
  let upstream: http.Server;
  let port = 0;
  const seen: Seen[] = [];

  before(async () => {
    try {
      execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    } catch {
      throw new Error('nginx is not installed: apt-get install -y nginx (.ci/run does this)');
    }
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );

    upstream = http.createServer((req, res) => {
      seen.push({ url: req.url, headers: req.headers });
      req.resume();
      // As an api behind a different deployment might: the gateway must not pass it on.
      res.setHeader('Strict-Transport-Security', 'max-age=60');
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const upstreamPort = (upstream.address() as { port: number }).port;
    port = await freePort();

    // The same file, pointed at loopback ports and temporary paths.
    const conf = readFileSync(confPath, 'utf8')
      .replaceAll('/tmp/', `${dir}/`)
      .replace('listen 8443 ssl http2;', `listen 127.0.0.1:${port} ssl http2;`)
      .replace('server api:3000;', `server 127.0.0.1:${upstreamPort};`)
      .replace('/run/secrets/gateway_tls_cert', join(dir, 'cert.pem'))
      .replace('/run/secrets/gateway_tls_key', join(dir, 'key.pem'))
      .replace('worker_processes auto;', 'worker_processes 1;');
    assert.ok(conf.includes(`127.0.0.1:${port}`), 'the listen line was rewritten');
    writeFileSync(join(dir, 'nginx.conf'), conf);
    nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      try {
        await request('/', {});
        seen.length = 0;
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('nginx did not start');
  });

  after(async () => {
    nginx?.kill('SIGTERM');
    await new Promise((r) => upstream.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  function request(
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[] }> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers, rejectUnauthorized: false },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('overwrites a client-sent X-Forwarded-For with the real peer address (ASVS 4.0.3 V1.4.x, rate-limit bypass)', async () => {
    seen.length = 0;
    const res = await request('/api/me', {
      'X-Forwarded-For': '203.0.113.9',
      Forwarded: 'for=203.0.113.9',
      'X-Real-IP': '203.0.113.9',
      'X-Forwarded-Host': 'evil.example',
    });
    assert.equal(res.status, 200);
    const h = seen[0]?.headers;
    assert.ok(h, 'the upstream received the request');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h.forwarded, undefined);
    assert.equal(h['x-real-ip'], undefined);
    assert.equal(h['x-forwarded-host'], undefined);
  });

  it('hides its version', async () => {
    const res = await request('/', {});
    assert.equal(res.headers.server, 'nginx');
  });

  it('[pentest 8.10] sends exactly one HSTS header, its own, on proxied answers and on its own refusals', async () => {
    const proxied = await request('/api/me', {});
    const refused = await request('/api/auth/login', { 'content-type': 'application/json' }, 'x'.repeat(70_000));
    assert.equal(refused.status, 413);
    for (const res of [proxied, refused]) {
      const values = res.rawHeaders.filter(
        (_v, i, all) => i % 2 === 1 && all[i - 1]?.toLowerCase() === 'strict-transport-security',
      );
      assert.deepEqual(values, ['max-age=31536000; includeSubDomains']);
    }
  });

  it('[pentest 8.10] lets each route take the body its api limit allows, and refuses one byte more at the edge', async () => {
    for (const [path, limit] of API_BODY_LIMITS) {
      seen.length = 0;
      const fits = await request(path, { 'content-type': 'application/json' }, 'x'.repeat(limit));
      assert.equal(fits.status, 200, `${path}: ${limit} bytes reach the api`);
      assert.equal(seen.length, 1, path);
      assert.equal(seen[0]?.url, path);
      seen.length = 0;
      const over = await request(path, { 'content-type': 'application/json' }, 'x'.repeat(limit + 1));
      assert.equal(over.status, 413, `${path}: ${limit + 1} bytes`);
      assert.equal(seen.length, 0, `${path}: the api never saw the oversized body`);
    }
  });

  it('[C-019] testssl.sh finds nothing above LOW in the TLS configuration (PCI DSS v4.0.1 4.2.1, 2.2.7)', () => {
    try {
      execFileSync('testssl', ['--version'], { stdio: 'ignore' });
    } catch {
      throw new Error('testssl.sh is not installed: apt-get install -y testssl.sh (.ci/run does this)');
    }
    const report = join(dir, 'testssl.json');
    // Protocols, cipher categories, forward secrecy, server preference and defaults, headers and
    // the known vulnerabilities (no client simulation: it tests clients, not this file).
    spawnSync(
      'testssl',
      [
        '--quiet',
        '--color',
        '0',
        '--warnings',
        'batch',
        '--jsonfile',
        report,
        '-p',
        '-s',
        '-f',
        '-P',
        '-S',
        '-h',
        '-U',
        `127.0.0.1:${port}`,
      ],
      { stdio: 'ignore', timeout: 480_000 },
    );
    const findings = JSON.parse(readFileSync(report, 'utf8')) as { id: string; severity: string; finding: string }[];
    assert.ok(findings.length > 20, 'testssl.sh ran its checks');
    // The test certificate is self-signed for 127.0.0.1 and names no OCSP responder: findings on
    // its trust and revocation are about that certificate, not this configuration (the operator's
    // certificate is a public CA's).
    const CERTIFICATE =
      /^(cert_|chain_of_trust|OCSP_stapling|DNS_CAArecord|certificate_transparency|intermediate_cert)/;
    const above = findings.filter(
      (f) => ['MEDIUM', 'HIGH', 'CRITICAL'].includes(f.severity) && !CERTIFICATE.test(f.id),
    );
    assert.deepEqual(
      above.map((f) => `${f.severity} ${f.id}: ${f.finding}`),
      [],
    );
    const byId = (id: string) => findings.find((f) => f.id === id)?.finding ?? '';
    assert.match(byId('TLS1_3'), /^offered/);
    assert.match(byId('TLS1_2'), /^offered/);
    assert.match(byId('TLS1_1'), /^not offered/);
  });

  it('refuses TLS 1.1 (PCI DSS v4.0.1 4.2.1)', async () => {
    await assert.rejects(
      new Promise((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' },
          resolve,
        );
        req.on('error', reject);
        req.end();
      }),
    );
  });
});
