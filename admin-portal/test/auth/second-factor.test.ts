import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SESSION_COOKIE } from '../../src/sessions/staff-session.js';
import { clientCertOf, type PortalHarness, StaffClient, startPortal } from '../helper.js';

// Issue 10, item 3: a certificate alone opens nothing; a TOTP code at every session start
// (PCI DSS v4.0.1 8.4.2, 8.5.1 replay, 8.3.4 lockout), sessions in a __Host- cookie bound to the
// certificate, 15-minute idle timeout (8.2.8), absolute timeout, logout, CSRF on every form.

let h: PortalHarness;

before(async () => {
  h = await startPortal();
});
after(async () => {
  await h?.close();
});

const codeOf = (body: string) => /id="error-code">([a-z_]+)</.exec(body)?.[1];

async function actions(handle: string): Promise<string[]> {
  const { rows } = await h.db.owner.query<{ action: string }>(
    `SELECT e.action FROM admin.audit_events e JOIN admin.staff s ON s.id = e.staff_id WHERE s.handle = $1 ORDER BY seq`,
    [handle],
  );
  return rows.map((r) => r.action);
}

describe('enrolment and login', () => {
  it('a certificate alone reaches no page: the home page sends to the second factor (PCI DSS 8.4.2)', async () => {
    const ada = await h.addStaff('ada', ['support']);
    const home = await ada.get('/');
    assert.equal(home.status, 303);
    assert.equal(home.headers.location, '/login');
    const login = await ada.get('/login');
    assert.equal(login.status, 303, 'not enrolled yet');
    assert.equal(login.headers.location, '/enrol/totp');
  });

  it('enrols TOTP with a QR code, stores the secret encrypted, and opens a session in a __Host- cookie', async () => {
    const bea = await h.addStaff('bea', ['support']);
    await bea.get('/login');
    const before = bea.cookies.get(SESSION_COOKIE);
    const page = await bea.get('/enrol/totp');
    assert.match(page.body, /<svg/);
    const enrolled = await bea.enrol();
    assert.equal(enrolled.status, 303);
    assert.notEqual(bea.cookies.get(SESSION_COOKIE), before, 'a new session id after the second factor (no fixation)');
    const cookie = String([enrolled.headers['set-cookie']].flat()[0]);
    assert.match(cookie, /^__Host-admin-session=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /Secure/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    assert.doesNotMatch(cookie, /Domain=/i);
    const { rows } = await h.db.owner.query(
      `SELECT t.secret_ciphertext FROM admin.totp_factors t JOIN admin.staff s ON s.id = t.staff_id WHERE s.handle = 'bea'`,
    );
    assert.ok(!String(rows[0]?.secret_ciphertext).includes(bea.totpSecret ?? '?'), 'the secret is not stored in clear');
    const home = await bea.get('/');
    assert.equal(home.status, 200);
    assert.match(home.body, /id="staff-roles">support</);
    assert.deepEqual((await actions('bea')).slice(-3), [
      'second_factor.enrolment_started',
      'second_factor.enrolled',
      'login',
    ]);
  });

  it('shows the QR code only while enrolment is open: once enrolled, the enrolment page is refused', async () => {
    const bea = await loggedIn('bea2');
    const again = await bea.get('/enrol/totp');
    assert.equal(again.status, 409);
    assert.equal(codeOf(again.body), 'admin_already_enrolled');
  });

  it('refuses a staff-CA certificate that no one registered, and audits it', async () => {
    await h.pki.staffCa.issue('ghost');
    const ghost = new StaffClient(h, 'ghost', await clientCertOf(h.pki.staffCa, 'ghost'));
    const res = await ghost.get('/login');
    assert.equal(res.status, 403);
    assert.equal(codeOf(res.body), 'admin_staff_unknown');
    ghost.agent.destroy();
    const { rows } = await h.db.owner.query(
      `SELECT 1 FROM admin.audit_events WHERE action = 'login.unknown_certificate'`,
    );
    assert.ok(rows.length >= 1);
  });
});

async function loggedIn(handle: string, roles: ('support' | 'fulfilment' | 'finance' | 'admin')[] = ['support']) {
  const client = await h.addStaff(handle, roles);
  const res = await client.enrol();
  assert.equal(res.status, 303, `enrolment of ${handle}: ${res.body.slice(0, 200)}`);
  return client;
}

describe('codes [C-043]', () => {
  it('accepts a code once only: the same code again is refused as a replay (PCI DSS 8.5.1)', async () => {
    const cy = await loggedIn('cy');
    await cy.post('/logout');
    await cy.get('/login');
    const replay = await cy.post('/login', { code: await cy.code() });
    assert.equal(replay.status, 401);
    assert.equal(codeOf(replay.body), 'admin_code_replayed');
    assert.equal((await cy.get('/')).status, 303, 'no session from a replayed code');
    assert.equal((await cy.login()).status, 303, 'the next code works');
  });

  it('refuses a wrong code, a non-numeric one and an oversized one with a page, never a 500', async () => {
    const di = await loggedIn('di');
    await di.post('/logout');
    await di.get('/login');
    const wrong = await di.post('/login', { code: '000000' });
    assert.equal(wrong.status, 401);
    assert.equal(codeOf(wrong.body), 'admin_code_invalid');
    assert.equal((await di.post('/login', { code: 'abcdef' })).status, 401);
    const big = await di.post('/login', { code: '1'.repeat(5000) });
    assert.equal(big.status, 400);
    assert.equal(codeOf(big.body), 'validation_failed');
    const extra = await di.post('/login', { code: '123456', role: 'admin' });
    assert.equal(extra.status, 400);
    const junk = await di.send('POST', '/login', '%%%&&&=', 'application/x-www-form-urlencoded');
    assert.ok(junk.status >= 400 && junk.status < 500, `malformed form answered ${junk.status}`);
  });

  it('locks the account for 30 minutes after 10 failures, even for the right code, and audits it (PCI DSS 8.3.4)', async () => {
    const ed = await loggedIn('ed');
    await ed.post('/logout');
    await ed.get('/login');
    for (let i = 0; i < 9; i++) assert.equal((await ed.post('/login', { code: '000000' })).status, 401);
    const tenth = await ed.post('/login', { code: '000000' });
    assert.equal(tenth.status, 423);
    assert.equal(codeOf(tenth.body), 'admin_locked');
    h.clock.advance(30_000);
    const right = await ed.post('/login', { code: await ed.code() });
    assert.equal(right.status, 423, 'the right code is refused while locked');
    h.clock.advance(29 * 60_000);
    await ed.get('/login');
    assert.equal((await ed.post('/login', { code: await ed.code(1) })).status, 423, 'still locked after 29.5 minutes');
    h.clock.advance(60_000);
    await ed.get('/login');
    assert.equal((await ed.post('/login', { code: await ed.code() })).status, 303, 'accepted after 30 minutes');
    const audit = await actions('ed');
    assert.equal(audit.filter((a) => a === 'login.second_factor_failed').length, 12);
    assert.ok(audit.includes('login.locked'));
  });
});

describe('sessions [C-043]', () => {
  it('ends a session idle for more than 15 minutes and asks for the second factor again (PCI DSS 8.2.8)', async () => {
    const fay = await loggedIn('fay');
    h.clock.advance(14 * 60_000);
    assert.equal((await fay.get('/')).status, 200, 'used within 15 minutes');
    h.clock.advance(15 * 60_000 + 1000);
    const idle = await fay.get('/');
    assert.equal(idle.status, 401);
    assert.equal(codeOf(idle.body), 'admin_session_expired');
    assert.equal((await fay.get('/')).status, 303, 'the session is gone server-side');
  });

  it('ends a session at its absolute timeout however busy it is', async () => {
    const gus = await loggedIn('gus');
    for (let t = 0; t < 47; t++) {
      h.clock.advance(10 * 60_000);
      assert.equal((await gus.get('/')).status, 200);
    }
    h.clock.advance(10 * 60_000 + 1000);
    assert.equal((await gus.get('/')).status, 401);
  });

  it("a session cookie is useless with another person's certificate", async () => {
    const hal = await loggedIn('hal');
    const ivy = await h.addStaff('ivy', ['support']);
    ivy.cookies = new Map(hal.cookies);
    assert.equal((await ivy.get('/')).status, 303);
    assert.equal((await hal.get('/')).status, 303, 'the exposed session was destroyed');
    assert.ok((await actions('ivy')).includes('session.certificate_mismatch'));
  });

  it('logout destroys the session server-side: the old cookie opens nothing', async () => {
    const jo = await loggedIn('jo');
    const cookie = new Map(jo.cookies);
    assert.equal((await jo.post('/logout')).status, 200);
    jo.cookies = cookie;
    assert.equal((await jo.get('/')).status, 303);
  });
});

describe('CSRF', () => {
  it('refuses a POST without the form token or with a wrong one, and audits it', async () => {
    const kai = await loggedIn('kai');
    const none = await kai.post('/logout', {}, { csrf: false });
    assert.equal(none.status, 403);
    assert.equal(codeOf(none.body), 'admin_csrf_invalid');
    assert.equal((await kai.post('/logout', { _csrf: 'x'.repeat(43) })).status, 403);
    assert.equal((await kai.get('/')).status, 200, 'still logged in: the forged logout did nothing');
    assert.ok((await actions('kai')).includes('access.csrf_refused'));
  });
});

describe('inactive accounts', () => {
  it('disables an account unused for 90 days at its next attempt (PCI DSS 8.2.6)', async () => {
    const lu = await loggedIn('lu');
    await lu.post('/logout');
    await h.db.owner.query(`UPDATE admin.staff SET last_login_at = now() - interval '91 days' WHERE handle = 'lu'`);
    const res = await lu.get('/login');
    assert.equal(res.status, 403);
    assert.equal(codeOf(res.body), 'admin_account_inactive');
    const { rows } = await h.db.owner.query(`SELECT status FROM admin.staff WHERE handle = 'lu'`);
    assert.equal(rows[0]?.status, 'disabled');
    assert.equal(codeOf((await lu.get('/login')).body), 'admin_staff_unknown', 'and stays disabled');
  });
});
