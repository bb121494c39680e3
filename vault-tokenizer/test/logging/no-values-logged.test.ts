import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LogCapture } from '@shop/shared/test-harness';
import { startTokenizer, type TokenizerHarness } from '../helper.js';

// ARCHITECTURE non-negotiable 2 and PCI DSS v4.0.1 3.3/10.2: the log stream carries audit
// events and request lines, never a value, whatever the request did.

const sink = new LogCapture();
const lines = sink.lines;

const MARK = {
  email: 'zq-marker-7731@example.net',
  name: 'Zebulon Quixotemarker',
  phone: '+1 555 0100 7731',
  shipping_address: JSON.stringify({
    name: 'Zebulon Quixotemarker',
    line1: '7731 Markerstreet',
    city: 'Quixoteville',
    postalCode: 'QX7731',
    country: 'US',
  }),
};
// Whole fragments: a bare '4111' also turns up in a random hash or a timestamp (failed one fresh-clone run).
const NEEDLES = ['zq-marker', 'Quixote', 'Markerstreet', 'QX7731', '0100 7731', '4111 1111', '41111111'];

let h: TokenizerHarness;
before(async () => {
  h = await startTokenizer({ logStream: sink });
});
after(async () => {
  await h?.close();
});

describe('[C-018] log stream', () => {
  it('never contains a value, across success, refusal and error paths, while every operation is audited in it', async () => {
    const items = Object.entries(MARK).map(([field, value]) => ({ field, value }));
    const made = await h.call('api', 'POST', '/v1/tokenize', { subjectId: 'cust-log', items });
    assert.equal(made.status, 200);
    const tokens: string[] = made.body.tokens;
    await h.call('order-worker', 'POST', '/v1/detokenize', { items: [{ token: tokens[0], field: 'email' }] });
    await h.call(
      'admin-portal',
      'POST',
      '/v1/detokenize',
      { items: [{ token: tokens[1], field: 'name' }] },
      { 'x-staff-identity': 'carol', 'x-reveal-reason': 'ticket 12: name spelling check' },
    );
    await h.call('admin-portal', 'POST', '/v1/detokenize', {
      items: [{ token: tokens[3], field: 'shipping_address' }],
    });
    await h.call('api', 'POST', '/v1/blind-index', { field: 'email', value: MARK.email });
    // Refusals that carry values in their bodies.
    await h.call('api', 'POST', '/v1/detokenize', { items: [{ token: tokens[0], field: 'email' }] });
    await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'c',
      items: [{ field: 'email', value: 'zq-marker bad' }],
    });
    await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'c',
      items: [{ field: 'name', value: 'zq-marker 4111 1111 1111 1111' }],
    });
    await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'c',
      items: [{ field: 'name', value: `Quixote${'x'.repeat(3000)}` }],
    });
    await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'c',
      items: [{ field: 'name', value: 'Quixote', extra: 'zq-marker' }],
    });
    await h.call('api', 'POST', `/v1/tokenize?email=${encodeURIComponent(MARK.email)}`, { subjectId: 'c', items });
    await h.call('billing', 'POST', '/v1/tokenize', { subjectId: 'c', items });
    // Request lines are written after each response is sent: wait until the stream is quiet.
    for (let seen = -1; seen !== lines.length; ) {
      seen = lines.length;
      await new Promise((r) => setTimeout(r, 100));
    }

    const log = lines.join('\n');
    assert.ok(lines.length > 20, `expected request and audit lines, got ${lines.length}`);
    for (const needle of NEEDLES) assert.ok(!log.includes(needle), `the log contains ${needle}`);
    for (const token of tokens) assert.ok(!log.includes(token), 'the log contains a token');
    const audits = lines.map((l) => JSON.parse(l)).filter((l) => l.audit);
    const ops = audits.map((a) => `${a.audit.caller}:${a.audit.operation}:${a.audit.outcome}`);
    for (const expected of [
      'api:tokenize:ok',
      'order-worker:detokenize:ok',
      'admin-portal:reveal:ok',
      'admin-portal:detokenize:ok',
      'api:blind_index:ok',
      'api:detokenize:denied',
      'billing:tokenize:denied',
    ]) {
      assert.ok(ops.includes(expected), `missing audit line ${expected} in ${ops.join(', ')}`);
    }
    const reveal = audits.find((a) => a.audit.operation === 'reveal');
    assert.equal(reveal.audit.staffIdentity, 'carol');
  });

  it('[pentest 8.10] never writes a token from a DELETE URL: the access line names the route, not its parameters', async () => {
    const made = await h.call('api', 'POST', '/v1/tokenize', {
      subjectId: 'cust-delete-log',
      items: [{ field: 'email', value: 'zq-delete@example.net' }],
    });
    assert.equal(made.status, 200);
    const [token] = made.body.tokens as string[];
    assert.ok(token);
    const before = lines.length;
    // Whoever may delete (the policy decides), the URL must not carry the token into the log:
    // allowed, denied, unknown route (a trailing segment) and an encoded copy.
    for (const caller of ['api', 'order-worker', 'admin-portal']) {
      await h.call(caller, 'DELETE', `/v1/tokens/${token}`);
    }
    await h.call('admin-portal', 'DELETE', `/v1/tokens/${token}/again`);
    await h.call('admin-portal', 'DELETE', `/v1/tokens/${encodeURIComponent(token)}?token=${token}`);
    for (let seen = -1; seen !== lines.length; ) {
      seen = lines.length;
      await new Promise((r) => setTimeout(r, 100));
    }
    const written = lines.slice(before);
    const access = written.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    assert.equal(access.length, 5, written.join('\n'));
    assert.ok(!written.join('\n').includes(token.slice(4)), 'the log contains the token');
    assert.ok(
      access.some((l) => l.req?.url === '/v1/tokens/:token'),
      'the line names the route',
    );
  });
});
