import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCapture } from '@shop/shared/test-harness';
import pg from 'pg';
import type { PiiField } from '../../src/pii/pii-client.js';
import { buildTestApp, STRONG_PASSWORD, uniqueEmail } from '../helper.js';
import { FakePii } from '../support/fake-pii.js';

/** Keeps what it hands out, so the test can look for it in the log. */
class RecordingPii extends FakePii {
  readonly handedOut: string[] = [];

  override async tokenize(subjectId: string, items: { field: PiiField; value: string }[]): Promise<string[]> {
    const tokens = await super.tokenize(subjectId, items);
    this.handedOut.push(...tokens);
    return tokens;
  }

  override async blindIndex(field: PiiField, value: string): Promise<string> {
    const index = await super.blindIndex(field, value);
    this.handedOut.push(index);
    return index;
  }
}

type Line = { msg?: string; level?: number; err?: { type?: string; code?: string; message?: string } };

describe('error logs (PCI DSS v4.0.1 3.3, 10.2; ASVS 7.1.1)', () => {
  it('[pentest 8.3] a query failing mid-signup logs its class and SQLSTATE, never the argon2id hash, blind index or tokens it carried', async (t) => {
    const logs = new LogCapture();
    const pii = new RecordingPii();
    const { client, ownerUrl } = await buildTestApp(t, { pii, env: { LOG_LEVEL: 'info' }, deps: { logStream: logs } });
    // The insert of the new user fails inside PostgreSQL, as a lock timeout would: DrizzleQueryError
    // then carries the whole statement and its parameters in its message.
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    await owner.query(`
      CREATE FUNCTION refuse_signup() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'canceling statement due to lock timeout' USING ERRCODE = 'lock_not_available'; END $$;
      CREATE TRIGGER refuse_signup BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_signup();`);
    await owner.end();

    const email = uniqueEmail('failing-signup');
    const res = await client().signup(email, STRONG_PASSWORD, 'Ada Failing-Signup');
    assert.equal(res.statusCode, 500, res.body);
    assert.equal(res.json().error.code, 'internal_error');
    assert.equal(pii.handedOut.length, 3, 'the blind index and both tokens were made before the insert');

    const text = logs.text();
    for (const needle of [...pii.handedOut, '$argon2id$', 'params', 'insert into', email, STRONG_PASSWORD]) {
      assert.ok(!text.includes(needle), `the log contains ${needle.slice(0, 12)}...`);
    }
    const failed = (logs.parsed() as Line[]).find((l) => l.err);
    assert.ok(failed, 'the failure is logged');
    assert.equal(failed.level, 50);
    assert.equal(failed.err?.type, 'DrizzleQueryError');
    assert.equal(failed.err?.code, '55P03', 'the SQLSTATE names what went wrong');
    assert.equal(failed.err?.message, undefined, 'a database message is not ours to log');
  });
});
