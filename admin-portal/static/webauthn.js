// The browser side of the portal's security keys and passkeys (WebAuthn), served from 'self'
// (the CSP allows no inline script). It turns the server's JSON options into the binary form
// navigator.credentials expects, and the credential back into JSON; the server checks it all.

const toBytes = (b64url) => {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
};

const toB64url = (buffer) => {
  const bytes = new Uint8Array(buffer);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

const descriptors = (list) => (list ?? []).map((c) => ({ ...c, id: toBytes(c.id) }));

function status(text) {
  const el = document.getElementById('webauthn-status');
  if (el) el.textContent = text;
}

async function post(path, body) {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  if (res.ok && type.startsWith('application/json')) return res.json();
  // Refusals are the portal's error pages: show their stable code.
  const page = new DOMParser().parseFromString(await res.text(), 'text/html');
  const code = page.getElementById('error-code')?.textContent ?? `http_${res.status}`;
  const message = page.querySelector('main p.error')?.textContent ?? '';
  throw new Error(`${code}: ${message}`);
}

function credentialJson(cred) {
  const r = cred.response;
  const response = { clientDataJSON: toB64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toB64url(r.attestationObject);
    if (typeof r.getTransports === 'function') response.transports = r.getTransports();
  } else {
    response.authenticatorData = toB64url(r.authenticatorData);
    response.signature = toB64url(r.signature);
    if (r.userHandle) response.userHandle = toB64url(r.userHandle);
  }
  const json = {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    response,
    clientExtensionResults: cred.getClientExtensionResults(),
  };
  if (cred.authenticatorAttachment) json.authenticatorAttachment = cred.authenticatorAttachment;
  return json;
}

async function register(form) {
  const csrf = form.elements._csrf.value;
  const options = await post('/webauthn/registration/options', { _csrf: csrf });
  const cred = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials),
    },
  });
  return post('/webauthn/registration/verify', { _csrf: csrf, response: credentialJson(cred) });
}

async function authenticate(form) {
  const csrf = form.elements._csrf.value;
  const options = await post('/webauthn/authentication/options', { _csrf: csrf });
  const cred = await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    },
  });
  return post('/webauthn/authentication/verify', { _csrf: csrf, response: credentialJson(cred) });
}

for (const [id, ceremony] of [
  ['webauthn-register', register],
  ['webauthn-login', authenticate],
]) {
  const form = document.getElementById(id);
  if (!form) continue;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    status('Waiting for your security key…');
    try {
      const result = await ceremony(form);
      status('Done.');
      window.location.assign(result.redirect);
    } catch (err) {
      status(err instanceof Error ? err.message : String(err));
    }
  });
}
