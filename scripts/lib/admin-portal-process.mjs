// The admin portal child of `npm start`: a development staff CA and one first admin certificate
// (ignored folders), development keys, the portal's own database role, then the portal on its
// own loopback port. Never for production: there the operator's PKI issues staff certificates.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { childEnv, startChildService } from './child-service.mjs';

/** The first admin's handle; every later staff member is issued by `npm run staff-certs -w admin-portal`. */
export const FIRST_ADMIN = 'admin';

/** A 32-byte key in a file of the ignored keys folder, made once. */
function ensureKeyFile(file) {
  if (existsSync(file)) return;
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
}

/**
 * The first admin: issued once (bootstrap admin role) while nobody holds the admin role, and
 * again (without a role) when its certificate is missing or ends within a day. The one-time
 * import password goes to a file beside the PKCS#12 file, readable by this user only.
 */
async function ensureFirstAdmin({ root, ca, ownerUrl, log }) {
  const load = (path) => import(pathToFileURL(join(root, path)).href);
  const { issueStaffCertificate } = await load('admin-portal/src/staff/staff-certificates.ts');
  const pool = new pg.Pool({ connectionString: ownerUrl, max: 2 });
  pool.on('error', () => {});
  const p12File = join(ca.dir, FIRST_ADMIN, 'staff.p12');
  const passwordFile = join(ca.dir, FIRST_ADMIN, 'import-password.txt');
  try {
    const current = await pool.query(
      `SELECT 1 FROM admin.staff_certificates c JOIN admin.staff s ON s.id = c.staff_id
       WHERE s.handle = $1 AND c.revoked_at IS NULL AND c.not_after > now() + interval '1 day'`,
      [FIRST_ADMIN],
    );
    if (current.rowCount && existsSync(p12File) && existsSync(ca.certFile(FIRST_ADMIN))) {
      return { p12File, passwordFile, issued: false };
    }
    const admins = await pool.query(`SELECT 1 FROM admin.staff_roles WHERE role = 'admin' LIMIT 1`);
    log(`issuing the first staff certificate (${FIRST_ADMIN}) from the development staff CA in ${ca.dir}`);
    const issued = await issueStaffCertificate(ca, pool, {
      handle: FIRST_ADMIN,
      displayName: 'First admin (development)',
      bootstrapAdmin: admins.rowCount === 0,
    });
    writeFileSync(passwordFile, `${issued.importPassword}\n`, { mode: 0o600 });
    chmodSync(passwordFile, 0o600);
    return { p12File, passwordFile, issued: true };
  } finally {
    await pool.end();
  }
}

/** The runtime role logs in with a fresh random password at every start (never printed). */
async function runtimeUrl(ownerUrl) {
  const client = new pg.Client({ connectionString: ownerUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const password = randomBytes(24).toString('base64url');
    const literal = (await client.query('select quote_literal($1) as q', [password])).rows[0].q;
    await client.query(`ALTER ROLE shop_admin_portal PASSWORD ${literal}`);
    const u = new URL(ownerUrl);
    u.username = 'shop_admin_portal';
    u.password = password;
    return u.toString();
  } finally {
    await client.end();
  }
}

/**
 * Prepares everything the portal needs and spawns it; resolves once GET /healthz answers 200
 * over a handshake with the first admin's certificate (so the staff CA, the CRL, the server
 * certificate and the database all work).
 */
export async function startAdminPortal({ root, port, ownerUrl, tokenizerUrl, internal, log }) {
  const load = (path) => import(pathToFileURL(join(root, path)).href);
  const config = await load('admin-portal/src/config.ts');
  // The staff-certs command honours ADMIN_STAFF_CA_DIR too, so both find the same CA.
  const DEV_STAFF_CA_DIR = process.env.ADMIN_STAFF_CA_DIR ?? config.DEV_STAFF_CA_DIR;
  const DEV_KEYS_DIR = process.env.ADMIN_KEYS_DIR ?? config.DEV_KEYS_DIR;
  const { migrate } = await load('admin-portal/src/db/database.ts');
  const { ensureDevSigningKeys } = await load('admin-portal/src/audit/signing-keys.ts');
  const { DevCertificateAuthority } = await load('shared/src/mtls.ts');

  const signingKey = join(DEV_KEYS_DIR, 'admin-audit-signing.pem');
  const verifyKey = join(DEV_KEYS_DIR, 'admin-audit-verify.pem');
  if (await ensureDevSigningKeys(signingKey, verifyKey)) log(`audit checkpoint keys written to ${DEV_KEYS_DIR}`);
  const totpKey = join(DEV_KEYS_DIR, 'admin-totp.key');
  ensureKeyFile(totpKey);
  const ca = await new DevCertificateAuthority(DEV_STAFF_CA_DIR, 'Shop Staff CA').init();
  await migrate(ownerUrl);
  const admin = await ensureFirstAdmin({ root, ca, ownerUrl, log });

  const url = `https://127.0.0.1:${port}`;
  // The portal sees only its own variables, never the shop's database URL or Stripe keys.
  const child = await startChildService({
    name: 'admin portal',
    root,
    script: join(root, 'scripts', 'run-admin-portal.mjs'),
    env: childEnv(['PATH', 'HOME', 'NODE_ENV', 'LOG_LEVEL', 'TZ', 'LANG', 'REDIS_URL'], ['ADMIN_', 'STRIPE_API_'], {
      ADMIN_HOST: '127.0.0.1',
      ADMIN_PORT: String(port),
      ADMIN_DATABASE_URL: ownerUrl,
      ADMIN_RUNTIME_DATABASE_URL: await runtimeUrl(ownerUrl),
      ADMIN_STAFF_CA_FILE: ca.caFile,
      ADMIN_STAFF_CRL_FILE: ca.crlFile,
      ADMIN_TLS_CERT_FILE: internal.cert('admin-portal'),
      ADMIN_TLS_KEY_FILE: internal.key('admin-portal'),
      ADMIN_INTERNAL_CA_FILE: internal.ca,
      ADMIN_TOKENIZER_URL: tokenizerUrl,
      ADMIN_AUDIT_SIGNING_KEY_FILE: signingKey,
      ADMIN_AUDIT_VERIFY_KEY_FILE: verifyKey,
      ADMIN_TOTP_KEY_FILE: totpKey,
      // WebAuthn accepts a host name only (no IP address): security keys work on https://localhost.
      ADMIN_WEBAUTHN_RP_ID: 'localhost',
      ADMIN_WEBAUTHN_ORIGINS: `https://localhost:${port}`,
    }),
    // Ready once the first admin's certificate completes the staff handshake.
    readyUrl: `${url}/healthz`,
    tls: {
      ca: readFileSync(internal.ca),
      cert: readFileSync(ca.certFile(FIRST_ADMIN)),
      key: readFileSync(ca.keyFile(FIRST_ADMIN)),
    },
  });
  return {
    url,
    p12File: admin.p12File,
    passwordFile: admin.passwordFile,
    issued: admin.issued,
    stop: child.stop,
  };
}
