import {
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import type pg from 'pg';

/**
 * WebAuthn security keys and passkeys (issue 10, item 3): the phishing-resistant second factor
 * beside TOTP (PCI DSS v4.0.1 8.4.2, 8.5.1; ASVS 6.5.x). The browser signs a server challenge
 * for this origin and RP id only, so a look-alike site gets nothing it can use here.
 * - Challenges: one outstanding per staff member and ceremony, deleted by the first check
 *   whatever its outcome (single use), refused after CHALLENGE_TTL_MS.
 * - Counters: a signature counter that does not increase (a cloned authenticator) is refused,
 *   and the update is conditional, so two concurrent uses of one counter value cannot both pass.
 * - Attestation 'none' (any authenticator; the key is bound to a person by the staff
 *   certificate and session that registered it), user verification required.
 */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export interface RelyingParty {
  /** A host name (WebAuthn does not accept an IP address): `localhost` in development. */
  rpId: string;
  /** The portal's origin(s) as the browser sees them, e.g. https://localhost:3443. */
  origins: string[];
}

export type CeremonyOutcome = 'ok' | 'no_challenge' | 'expired' | 'invalid' | 'unknown_credential' | 'counter';

type Ceremony = 'registration' | 'authentication';

async function storeChallenge(db: pg.Pool, staffId: string, ceremony: Ceremony, challenge: string, nowMs: number) {
  await db.query(
    `INSERT INTO admin.webauthn_challenges (staff_id, ceremony, challenge, expires_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (staff_id, ceremony) DO UPDATE SET challenge = EXCLUDED.challenge, expires_at = EXCLUDED.expires_at`,
    [staffId, ceremony, challenge, new Date(nowMs + CHALLENGE_TTL_MS)],
  );
}

/** Takes the outstanding challenge (deleting it: single use). */
async function takeChallenge(
  db: pg.Pool,
  staffId: string,
  ceremony: Ceremony,
  nowMs: number,
): Promise<string | 'no_challenge' | 'expired'> {
  const { rows } = await db.query<{ challenge: string; expires_at: Date }>(
    'DELETE FROM admin.webauthn_challenges WHERE staff_id = $1 AND ceremony = $2 RETURNING challenge, expires_at',
    [staffId, ceremony],
  );
  const row = rows[0];
  if (!row) return 'no_challenge';
  if (row.expires_at.getTime() <= nowMs) return 'expired';
  return row.challenge;
}

interface StoredCredential {
  id: string;
  public_key: Buffer;
  counter: string;
  transports: string[];
}

async function credentialsOf(db: pg.Pool, staffId: string): Promise<StoredCredential[]> {
  return (
    await db.query<StoredCredential>(
      'SELECT id, public_key, counter, transports FROM admin.webauthn_credentials WHERE staff_id = $1 ORDER BY created_at',
      [staffId],
    )
  ).rows;
}

export async function hasSecurityKey(db: pg.Pool, staffId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM admin.webauthn_credentials WHERE staff_id = $1 LIMIT 1', [
    staffId,
  ]);
  return Boolean(rowCount);
}

export async function registrationOptions(
  db: pg.Pool,
  rp: RelyingParty,
  staff: { id: string; handle: string; displayName: string },
  nowMs: number,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const existing = await credentialsOf(db, staff.id);
  const options = await generateRegistrationOptions({
    rpName: 'Shop staff portal',
    rpID: rp.rpId,
    userName: staff.handle,
    userDisplayName: staff.displayName,
    // The staff id, not the handle: no personal data in the authenticator's user handle.
    userID: new TextEncoder().encode(staff.id),
    attestationType: 'none',
    timeout: CHALLENGE_TTL_MS,
    excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports as AuthenticatorTransport[] })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
    // ES256, EdDSA, RS256: what security keys and platforms implement; Node's ML-DSA support is
    // still experimental, so it is not offered.
    supportedAlgorithmIDs: [-7, -8, -257],
  });
  await storeChallenge(db, staff.id, 'registration', options.challenge, nowMs);
  return options;
}

export async function verifyRegistration(
  db: pg.Pool,
  rp: RelyingParty,
  staffId: string,
  response: RegistrationResponseJSON,
  nowMs: number,
): Promise<CeremonyOutcome> {
  const challenge = await takeChallenge(db, staffId, 'registration', nowMs);
  if (challenge === 'no_challenge' || challenge === 'expired') return challenge;
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
    });
  } catch {
    return 'invalid';
  }
  if (!verified.verified || !verified.registrationInfo) return 'invalid';
  const { credential } = verified.registrationInfo;
  const inserted = await db.query(
    `INSERT INTO admin.webauthn_credentials (id, staff_id, public_key, counter, transports)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`,
    [credential.id, staffId, Buffer.from(credential.publicKey), credential.counter, credential.transports ?? []],
  );
  // A credential id registered already (to anyone) is not taken over.
  return inserted.rowCount ? 'ok' : 'invalid';
}

export async function authenticationOptions(
  db: pg.Pool,
  rp: RelyingParty,
  staffId: string,
  nowMs: number,
): Promise<PublicKeyCredentialRequestOptionsJSON | undefined> {
  const existing = await credentialsOf(db, staffId);
  if (existing.length === 0) return undefined;
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    timeout: CHALLENGE_TTL_MS,
    userVerification: 'required',
    // Only this staff member's keys: the certificate already said who is logging in.
    allowCredentials: existing.map((c) => ({ id: c.id, transports: c.transports as AuthenticatorTransport[] })),
  });
  await storeChallenge(db, staffId, 'authentication', options.challenge, nowMs);
  return options;
}

export async function verifyAuthentication(
  db: pg.Pool,
  rp: RelyingParty,
  staffId: string,
  response: AuthenticationResponseJSON,
  nowMs: number,
): Promise<CeremonyOutcome> {
  const challenge = await takeChallenge(db, staffId, 'authentication', nowMs);
  if (challenge === 'no_challenge' || challenge === 'expired') return challenge;
  const stored = (await credentialsOf(db, staffId)).find((c) => c.id === response.id);
  // Another person's key, or one never registered: the certificate's holder must use their own.
  if (!stored) return 'unknown_credential';
  let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    verified = await verifyAuthenticationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
      credential: {
        id: stored.id,
        publicKey: new Uint8Array(stored.public_key),
        counter: Number(stored.counter),
        transports: stored.transports as AuthenticatorTransport[],
      },
    });
  } catch (err) {
    return /counter/i.test((err as Error).message) ? 'counter' : 'invalid';
  }
  if (!verified.verified) return 'invalid';
  const next = verified.authenticationInfo.newCounter;
  // Conditional: the counter must still be below the new value (or both zero: a key without one).
  const { rowCount } = await db.query(
    `UPDATE admin.webauthn_credentials SET counter = $3, last_used_at = now()
     WHERE id = $1 AND staff_id = $2 AND (counter < $3 OR (counter = 0 AND $3 = 0))`,
    [stored.id, staffId, next],
  );
  return rowCount ? 'ok' : 'counter';
}
