import { generateKeyPairSync } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Development only: an Ed25519 pair for audit checkpoints, written once into an ignored folder. */
export async function ensureDevSigningKeys(signingFile: string, verifyFile: string): Promise<boolean> {
  const present = await stat(signingFile).then(
    () => true,
    () => false,
  );
  if (present) return false;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await mkdir(dirname(signingFile), { recursive: true, mode: 0o700 });
  await mkdir(dirname(verifyFile), { recursive: true, mode: 0o700 });
  await writeFile(signingFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  await writeFile(verifyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  return true;
}
