import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { type CodeOutcome, checkCode, startEnrolment, totpState } from '../../auth/totp.js';
import { hasSecurityKey } from '../../auth/webauthn.js';
import { AccountInactive, AlreadyEnrolled, CodeInvalid, CodeReplayed, Locked, NotEnrolled } from '../../errors.js';
import { html, layout, SafeHtml } from '../../views/html.js';
import { WEBAUTHN_SCRIPT } from '../webauthn/index.js';
import { CodeForm, CsrfOnlyForm } from './schemas.js';

export interface LoginOptions {
  totpKey: Buffer;
  inactiveDisableMs: number;
  now: () => number;
}

/**
 * Second factor at every session start (issue 10, item 3): the certificate opens only a
 * pre-session; a TOTP code (enrolled once, with a QR code shown once) makes it a session.
 */
export async function loginRoutes(app: FastifyInstance, opts: LoginOptions) {
  const db = app.adminDb;

  /** PCI DSS 8.2.6: an account unused for 90 days is disabled at its next attempt (and by the sweep). */
  async function refuseInactive(request: FastifyRequest): Promise<void> {
    const staff = request.staff;
    if (!staff || opts.now() - staff.lastActiveAt.getTime() <= opts.inactiveDisableMs) return;
    await db.query(
      `UPDATE admin.staff SET status = 'disabled', disabled_at = now(), disabled_reason = 'inactive_90_days' WHERE id = $1`,
      [staff.id],
    );
    await app.sessions.audit(request, { action: 'staff.disabled_inactive', target: staff.handle, outcome: 'ok' });
    throw new AccountInactive();
  }

  async function preSession(request: FastifyRequest, reply: FastifyReply) {
    if (request.session?.data.stage !== 'second_factor') await app.sessions.open(request, reply, 'second_factor');
    return app.sessions.csrfToken(request);
  }

  async function refuse(request: FastifyRequest, outcome: CodeOutcome, action: string): Promise<never> {
    await app.sessions.audit(request, { action, outcome: 'denied', detail: { code: outcome } });
    if (outcome === 'locked_now') {
      await app.sessions.audit(request, { action: 'login.locked', outcome: 'ok', detail: { minutes: 30 } });
    }
    if (outcome === 'locked' || outcome === 'locked_now') throw new Locked();
    if (outcome === 'replayed') throw new CodeReplayed();
    if (outcome === 'not_enrolled') throw new NotEnrolled();
    throw new CodeInvalid();
  }

  const codeForm = (action: string, csrf: string, label: string) =>
    html`<form method="post" action="${action}">
<input type="hidden" name="_csrf" value="${csrf}">
<label>${label} <input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus></label>
<button type="submit">Continue</button>
</form>`;

  app.get('/login', { config: { access: 'staff' } }, async (request, reply) => {
    await refuseInactive(request);
    const state = await totpState(db, request.staff?.id ?? '');
    if (state !== 'confirmed') return reply.redirect('/enrol/totp', 303);
    const csrf = await preSession(request, reply);
    return reply.type('text/html; charset=utf-8').send(
      layout(
        { title: 'Log in' },
        html`<p>Signed by certificate as <strong>${request.staff?.handle}</strong>.</p>
${
  (await hasSecurityKey(db, request.staff?.id ?? ''))
    ? html`<form id="webauthn-login" method="post" action="/webauthn/authentication/verify">
<input type="hidden" name="_csrf" value="${csrf}">
<button type="submit">Use your security key</button></form>
<p id="webauthn-status" role="status"></p>
${WEBAUTHN_SCRIPT}
<p>Or:</p>`
    : ''
}
${codeForm('/login', csrf, 'Code from your authenticator app')}`,
      ),
    );
  });

  app.post('/login', { config: { access: 'staff' }, schema: { body: CodeForm } }, async (request, reply) => {
    await refuseInactive(request);
    const staff = request.staff;
    if (!staff) throw new NotEnrolled();
    const outcome = await checkCode(db, opts.totpKey, staff.id, (request.body as CodeForm).code, opts.now());
    if (outcome !== 'ok') return refuse(request, outcome, 'login.second_factor_failed');
    await app.sessions.open(request, reply, 'active');
    await db.query('UPDATE admin.staff SET last_login_at = now() WHERE id = $1', [staff.id]);
    await app.sessions.audit(request, { action: 'login', outcome: 'ok', detail: { factor: 'totp' } });
    return reply.redirect('/', 303);
  });

  app.get('/enrol/totp', { config: { access: 'staff' } }, async (request, reply) => {
    await refuseInactive(request);
    const staff = request.staff;
    if (!staff) throw new NotEnrolled();
    const csrf = await preSession(request, reply);
    const enrolment = await startEnrolment(db, opts.totpKey, staff);
    if (!enrolment) throw new AlreadyEnrolled();
    await app.sessions.audit(request, {
      action: 'second_factor.enrolment_started',
      outcome: 'ok',
      detail: { factor: 'totp' },
    });
    // The QR code is SVG markup made by the library from our own URI (no script, no style attribute).
    const qr = new SafeHtml(await QRCode.toString(enrolment.uri, { type: 'svg', margin: 1, width: 240 }));
    return reply.type('text/html; charset=utf-8').send(
      layout(
        { title: 'Enrol your authenticator' },
        html`<p>Scan this code with your authenticator app. It is shown once: reloading this page makes a new one.</p>
<div class="qr">${qr}</div>
<p>Or type this key: <code id="totp-secret">${enrolment.secret}</code></p>
${codeForm('/enrol/totp', csrf, 'First code from the app')}`,
      ),
    );
  });

  app.post('/enrol/totp', { config: { access: 'staff' }, schema: { body: CodeForm } }, async (request, reply) => {
    const staff = request.staff;
    if (!staff) throw new NotEnrolled();
    const outcome = await checkCode(db, opts.totpKey, staff.id, (request.body as CodeForm).code, opts.now(), {
      enrolment: true,
    });
    if (outcome !== 'ok') return refuse(request, outcome, 'second_factor.enrolment_failed');
    await app.sessions.open(request, reply, 'active');
    await db.query('UPDATE admin.staff SET last_login_at = now() WHERE id = $1', [staff.id]);
    await app.sessions.audit(request, { action: 'second_factor.enrolled', outcome: 'ok', detail: { factor: 'totp' } });
    await app.sessions.audit(request, { action: 'login', outcome: 'ok', detail: { factor: 'totp' } });
    return reply.redirect('/', 303);
  });

  app.post('/logout', { config: { access: 'session' }, schema: { body: CsrfOnlyForm } }, async (request, reply) => {
    await app.sessions.audit(request, { action: 'logout', outcome: 'ok' });
    await app.sessions.close(request, reply);
    return reply
      .type('text/html; charset=utf-8')
      .send(layout({ title: 'Logged out' }, html`<p>You are logged out. <a href="/login">Log in again</a>.</p>`));
  });
}
