import assert from 'node:assert/strict';
import https from 'node:https';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SAMPLE, startTokenizer, type TokenizerHarness } from '../helper.js';

// Pentest finding 8.5: the CRL is checked at the handshake only, and a keep-alive connection
// that stays busy never shakes hands again. Revocation must reach open connections, and no
// connection may live for ever (PCI DSS v4.0.1 8.2.5: revoked access ends at once; 8.3.1).

interface Answer {
  status: number;
  socket: Socket;
  connection: string | undefined;
}

/** One detokenize on the agent's connection, telling which socket carried it. */
function detokenize(h: TokenizerHarness, agent: https.Agent, token: string): Promise<Answer> {
  const payload = Buffer.from(JSON.stringify({ items: [{ token, field: 'email' }] }));
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: h.port,
        method: 'POST',
        path: '/v1/detokenize',
        agent,
        servername: 'vault-tokenizer',
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, socket: req.socket as Socket, connection: res.headers.connection }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function closed(socket: Socket): Promise<void> {
  return socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
}

async function emailToken(h: TokenizerHarness, subjectId: string): Promise<string> {
  const res = await h.call('api', 'POST', '/v1/tokenize', {
    subjectId,
    items: [{ field: 'email', value: SAMPLE.email }],
  });
  assert.equal(res.status, 200);
  return res.body.tokens[0];
}

describe('revocation of an open connection', () => {
  let h: TokenizerHarness;
  let handshakes = 0;
  let handled = 0;
  before(async () => {
    h = await startTokenizer({ connectionGuard: { crlCheckIntervalMs: 50 } });
    h.app.server.on('secureConnection', () => handshakes++);
    h.app.server.on('request', () => handled++);
  });
  after(async () => {
    await h?.close();
  });

  it('[pentest 8.5] a certificate revoked in the middle of a keep-alive stream gets no further answer, on its open connection or a new one (PCI DSS 8.2.5)', async () => {
    const token = await emailToken(h, 'cust-revoke');
    // The harness's own order-worker agent holds a certificate that stays valid.
    assert.equal(
      (await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] })).status,
      200,
    );
    // A second order-worker certificate (a replica, say), the one that gets revoked.
    await h.ca.issue('order-worker');
    const m = await h.ca.material('order-worker');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: m.ca, cert: m.cert, key: m.key });
    try {
      // 1. A keep-alive stream: every answer comes over one connection.
      const first = await detokenize(h, agent, token);
      assert.equal(first.status, 200);
      const stream = first.socket;
      for (let i = 0; i < 5; i++) {
        const next = await detokenize(h, agent, token);
        assert.equal(next.status, 200);
        assert.equal(next.socket, stream, 'the agent keeps its connection');
      }

      // 2. Revoke it while the stream goes on; the stream ends with the connection.
      await h.ca.revoke('order-worker');
      const revokedAt = Date.now();
      let answeredAfter = 0;
      let cut = false;
      const done = closed(stream);
      while (!cut && Date.now() - revokedAt < 10_000) {
        try {
          const res = await detokenize(h, agent, token);
          if (res.socket !== stream) break; // a new connection, refused below
          assert.equal(res.status, 200);
          answeredAfter++;
        } catch {
          cut = true; // the connection was destroyed under a request in flight
        }
        cut ||= stream.destroyed;
      }
      assert.ok(
        stream.destroyed,
        `the open connection was still served 10 s after the revocation (${answeredAfter} answers)`,
      );
      await done;

      // 3. The next request needs a new handshake, and the CRL in force refuses it.
      const before = handled;
      await assert.rejects(detokenize(h, agent, token), /alert|certificate|socket hang up|ECONNRESET/i);
      assert.equal(handled, before, 'no request of the revoked certificate reached the application');
    } finally {
      agent.destroy();
    }

    // 4. Other connections stay open: the valid certificate is served on its connection, no new handshake.
    const handshakesBefore = handshakes;
    assert.equal(
      (await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token, field: 'email' }] })).status,
      200,
    );
    assert.equal(handshakes, handshakesBefore, 'a connection of a valid certificate was not closed');
  });
});

describe('maximum connection age', () => {
  let h: TokenizerHarness;
  before(async () => {
    h = await startTokenizer({ connectionGuard: { maxAgeMs: 300 } });
  });
  after(async () => {
    await h?.close();
  });

  it('[pentest 8.5] a busy keep-alive connection is replaced once it reaches the maximum age, and no request fails (PCI DSS 8.3.1)', async () => {
    const token = await emailToken(h, 'cust-age');
    const m = await h.ca.material('order-worker');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: m.ca, cert: m.cert, key: m.key });
    try {
      const sockets = new Set<Socket>();
      const started = Date.now();
      let answers = 0;
      // Back to back: the connection is never idle long enough for the keep-alive timeout.
      while (sockets.size < 3 && Date.now() - started < 20_000) {
        const res = await detokenize(h, agent, token);
        assert.equal(res.status, 200, 'a draining connection still answers its requests');
        sockets.add(res.socket);
        answers++;
      }
      assert.ok(sockets.size >= 3, `${answers} answers in 20 s came over ${sockets.size} connection(s)`);
    } finally {
      agent.destroy();
    }
  });

  it('[pentest 8.5] a connection past its maximum age serves one last answer with Connection: close, and the next request shakes hands again (PCI DSS 8.3.1)', async () => {
    const token = await emailToken(h, 'cust-idle');
    const m = await h.ca.material('order-worker');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: m.ca, cert: m.cert, key: m.key });
    try {
      const first = await detokenize(h, agent, token);
      assert.equal(first.status, 200);
      // Paced requests on the one connection until the server says it is the last answer.
      let last: Answer | undefined;
      const started = Date.now();
      while (!last && Date.now() - started < 10_000) {
        await sleep(50);
        const res = await detokenize(h, agent, token);
        assert.equal(res.status, 200);
        if (res.connection === 'close') last = res;
        else assert.equal(res.socket, first.socket, 'the connection was kept until then');
      }
      assert.ok(last, 'no answer said Connection: close within 10 s (maximum age 300 ms)');
      assert.equal(last.socket, first.socket);
      await closed(first.socket);
      const next = await detokenize(h, agent, token);
      assert.equal(next.status, 200);
      assert.notEqual(next.socket, first.socket, 'a new connection (and handshake)');
    } finally {
      agent.destroy();
    }
  });
});
