// The staff member's side of the deployment test (deploy/test/stack.ts), bundled by it and run
// inside a container that shares the network namespace of a staff device whose WireGuard tunnel
// is up: the first staff member, with the certificate `npm run secrets` issued them, enrols an
// authenticator app (TOTP) on the portal and logs in, as a browser would. It prints one JSON line.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { generate } from 'otplib';

const [dir = '/staff', handle = 'first-admin'] = process.argv.slice(2);
const base = 'https://10.13.13.1:3443';
const tls = {
  cert: readFileSync(`${dir}/${handle}.crt`),
  key: readFileSync(`${dir}/${handle}.key`),
  ca: readFileSync(`${dir}/internal-ca.crt`),
};
const jar = new Map<string, string>();

interface Answer {
  status: number;
  location: string;
  text: string;
}

function call(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Answer> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        ...tls,
        headers: {
          cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
          ...(body ? { 'content-type': 'application/x-www-form-urlencoded', origin: base } : {}),
        },
      },
      (res) => {
        for (const c of res.headers['set-cookie'] ?? []) {
          const [kv = ''] = c.split(';');
          const i = kv.indexOf('=');
          jar.set(kv.slice(0, i), kv.slice(i + 1));
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '', text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const login = await call('GET', '/login');
  const enrolPage = await call('GET', '/enrol/totp');
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(enrolPage.text)?.[1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(enrolPage.text)?.[1];
  if (!secret || !csrf) throw new Error(`no enrolment form (${enrolPage.status}): ${enrolPage.text.slice(0, 300)}`);
  const enrol = await call('POST', '/enrol/totp', { _csrf: csrf, code: await generate({ secret }) });
  const home = await call('GET', '/');
  console.log(
    JSON.stringify({
      login: `${login.status} ${login.location}`,
      enrolPage: enrolPage.status,
      enrol: `${enrol.status} ${enrol.location}`,
      home: home.status,
      signedInAs: /id="staff-handle">([^<]*)</.exec(home.text)?.[1] ?? '',
      roles: /id="staff-roles">([^<]*)</.exec(home.text)?.[1] ?? '',
    }),
  );
}

main().catch((err: Error) => console.log(JSON.stringify({ error: err.message })));
