import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The evidence pack's integrity: a manifest of every evidence file with its SHA-256, signed
// with Ed25519. An assessor checks a pack with `npm run evidence:verify -- <pack>`, ideally
// giving the public key they received separately (--public-key), since the pack's own copy
// proves only that the pack is unchanged since someone holding that key signed it.

export interface ManifestEntry {
  number: string;
  file: string;
  sha256: string;
  bytes: number;
  description: string;
}
export interface Manifest {
  pack: string;
  created: string;
  algorithm: 'Ed25519';
  publicKeyFingerprint: string;
  entries: ManifestEntry[];
}

export const MANIFEST = 'manifest.json';
export const SIGNATURE = 'manifest.sig';
export const PUBLIC_KEY = 'public-key.pem';

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fingerprint(publicKey: KeyObject): string {
  return sha256(publicKey.export({ type: 'spki', format: 'der' }));
}

/** The signing key: EVIDENCE_SIGNING_KEY_FILE, or one kept under .keys/ (git-ignored), made on first use. */
export function signingKey(root: string, env = process.env): KeyObject {
  const file = env.EVIDENCE_SIGNING_KEY_FILE ?? join(root, '.keys', 'evidence-signing-key.pem');
  if (!existsSync(file)) {
    if (env.EVIDENCE_SIGNING_KEY_FILE) throw new Error(`EVIDENCE_SIGNING_KEY_FILE: no file at ${file}`);
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const key = createPrivateKey(readFileSync(file));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  return key;
}

export function writeManifest(
  dir: string,
  pack: string,
  files: { number: string; file: string; description: string }[],
  privateKey: KeyObject,
  created = new Date().toISOString(),
): Manifest {
  const publicKey = createPublicKey(privateKey);
  const manifest: Manifest = {
    pack,
    created,
    algorithm: 'Ed25519',
    publicKeyFingerprint: fingerprint(publicKey),
    entries: files.map((f) => {
      const data = readFileSync(join(dir, f.file));
      return { ...f, sha256: sha256(data), bytes: data.length };
    }),
  };
  const body = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, MANIFEST), body);
  writeFileSync(join(dir, SIGNATURE), `${sign(null, body, privateKey).toString('base64')}\n`);
  writeFileSync(join(dir, PUBLIC_KEY), publicKey.export({ type: 'spki', format: 'pem' }));
  return manifest;
}

export interface Verification {
  ok: boolean;
  problems: string[];
  checked: number;
  keySource: string;
}

export function verifyPack(dir: string, publicKeyPem?: string): Verification {
  const problems: string[] = [];
  const keySource = publicKeyPem
    ? 'the public key given'
    : `the pack's own ${PUBLIC_KEY} (give --public-key to check who signed it)`;
  for (const f of [MANIFEST, SIGNATURE]) {
    if (!existsSync(join(dir, f))) return { ok: false, problems: [`${f} is missing`], checked: 0, keySource };
  }
  const body = readFileSync(join(dir, MANIFEST));
  const key = createPublicKey(publicKeyPem ?? readFileSync(join(dir, PUBLIC_KEY)));
  const signature = Buffer.from(readFileSync(join(dir, SIGNATURE), 'utf8').trim(), 'base64');
  if (!verify(null, body, key, signature))
    problems.push(`the signature of ${MANIFEST} does not verify with ${keySource}`);
  const manifest = JSON.parse(body.toString('utf8')) as Manifest;
  const listed = new Set(manifest.entries.map((e) => e.file));
  for (const e of manifest.entries) {
    const path = join(dir, e.file);
    if (!existsSync(path)) {
      problems.push(`${e.number} ${e.file} is missing`);
      continue;
    }
    const data = readFileSync(path);
    if (sha256(data) !== e.sha256 || data.length !== e.bytes)
      problems.push(`${e.number} ${e.file} has changed (SHA-256 differs)`);
  }
  for (const name of readdirSync(join(dir, 'evidence'))) {
    const rel = `evidence/${name}`;
    if (statSync(join(dir, rel)).isFile() && !listed.has(rel))
      problems.push(`${rel} is in the pack but not in the manifest`);
  }
  return { ok: problems.length === 0, problems, checked: manifest.entries.length, keySource };
}
