import type pg from 'pg';
import type { KeyProvider } from '../keys/key-provider.js';

/**
 * Key rotation (PCI DSS v4.0.1 3.6.4, 3.7.4): rotates the provider key (Vault transit
 * `rotate`), then rewraps every stored provider-wrapped key (KEKs, blind-index key) to the
 * new version with `rewrap`, so the plaintext keys never leave the provider. Online: the
 * plaintext of each key is unchanged, so a running tokenizer keeps serving from its cache
 * and reads the rewrapped form on its next miss. Resumable: progress is recorded in
 * key_rotations, and an unfinished rotation is continued instead of rotating again.
 * Data keys per subject are wrapped by a KEK, not by the provider, so they are untouched.
 */
export interface RotationOptions {
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
  await owner.query('UPDATE key_rotations SET finished_at = now() WHERE id = $1', [rotationId]);
  progress(`rotation ${rotationId} finished: every stored key is wrapped by version ${targetVersion}`);

  const result: RotationResult = { rotationId, targetVersion, resumed, rewrapped: done };
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
