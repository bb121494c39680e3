import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { loadPolicy, PolicyError, parsePolicy } from '../../src/policy/policy.js';
import { POLICY_FILE } from '../helper.js';

// The policy file is reviewed like code and refused at start when invalid (default deny otherwise).

describe('policy file', () => {
  it('holds the defaults the architecture states', async () => {
    const policy = await loadPolicy(POLICY_FILE);
    for (const f of ['email', 'name', 'phone', 'shipping_address']) {
      assert.equal(policy.decide('api', f, 'tokenize'), 'allow');
      assert.equal(policy.decide('api', f, 'detokenize'), 'deny');
      assert.equal(policy.decide('api', f, 'reveal'), 'deny');
      assert.equal(policy.decide('admin-portal', f, 'detokenize'), 'masked');
      assert.equal(policy.decide('admin-portal', f, 'tokenize'), 'deny');
    }
    assert.equal(policy.decide('api', 'email', 'blind_index'), 'allow');
    // Pentest finding 8.9: the api deletes no single token and erases subjects within a bound.
    assert.deepEqual(policy.fieldsAllowed('api', 'delete'), []);
    assert.ok((policy.eraseSubjectPerHour('api') ?? 0) >= 1);
    assert.equal(policy.eraseSubjectPerHour('admin-portal'), undefined);
    assert.equal(policy.eraseSubjectPerHour('order-worker'), undefined);
    assert.ok(policy.revealBounds('admin-portal'));
    // The worker composes mail: it reads the recipient's address and name and the shipping
    // address (issue 11), and nothing else; it writes, indexes and erases nothing.
    assert.deepEqual(policy.fieldsAllowed('order-worker', 'detokenize'), ['email', 'name', 'shipping_address']);
    assert.equal(policy.decide('order-worker', 'phone', 'detokenize'), 'deny');
    for (const op of ['tokenize', 'blind_index', 'reveal', 'delete'] as const) {
      assert.deepEqual(policy.fieldsAllowed('order-worker', op), [], op);
    }
    assert.equal(policy.decide('stranger', 'email', 'tokenize'), 'deny');
    assert.equal(policy.decide(undefined, 'email', 'tokenize'), 'deny');
    assert.equal(policy.decide('api', 'ssn', 'tokenize'), 'deny');
    assert.equal(policy.decide('api', '__proto__', 'tokenize'), 'deny');
  });

  it('is refused when a rule has an unknown decision, an unknown operation or a missing operation', async () => {
    const doc = JSON.parse(await readFile(POLICY_FILE, 'utf8'));
    const bad1 = structuredClone(doc);
    bad1.callers.api.email.detokenize = 'sometimes';
    assert.throws(() => parsePolicy(bad1), PolicyError);
    const bad2 = structuredClone(doc);
    bad2.callers.api.email.export = 'allow';
    assert.throws(() => parsePolicy(bad2), PolicyError);
    const bad3 = structuredClone(doc);
    delete bad3.callers.api.email.reveal;
    assert.throws(() => parsePolicy(bad3), PolicyError);
    const bad4 = structuredClone(doc);
    bad4.callers.api.email.tokenize = 'masked';
    assert.throws(() => parsePolicy(bad4), PolicyError, 'masked only makes sense for detokenize');
    assert.throws(() => parsePolicy({ callers: {} }), /version/);
    const bad5 = structuredClone(doc);
    delete bad5.revealBounds['admin-portal'];
    assert.throws(() => parsePolicy(bad5), /admin-portal may reveal but has no hourly bound/);
    const bad6 = structuredClone(doc);
    bad6.eraseSubject.stranger = { perHour: 5 };
    assert.throws(() => parsePolicy(bad6), /stranger is not among the callers/);
    const bad7 = structuredClone(doc);
    bad7.eraseSubject.api.perHour = 0;
    assert.throws(() => parsePolicy(bad7), PolicyError, 'an erase right always has a bound');
  });
});
