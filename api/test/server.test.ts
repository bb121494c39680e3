import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '@shop/shared/test-harness';
import { sql } from 'drizzle-orm';
import { loadApiConfig } from '../src/config.js';
import { startApi } from '../src/server.js';

describe('server start with no DATABASE_URL (npm start)', () => {
  it('starts a real embedded PostgreSQL, migrates it as the owner and serves as the runtime role', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'shop-embedded-'));
    const config = loadApiConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      EMBEDDED_PG_DIR: join(dir, 'postgres'),
      EMBEDDED_PG_PORT: String(await freePort()),
    });
    const started = await startApi(config);
    // One hook, in this order: PostgreSQL stops before its data folder goes (two hooks ran the
    // removal first in some runs, and the stop then waited for ever on a server without its folder).
    t.after(async () => {
      await started.close();
      await rm(dir, { recursive: true, force: true });
    });

    const ready = await fetch(`${started.url}/readyz`);
    assert.equal(ready.status, 200);
    const role = await started.app.db.execute(sql`select current_user`);
    assert.equal((role.rows[0] as { current_user: string }).current_user, 'shop_api');
    const migrated = await started.app.db.execute(sql`select count(*)::int as n from users`);
    assert.equal((migrated.rows[0] as { n: number }).n, 0);
  });
});
