import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  authenticationOptions,
  type CeremonyOutcome,
  type RelyingParty,
  registrationOptions,
  verifyAuthentication,
  verifyRegistration,
} from '../../auth/webauthn.js';
import { AccountInactive, ChallengeExpired, Locked, NotEnrolled, SecurityKeyInvalid } from '../../errors.js';
import { html, layout } from '../../views/html.js';
import { AuthenticationBody, CsrfJson, RegistrationBody } from './schemas.js';

export interface WebAuthnRouteOptions {
  rp: RelyingParty;
  inactiveDisableMs: number;
  now: () => number;
}

/** The browser side: a static module from 'self' (no inline script; CSP default-src 'self'). */
export const WEBAUTHN_SCRIPT = html`<script type="module" src="/static/webauthn.js"></script>`;

/**
 * Security keys and passkeys (issue 10, item 3): added from a full session (certificate and
 * second factor), then usable at login instead of a TOTP code. Every ceremony is audited.
 */
export async function webauthnRoutes(app: FastifyInstance, opts: WebAuthnRouteOptions) {
  const db = app.adminDb;

  async function refuse(request: FastifyRequest, action: string, outcome: CeremonyOutcome): Promise<never> {
    await app.sessions.audit(request, { action, outcome: 'denied', detail: { factor: 'webauthn', code: outcome } });
    if (outcome === 'no_challenge' || outcome === 'expired') throw new ChallengeExpired();
    throw new SecurityKeyInvalid();
  }

  app.get('/security-keys', { config: { access: 'session' } }, async (request, reply) => {
    const { rows } = await db.query<{ id: string; created_at: Date; last_used_at: Date | null }>(
      'SELECT id, created_at, last_used_at FROM admin.webauthn_credentials WHERE staff_id = $1 ORDER BY created_at',
      [request.staff?.id],
    );
    const csrf = app.sessions.csrfToken(request);
    return reply.type('text/html; charset=utf-8').send(
      layout(
        { title: 'Security keys', staff: request.staff && { handle: request.staff.handle, csrfToken: csrf } },
        html`<p>A security key or passkey is the phishing-resistant second factor: it signs in only on this portal's address.</p>
<table id="security-keys"><tr><th>Key</th><th>Added</th><th>Last used</th></tr>
${rows.map((r) => html`<tr><td>${r.id.slice(0, 12)}…</td><td>${r.created_at.toISOString()}</td><td>${r.last_used_at?.toISOString() ?? 'never'}</td></tr>`)}
</table>
<form id="webauthn-register" method="post" action="/webauthn/registration/verify">
<input type="hidden" name="_csrf" value="${csrf}">
<button type="submit">Add a security key</button></form>
<p id="webauthn-status" role="status"></p>
${WEBAUTHN_SCRIPT}`,
      ),
    );
  });

  app.post(
    '/webauthn/registration/options',
    { config: { access: 'session' }, schema: { body: CsrfJson } },
    async (request) => {
      const staff = request.staff;
      if (!staff) throw new NotEnrolled();
      return registrationOptions(db, opts.rp, staff, opts.now());
    },
  );

  app.post(
    '/webauthn/registration/verify',
    { config: { access: 'session' }, schema: { body: RegistrationBody } },
    async (request) => {
      const staff = request.staff;
      if (!staff) throw new NotEnrolled();
      const { response } = request.body as { response: RegistrationResponseJSON };
      const outcome = await verifyRegistration(db, opts.rp, staff.id, response, opts.now());
      if (outcome !== 'ok') return refuse(request, 'second_factor.enrolment_failed', outcome);
      await app.sessions.audit(request, {
        action: 'second_factor.enrolled',
        outcome: 'ok',
        detail: { factor: 'webauthn' },
      });
      return { ok: true, redirect: '/security-keys' };
    },
  );

  async function refuseLocked(request: FastifyRequest): Promise<void> {
    // PCI DSS 8.2.6, as on the TOTP login: 90 days unused is disabled (the sweep does it hourly too).
    const staff = request.staff;
    if (staff && opts.now() - staff.lastActiveAt.getTime() > opts.inactiveDisableMs) throw new AccountInactive();
    // A lockout after failed codes holds for every factor (PCI DSS 8.3.4).
    const { rows } = await db.query<{ locked: boolean }>(
      'SELECT locked_until > $2 AS locked FROM admin.login_failures WHERE staff_id = $1',
      [request.staff?.id, new Date(opts.now())],
    );
    if (rows[0]?.locked) {
      await app.sessions.audit(request, {
        action: 'login.second_factor_failed',
        outcome: 'denied',
        detail: { factor: 'webauthn', code: 'locked' },
      });
      throw new Locked();
    }
  }

  app.post(
    '/webauthn/authentication/options',
    { config: { access: 'staff' }, schema: { body: CsrfJson } },
    async (request) => {
      const staff = request.staff;
      if (!staff) throw new NotEnrolled();
      await refuseLocked(request);
      const options = await authenticationOptions(db, opts.rp, staff.id, opts.now());
      if (!options) throw new NotEnrolled();
      return options;
    },
  );

  app.post(
    '/webauthn/authentication/verify',
    { config: { access: 'staff' }, schema: { body: AuthenticationBody } },
    async (request, reply) => {
      const staff = request.staff;
      if (!staff) throw new NotEnrolled();
      await refuseLocked(request);
      const { response } = request.body as { response: AuthenticationResponseJSON };
      const outcome = await verifyAuthentication(db, opts.rp, staff.id, response, opts.now());
      if (outcome !== 'ok') return refuse(request, 'login.second_factor_failed', outcome);
      await app.sessions.open(request, reply, 'active');
      await db.query('UPDATE admin.staff SET last_login_at = now() WHERE id = $1', [staff.id]);
      await app.sessions.audit(request, { action: 'login', outcome: 'ok', detail: { factor: 'webauthn' } });
      return { ok: true, redirect: '/' };
    },
  );
}
