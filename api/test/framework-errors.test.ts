import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { SECURITY_HEADERS } from '../src/plugins/security-headers.js';
import { buildTestApp } from './helper.js';

/** Sends raw bytes (what no well-behaved client library would send) and reads the whole answer. */
async function rawExchange(t: TestContext, request: string): Promise<{ status: number; head: string; body: string }> {
  const { app } = await buildTestApp(t);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as net.AddressInfo;
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body };
}

function assertSecurityHeaders(head: string): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    assert.ok(head.includes(`\r\n${name}: ${value.toLowerCase()}`), `${name} is sent`);
  }
  assert.match(head, /\r\ncache-control: no-store/);
}

describe('answers made before any route or hook (ASVS 14.4, 7.4.1)', () => {
  it('[pentest 8.10] a URL that does not decode answers 400 invalid_url with the security headers and no echo of the path', async (t) => {
    const { app } = await buildTestApp(t);
    for (const url of ['/api/products/%', '/api/products/%zz<script>']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 400, url);
      assert.deepEqual(res.json(), { error: { code: 'invalid_url', message: 'Invalid URL' } });
      assert.doesNotMatch(res.body, /products|script/);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(res.headers[name], value, name);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });

  it('[pentest 8.10] a parameter over the router limit answers 414 url_too_long without echoing it', async (t) => {
    const { app } = await buildTestApp(t);
    const res = await app.inject({ method: 'GET', url: `/api/products/${'a'.repeat(300)}` });
    assert.equal(res.statusCode, 414);
    assert.deepEqual(res.json(), { error: { code: 'url_too_long', message: 'URL parameter is too long' } });
    assert.equal(res.headers['content-security-policy'], SECURITY_HEADERS['content-security-policy']);
  });

  it('[pentest 8.10] a bad Content-Length answers 400 with the security headers and the stable error body', async (t) => {
    const res = await rawExchange(
      t,
      'POST /api/auth/login HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 1x\r\n\r\n{}',
    );
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), {
      error: { code: 'malformed_request', message: 'Malformed HTTP request' },
    });
    assertSecurityHeaders(res.head);
  });

  it('[pentest 8.10] an unknown method answers 400 with the security headers and the stable error body', async (t) => {
    const res = await rawExchange(t, 'BREW /api/products/%25 HTTP/1.1\r\nHost: shop\r\n\r\n');
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), {
      error: { code: 'malformed_request', message: 'Malformed HTTP request' },
    });
    assert.doesNotMatch(res.body, /products/);
    assertSecurityHeaders(res.head);
  });
});
