import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Type from 'typebox';
import { ConfigError, loadConfig } from '../src/config.js';

const Schema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3000 }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
});

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    assert.deepEqual(loadConfig(Schema, {}), { PORT: 3000 });
    assert.equal(loadConfig(Schema, { PORT: '8080' }).PORT, 8080);
  });
  it('treats an empty variable as unset', () => {
    assert.deepEqual(loadConfig(Schema, { DATABASE_URL: '' }), { PORT: 3000 });
  });
  it('refuses a bad value with a message naming the variable', () => {
    assert.throws(
      () => loadConfig(Schema, { PORT: 'abc' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /PORT/);
        return true;
      },
    );
    assert.throws(() => loadConfig(Schema, { DATABASE_URL: 'mysql://x' }), /DATABASE_URL/);
  });

  it('reads a variable from <NAME>_FILE (compose secrets) and names the variable when the file is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
    writeFileSync(join(dir, 'db'), 'postgres://runtime@db/shop\n');
    assert.equal(loadConfig(Schema, { DATABASE_URL_FILE: join(dir, 'db') }).DATABASE_URL, 'postgres://runtime@db/shop');
    assert.throws(() => loadConfig(Schema, { DATABASE_URL_FILE: join(dir, 'missing') }), /DATABASE_URL_FILE/);
  });
});
