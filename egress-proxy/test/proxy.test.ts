import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import tls from 'node:tls';
import { eventually, freePort } from '@shop/shared/test-harness';
import {
  closedWithin,
  connectThrough,
  readToEnd,
  sendToProxy,
  startEchoUpstream,
  startTestProxy,
  startTlsUpstream,
} from './helper.js';

// Control C-052: the shop's outbound traffic leaves only through the egress proxy, and only to
// the `host:port` pairs EGRESS_ALLOW lists (PCI DSS v4.0.1 1.3.2: outbound traffic from the CDE
// restricted to what is necessary; 1.4.x: traffic between trusted and untrusted networks
// controlled). Each refusal test also checks that the upstream saw no connection at all.

/** One HTTP/1.1 request over TLS through an established tunnel; the whole answer. */
async function httpsThroughTunnel(socket: net.Socket, ca: Buffer, body: string): Promise<string> {
  const secure = tls.connect({ socket, ca, servername: 'localhost' });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', () => resolve());
    secure.once('error', reject);
  });
  secure.write(
    `POST /v1/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  const chunks: Buffer[] = [];
  secure.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve) => secure.once('close', () => resolve()));
  return Buffer.concat(chunks).toString('utf8');
}

describe('egress proxy: tunnels to the allowlist only', () => {
  it('[C-052] tunnels a CONNECT to an allowed host:port and carries TLS end to end to it (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startTlsUpstream(t, 'hello from upstream');
    const { port, logs } = await startTestProxy(t, { allow: `example.com:443,localhost:${upstream.port}` });

    const answer = await connectThrough(port, `localhost:${upstream.port}`);
    assert.equal(answer.status, 200, answer.head);
    assert.equal(answer.head, 'HTTP/1.1 200 Connection established');
    const reply = await httpsThroughTunnel(answer.socket, upstream.ca, 'ping');
    assert.match(reply, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(reply.endsWith('hello from upstream ping'), reply);
    assert.equal(upstream.connections, 1);

    await eventually(() => assert.equal(logs.events('egress.tunnel').length, 1));
    const [line] = logs.events('egress.tunnel');
    assert.equal(line?.target, `localhost:${upstream.port}`);
    assert.equal(line?.outcome, 'closed');
    assert.equal(line?.statusCode, 200);
    assert.ok((line?.bytesUp as number) > 0 && (line?.bytesDown as number) > 0, JSON.stringify(line));
  });

  it('[C-052] matches the allowed host case-insensitively and forwards the bytes sent right behind the CONNECT (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port } = await startTestProxy(t, { allow: `localhost:${upstream.port}` });

    const answer = await connectThrough(port, `LocalHost:${upstream.port}`, Buffer.from('early bytes|'));
    assert.equal(answer.status, 200, answer.head);
    answer.socket.end('late bytes');
    const echoed = await readToEnd(answer.socket, answer.rest);
    assert.equal(echoed.toString('utf8'), 'early bytes|late bytes');
    assert.equal(upstream.received().toString('utf8'), 'early bytes|late bytes');
  });

  it('[C-052] refuses a CONNECT to another port of an allowed host (PCI DSS 1.3.2)', async (t) => {
    const allowed = await startEchoUpstream(t);
    const other = await startEchoUpstream(t);
    const { port, logs } = await startTestProxy(t, { allow: `localhost:${allowed.port}` });

    const answer = await connectThrough(port, `localhost:${other.port}`);
    assert.equal(answer.status, 403, answer.head);
    assert.equal((await readToEnd(answer.socket, answer.rest)).toString('utf8'), 'denied\n');
    assert.equal(other.connections, 0, 'the proxy must not even connect to a port that is not listed');
    const [line] = logs.events('egress.refused');
    assert.equal(line?.reason, 'denied');
    assert.equal(line?.target, `localhost:${other.port}`);
    assert.equal(line?.clientAddress, '127.0.0.1');
  });

  it('[C-052] refuses a CONNECT to a host not on the allowlist, including look-alikes of an allowed one (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port } = await startTestProxy(t, { allow: `localhost:${upstream.port}` });

    for (const host of ['example.com', 'localhost.attacker.test', 'xlocalhost', 'sub.localhost']) {
      const answer = await connectThrough(port, `${host}:${upstream.port}`);
      assert.equal(answer.status, 403, `${host}: ${answer.head}`);
      await closedWithin(answer.socket);
    }
    assert.equal(upstream.connections, 0);
  });

  it('[C-052] refuses a CONNECT to an IP literal that is not listed, even the allowed host own address (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port, logs } = await startTestProxy(t, { allow: `localhost:${upstream.port}` });

    for (const target of [
      `127.0.0.1:${upstream.port}`,
      `[::1]:${upstream.port}`,
      `[::ffff:127.0.0.1]:${upstream.port}`,
    ]) {
      const answer = await connectThrough(port, target);
      assert.equal(answer.status, 403, `${target}: ${answer.head}`);
      await closedWithin(answer.socket);
    }
    assert.equal(upstream.connections, 0);
    assert.deepEqual(
      logs.events('egress.refused').map((l) => l.reason),
      ['denied', 'denied', 'denied'],
    );
  });

  it('[C-052] tunnels to an IP literal only when that literal is listed (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port } = await startTestProxy(t, { allow: `127.0.0.1:${upstream.port}` });

    const answer = await connectThrough(port, `127.0.0.1:${upstream.port}`, Buffer.from('x'));
    assert.equal(answer.status, 200, answer.head);
    answer.socket.end();
    assert.equal((await readToEnd(answer.socket, answer.rest)).toString('utf8'), 'x');
    const refused = await connectThrough(port, `localhost:${upstream.port}`);
    assert.equal(refused.status, 403, 'the name is not listed, only the literal');
    await closedWithin(refused.socket);
  });

  it('[C-052] answers 405 to a plain GET and to a plain-proxy request, never fetching anything (PCI DSS 1.4.x)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port, logs } = await startTestProxy(t, { allow: `localhost:${upstream.port}` });

    for (const request of [
      'GET / HTTP/1.1\r\nHost: proxy\r\n\r\n',
      `GET http://localhost:${upstream.port}/secret?token=abc HTTP/1.1\r\nHost: localhost:${upstream.port}\r\n\r\n`,
      `POST http://localhost:${upstream.port}/ HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi`,
      'GET / HTTP/1.1\r\nHost: proxy\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    ]) {
      const answer = await sendToProxy(port, request);
      assert.equal(answer.status, 405, `${request.split('\r\n')[0]}: ${answer.head}`);
      assert.match(answer.head, /\r\nallow: CONNECT\r\n/i);
      answer.socket.removeAllListeners('close');
      assert.equal((await readToEnd(answer.socket, answer.rest)).toString('utf8'), 'method\n');
    }
    assert.equal(upstream.connections, 0);
    const refused = logs.events('egress.refused');
    assert.deepEqual(
      refused.map((l) => [l.reason, l.method]),
      [
        ['method', 'GET'],
        ['method', 'GET'],
        ['method', 'POST'],
        ['method', 'GET'],
      ],
    );
    // Where a plain-proxy request wanted to go, never its path or query.
    assert.equal(refused[1]?.target, `localhost:${upstream.port}`);
    assert.ok(!logs.text().includes('secret') && !logs.text().includes('token=abc'), logs.text());
  });

  it('[C-052] answers 400 to a malformed CONNECT target and connects nowhere (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port } = await startTestProxy(t, { allow: `localhost:${upstream.port}` });

    for (const target of [
      'localhost',
      `localhost:${upstream.port}/path`,
      `http://localhost:${upstream.port}`,
      `user@localhost:${upstream.port}`,
      `localhost:0${upstream.port}`,
      'localhost:0',
      'localhost:65536',
      `localhost:${upstream.port}:${upstream.port}`,
      '/',
      `-localhost:${upstream.port}`,
      // A trailing dot names the same host in DNS: refused as not written the way the list writes it.
      `localhost.:${upstream.port}`,
    ]) {
      const answer = await connectThrough(port, target);
      assert.equal(answer.status, 400, `${target}: ${answer.head}`);
      assert.equal((await readToEnd(answer.socket, answer.rest)).toString('utf8'), 'malformed\n');
    }
    assert.equal(upstream.connections, 0);
  });

  it('[C-052] answers 502 when the allowed upstream refuses the connection, with no detail (PCI DSS 1.3.2)', async (t) => {
    const closedPort = await freePort();
    const { port, logs } = await startTestProxy(t, { allow: `localhost:${closedPort}` });

    const answer = await connectThrough(port, `localhost:${closedPort}`);
    assert.equal(answer.status, 502, answer.head);
    assert.equal((await readToEnd(answer.socket, answer.rest)).toString('utf8'), 'unreachable\n');
    await eventually(() => assert.equal(logs.events('egress.tunnel').length, 1));
    const [line] = logs.events('egress.tunnel');
    assert.equal(line?.outcome, 'unreachable');
    assert.equal(line?.statusCode, 502);
    assert.deepEqual(line?.err, { type: 'Error', code: 'ECONNREFUSED' });
  });

  it('[C-052] answers 504 when the upstream does not connect within the connect timeout (PCI DSS 1.3.2)', async (t) => {
    const pending: net.Socket[] = [];
    // A socket that never connects: what a silently dropping network looks like to net.connect.
    const connect = () => {
      const socket = new net.Socket();
      pending.push(socket);
      return socket;
    };
    const { port, proxy } = await startTestProxy(t, { allow: 'stalled.test:443', connectTimeoutMs: 200, connect });

    const started = Date.now();
    const answer = await connectThrough(port, 'stalled.test:443');
    assert.equal(answer.status, 504, answer.head);
    assert.ok(Date.now() - started >= 190, 'not before the timeout');
    assert.equal((await readToEnd(answer.socket, answer.rest)).toString('utf8'), 'timeout\n');
    assert.equal(pending[0]?.destroyed, true, 'the stalled attempt is abandoned');
    await eventually(() => assert.equal(proxy.openTunnels(), 0));
  });

  it('[C-052] closes a tunnel once it has been idle for the idle timeout, and not while bytes flow (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port, logs } = await startTestProxy(t, { allow: `localhost:${upstream.port}`, idleTimeoutMs: 1_500 });

    const answer = await connectThrough(port, `localhost:${upstream.port}`);
    assert.equal(answer.status, 200, answer.head);
    const closed = closedWithin(answer.socket);
    let open = true;
    void closed.then(() => {
      open = false;
    });
    // Traffic every 100 ms for 3.2 s (more than twice the timeout, and a gap between two bytes far
    // below it even on a busy machine): the tunnel stays.
    for (let i = 0; i < 32; i++) {
      answer.socket.write('.');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(open, 'a tunnel with traffic is not idle');
    const idleFor = await closed;
    assert.ok(idleFor >= 1_000 && idleFor < 6_000, `closed ${idleFor} ms after the last byte`);
    await eventually(() => assert.equal(logs.events('egress.tunnel').length, 1));
    assert.equal(logs.events('egress.tunnel')[0]?.outcome, 'idle');
  });

  it('[C-052] answers 503 past the tunnel limit and tunnels again once one has closed (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port, proxy, logs } = await startTestProxy(t, { allow: `localhost:${upstream.port}`, maxTunnels: 2 });
    const target = `localhost:${upstream.port}`;

    const first = await connectThrough(port, target);
    const second = await connectThrough(port, target);
    assert.deepEqual([first.status, second.status], [200, 200]);
    const third = await connectThrough(port, target);
    assert.equal(third.status, 503, third.head);
    assert.equal((await readToEnd(third.socket, third.rest)).toString('utf8'), 'busy\n');
    assert.equal(logs.events('egress.refused')[0]?.reason, 'busy');

    first.socket.end();
    await closedWithin(first.socket);
    await eventually(() => assert.equal(proxy.openTunnels(), 1));
    const fourth = await connectThrough(port, target);
    assert.equal(fourth.status, 200, fourth.head);
    second.socket.destroy();
    fourth.socket.destroy();
  });

  it('[C-052] logs one line per tunnel with exact byte counts, one per refusal, and never a payload byte (PCI DSS 10.2, 3.3)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port, logs } = await startTestProxy(t, { allow: `localhost:${upstream.port}` });
    const needle = 'PAN-4111111111111111-cvc-123-secret-payload';
    const head = `GET /${needle} HTTP/1.1\r\n`;

    const answer = await connectThrough(port, `localhost:${upstream.port}`, Buffer.from(head));
    assert.equal(answer.status, 200);
    answer.socket.end(`Authorization: Bearer ${needle}\r\n\r\n`);
    const echoed = await readToEnd(answer.socket, answer.rest);
    const sent = Buffer.byteLength(head) + Buffer.byteLength(`Authorization: Bearer ${needle}\r\n\r\n`);
    assert.equal(echoed.length, sent);
    // A refused target is logged (bounded, card-like numbers masked): it is where, not what.
    const refused = await connectThrough(port, 'PAN-4111111111111111.example:443');
    assert.equal(refused.status, 403);
    await closedWithin(refused.socket);

    await eventually(() => assert.equal(logs.events('egress.tunnel').length, 1));
    const [tunnel] = logs.events('egress.tunnel');
    assert.equal(tunnel?.target, `localhost:${upstream.port}`);
    assert.equal(tunnel?.bytesUp, sent);
    assert.equal(tunnel?.bytesDown, sent);
    assert.equal(typeof tunnel?.durationMs, 'number');
    assert.equal(tunnel?.clientAddress, '127.0.0.1');
    const [refusal] = logs.events('egress.refused');
    assert.equal(refusal?.reason, 'denied');
    assert.equal(refusal?.clientAddress, '127.0.0.1');
    assert.equal(refusal?.target, 'pan-[PAN REDACTED].example:443');
    assert.equal(logs.lines.length, 2, logs.text());
    const text = logs.text();
    for (const piece of ['4111111111111111', 'cvc-123', 'secret-payload', 'Bearer']) {
      assert.ok(!text.includes(piece), `${piece} reached the log: ${text}`);
    }
    for (const line of logs.parsed()) assert.equal(line.droppedKeys, undefined, JSON.stringify(line));
  });

  it('[C-052] close() cuts a tunnel still open after the grace period, logs it as shutdown, and takes no new connection (PCI DSS 1.3.2)', async (t) => {
    const upstream = await startEchoUpstream(t);
    const { port, proxy, logs } = await startTestProxy(t, { allow: `localhost:${upstream.port}` });

    const answer = await connectThrough(port, `localhost:${upstream.port}`);
    assert.equal(answer.status, 200);
    const closed = closedWithin(answer.socket);
    await proxy.close(200);
    await closed;
    assert.equal(logs.events('egress.tunnel')[0]?.outcome, 'shutdown');
    await assert.rejects(sendToProxy(port, 'CONNECT localhost:1 HTTP/1.1\r\n\r\n'), { code: 'ECONNREFUSED' });
  });
});
