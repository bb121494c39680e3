import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { KeyCache } from '../crypto/key-cache.js';
import { KeyRing } from '../crypto/key-ring.js';
import * as schema from '../db/schema.js';
import type { KeyProvider } from '../keys/key-provider.js';

/**
 * Key rotation (PCI DSS v4.0.1 3.6.4, 3.7.4): rotates the provider key (Vault transit
 * `rotate`), then rewraps every stored provider-wrapped key (KEKs, blind-index key) to the
 * new version with `rewrap`, so the plaintext keys never leave the provider. Online: the
 * plaintext of each key is unchanged, so a running tokenizer keeps serving from its cache
 * and reads the rewrapped form on its next miss. Resumable: progress is recorded in
 * key_rotations, and an unfinished rotation is continued instead of rotating again.
 * Data keys per subject are wrapped by a KEK, not by the provider, so a provider rotation
 * leaves them alone; with `newKek` a new KEK becomes active and every subject key is
 * rewrapped onto it (resumable the same way, recorded in key_rotations.new_kek_id).
 */
export interface RotationOptions {
  /**
   * Also replace the key-encryption key: a new KEK becomes active and every subject's data
   * key is rewrapped onto it (the data keys, and so the tokens, do not change).
   */
  newKek?: boolean;
  /** After every key is rewrapped, make versions older than the new one unusable (transit min_decryption_version). */
  raiseMinDecryptionVersion?: boolean;
  batchSize?: number;
  progress?: (message: string) => void;
}

export interface RotationResult {
  rotationId: number;
  targetVersion: number;
  resumed: boolean;
  rewrapped: number;
  minDecryptionVersion?: number;
  newKekId?: string;
  subjectKeysRewrapped?: number;
  /** Subject keys still on an older KEK when the run ended (created meanwhile by a replica): re-run to move them. */
  subjectKeysLeft?: number;
}

export async function rotateKeys(
  owner: pg.Pool,
  provider: KeyProvider,
  opts: RotationOptions = {},
): Promise<RotationResult> {
  const progress = opts.progress ?? (() => {});
  const batchSize = opts.batchSize ?? 100;
  const unfinished = await owner.query<{ id: string; target_version: number }>(
    'SELECT id, target_version FROM key_rotations WHERE finished_at IS NULL AND provider_kind = $1 ORDER BY id DESC LIMIT 1',
    [provider.kind],
  );
  let rotationId: number;
  let targetVersion: number;
  const resumed = unfinished.rows.length > 0;
  if (unfinished.rows[0]) {
    rotationId = Number(unfinished.rows[0].id);
    targetVersion = unfinished.rows[0].target_version;
    progress(`resuming rotation ${rotationId} to ${provider.kind} key version ${targetVersion}`);
  } else {
    targetVersion = await provider.rotate();
    const row = await owner.query<{ id: string }>(
      'INSERT INTO key_rotations (provider_kind, target_version) VALUES ($1, $2) RETURNING id',
      [provider.kind, targetVersion],
    );
    rotationId = Number(row.rows[0]?.id);
    progress(`rotated the ${provider.kind} key to version ${targetVersion} (rotation ${rotationId})`);
  }

  const { rows: counts } = await owner.query<{ n: string }>(
    'SELECT count(*) AS n FROM provider_wrapped_keys WHERE key_version < $1',
    [targetVersion],
  );
  const total = Number(counts[0]?.n ?? 0);
  let done = 0;
  for (;;) {
    const { rows } = await owner.query<{ id: string; ciphertext: string; key_version: number }>(
      'SELECT id, ciphertext, key_version FROM provider_wrapped_keys WHERE key_version < $1 ORDER BY id LIMIT $2',
      [targetVersion, batchSize],
    );
    if (rows.length === 0) break;
    for (const row of rows) {
      const rewrapped = await provider.rewrapKey({ ciphertext: row.ciphertext, keyVersion: row.key_version });
      // Compare-and-set: a concurrent run that already rewrapped this row wins, nothing is lost.
      const updated = await owner.query(
        'UPDATE provider_wrapped_keys SET ciphertext = $1, key_version = $2, rewrapped_at = now() WHERE id = $3 AND ciphertext = $4',
        [rewrapped.ciphertext, rewrapped.keyVersion, row.id, row.ciphertext],
      );
      if (updated.rowCount === 1) {
        done++;
        await owner.query('UPDATE key_rotations SET rewrapped = rewrapped + 1 WHERE id = $1', [rotationId]);
      }
      progress(`rewrapped ${done}/${total} keys`);
    }
  }
  progress(`every provider-wrapped key is now wrapped by version ${targetVersion}`);
  const result: RotationResult = { rotationId, targetVersion, resumed, rewrapped: done };
  if (opts.newKek) Object.assign(result, await rotateKek(owner, provider, rotationId, batchSize, progress));
  await owner.query('UPDATE key_rotations SET finished_at = now() WHERE id = $1', [rotationId]);
  progress(`rotation ${rotationId} finished`);

  if (opts.raiseMinDecryptionVersion) {
    const { rows: left } = await owner.query<{ n: string }>(
      'SELECT count(*) AS n FROM provider_wrapped_keys WHERE key_version < $1',
      [targetVersion],
    );
    // Never strand a key: raising the floor with an older wrapped key left would make it unreadable forever.
    if (Number(left[0]?.n) !== 0) throw new Error('some keys are still wrapped by an older version; not raising');
    await provider.setMinDecryptionVersion(targetVersion);
    await owner.query('UPDATE key_rotations SET min_decryption_version = $1 WHERE id = $2', [
      targetVersion,
      rotationId,
    ]);
    progress(`min_decryption_version raised to ${targetVersion}: older versions can no longer decrypt`);
    result.minDecryptionVersion = targetVersion;
  }
  return result;
}

async function rotateKek(
  owner: pg.Pool,
  provider: KeyProvider,
  rotationId: number,
  batchSize: number,
  progress: (message: string) => void,
): Promise<Pick<RotationResult, 'newKekId' | 'subjectKeysRewrapped' | 'subjectKeysLeft'>> {
  const cache = new KeyCache({ ttlMs: 60_000, maxUses: Number.MAX_SAFE_INTEGER, maxEntries: 16 });
  const keys = new KeyRing(drizzle(owner, { schema }), provider, cache);
  try {
    const recorded = await owner.query<{ new_kek_id: string | null }>(
      'SELECT new_kek_id FROM key_rotations WHERE id = $1',
      [rotationId],
    );
    let newKekId = recorded.rows[0]?.new_kek_id ?? undefined;
    if (!newKekId) {
      newKekId = await keys.createActiveKek();
      await owner.query('UPDATE key_rotations SET new_kek_id = $1 WHERE id = $2', [newKekId, rotationId]);
      progress(`new key-encryption key ${newKekId} is active`);
    } else {
      progress(`resuming the move of subject keys onto ${newKekId}`);
    }
    const total = Number(
      (
        await owner.query<{ n: string }>(
          'SELECT count(*) AS n FROM subject_keys WHERE erased_at IS NULL AND kek_id <> $1',
          [newKekId],
        )
      ).rows[0]?.n ?? 0,
    );
    let moved = 0;
    let lastSubject = '';
    for (;;) {
      // Keyset pagination: a row that lost its compare-and-set is not fetched again.
      const rows = await owner.query<{
        subject_id: string;
        kek_id: string;
        wrapped_dek: Buffer;
        dek_version: number;
      }>(
        `SELECT subject_id, kek_id, wrapped_dek, dek_version FROM subject_keys
         WHERE erased_at IS NULL AND kek_id <> $1 AND subject_id > $2 ORDER BY subject_id LIMIT $3`,
        [newKekId, lastSubject, batchSize],
      );
      if (rows.rows.length === 0) break;
      for (const r of rows.rows) {
        lastSubject = r.subject_id;
        const changed = await keys.rewrapSubjectKey(
          {
            subjectId: r.subject_id,
            kekId: r.kek_id,
            wrappedDek: r.wrapped_dek,
            dekVersion: r.dek_version,
            erasedAt: null,
          },
          newKekId,
        );
        if (changed) {
          moved++;
          await owner.query(
            'UPDATE key_rotations SET subject_keys_rewrapped = subject_keys_rewrapped + 1 WHERE id = $1',
            [rotationId],
          );
        }
      }
      progress(`subject keys rewrapped onto the new KEK: ${moved}/${total}`);
    }
    const left = Number(
      (
        await owner.query<{ n: string }>(
          'SELECT count(*) AS n FROM subject_keys WHERE erased_at IS NULL AND kek_id <> $1',
          [newKekId],
        )
      ).rows[0]?.n ?? 0,
    );
    if (left > 0) progress(`${left} subject keys were created on the old KEK during the run: run the command again`);
    return { newKekId, subjectKeysRewrapped: moved, subjectKeysLeft: left };
  } finally {
    cache.close();
  }
}
