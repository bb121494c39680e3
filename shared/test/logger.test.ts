import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { defineError } from '../src/errors.js';
import { logField, loggerOptions } from '../src/logger.js';
import { LogCapture } from '../src/test-harness.js';

// Logs by allowlist (PCI DSS v4.0.1 3.3, 10.2; ARCHITECTURE non-negotiables 1-2): what a line
// carries is what LOG_FIELDS lists, typed and bounded; everything else is dropped by name.

function capture(fields?: Parameters<typeof loggerOptions>[0]['fields']) {
  const sink = new LogCapture();
  const log = pino(loggerOptions({ service: 'test', level: 'info', ...(fields ? { fields } : {}) }), sink);
  return { log, lines: sink.lines, parsed: () => sink.parsed() };
}

const PAN = '4111111111111111';
const EMAIL = 'grace.nested@example.test';

describe('shared logger (logs by allowlist)', () => {
  it('drops a key that is not listed and names it in droppedKeys, keeping the listed ones', () => {
    const { log, parsed } = capture();
    log.info({ userEmail: EMAIL, event: 'login_failed', orderId: 'f3b0c442-98fc-4c1c-a2f0-4c7a1d5e9b01' }, 'event');
    const [line] = parsed();
    assert.equal(line?.event, 'login_failed');
    assert.equal(line?.orderId, 'f3b0c442-98fc-4c1c-a2f0-4c7a1d5e9b01');
    assert.equal(line?.userEmail, undefined);
    assert.deepEqual(line?.droppedKeys, ['userEmail']);
  });

  it('never writes an email nested two levels deep, or a card number inside an object field', () => {
    const { log, lines, parsed } = capture();
    log.info({ event: 'x', profile: { contact: { email: EMAIL } } });
    log.info({ csp: { directive: 'script-src', document: `https://shop.example/${PAN}/${EMAIL}`, extra: PAN } });
    log.warn({ stats: { sent: 3, [EMAIL]: 1 }, audit: { caller: 'api', reason: `pan ${PAN} for ${EMAIL}` } });
    const text = lines.join('\n');
    assert.ok(!text.includes(EMAIL), text);
    assert.ok(!text.includes(PAN), text);
    assert.deepEqual(parsed()[0]?.droppedKeys, ['profile']);
    assert.deepEqual(parsed()[1]?.droppedKeys, ['csp.extra']);
    assert.match(text, /\[PAN REDACTED\]/);
  });

  it('drops a listed field whose value has the wrong type or shape (an object where an id belongs)', () => {
    const { log, parsed } = capture();
    log.info({ userId: { email: EMAIL }, attempt: 'many', event: 'has spaces and @' });
    const [line] = parsed();
    assert.deepEqual(line?.droppedKeys, ['userId', 'attempt', 'event']);
    assert.ok(!JSON.stringify(line).includes(EMAIL));
  });

  it("never writes an error's message unless it is our own, and masks card numbers and emails in messages", () => {
    const { log, lines, parsed } = capture();
    const upstream = new Error(`Failed query: select 1\nparams: ${EMAIL},${PAN},$argon2id$v=19$m=19456`);
    log.error({ err: upstream }, 'query failed');
    log.error(upstream);
    const Ours = defineError('TEST_REFUSED', 'Refused for a reason we wrote', 400);
    log.warn({ err: new Ours() }, `shopper ${EMAIL} sent ${PAN}`);
    const text = lines.join('\n');
    for (const needle of [EMAIL, PAN, 'argon2id', 'params']) assert.ok(!text.includes(needle), `${needle} in ${text}`);
    const [first, bare, ours] = parsed();
    assert.deepEqual(first?.err, { type: 'Error' });
    assert.deepEqual(bare?.err, { type: 'Error' });
    assert.equal((ours?.err as { message?: string } | undefined)?.message, 'Refused for a reason we wrote');
    assert.equal(ours?.msg, 'shopper [EMAIL REDACTED] sent [PAN REDACTED]');
  });

  it('bounds free text and lets a service list its own fields with the same types', () => {
    const { log, parsed } = capture({ staffIdentity: logField.text(20) });
    log.info({ staffIdentity: `carol ${'x'.repeat(100)}`, broker: 'y'.repeat(1000) }, 'z'.repeat(5000));
    const line = parsed()[0] as { staffIdentity: string; broker: string; msg: string };
    assert.ok(line.staffIdentity.startsWith('carol') && line.staffIdentity.length <= 21);
    assert.ok(line.broker.length <= 201);
    assert.ok(line.msg.length <= 501);
  });
});
