// The `vault` command of the Vault stand-in image (deploy/test/images/vault): Vault cannot be
// installed from a package registry, so the deployment test runs the documented Vault API double
// of the tokenizer's tests (vault-tokenizer/test/vault-double) behind the same command line that
// compose.yaml and vault/setup-approle.sh use. Test code only: no production image contains it.
//   vault server -config=FILE            the double, with the listener's TLS files from FILE
//   vault status | operator init | operator unseal KEY
//   vault read|write|list PATH ... , secrets list|enable, auth list|enable, policy write NAME -
// biome-ignore-all lint/suspicious/noExplicitAny: Vault's JSON answers are read field by field, as the CLI prints them.
// Each command is the HTTP call Vault's CLI documents for it (same paths, same output shapes
// for the -field and -format=json options the script reads).
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { VaultDouble } from '../../../../vault-tokenizer/test/vault-double/vault-double.js';

const argv = process.argv.slice(2);
const flags: Record<string, string | true> = {};
const pos: string[] = [];
for (const a of argv) {
  if (a !== '-' && a.startsWith('-')) {
    const [k, ...v] = a.replace(/^-+/, '').split('=');
    flags[k as string] = v.length > 0 ? v.join('=') : true;
  } else pos.push(a);
}

function request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const address = new URL(String(flags.address ?? process.env.VAULT_ADDR ?? 'https://127.0.0.1:8200'));
  const caFile = String(flags['ca-cert'] ?? process.env.VAULT_CACERT ?? '');
  const token =
    process.env.VAULT_TOKEN ??
    (process.env.VAULT_TOKEN_FILE ? readFileSync(process.env.VAULT_TOKEN_FILE, 'utf8').trim() : '');
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: address.hostname,
        port: address.port || 8200,
        method,
        path: `/v1/${path}`,
        ca: caFile ? readFileSync(caFile) : undefined,
        ...(flags['tls-server-name'] || !/^[0-9.]+$/.test(address.hostname)
          ? { servername: String(flags['tls-server-name'] ?? address.hostname) }
          : {}),
        headers: {
          ...(token ? { 'x-vault-token': token } : {}),
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
        },
        timeout: 5000,
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : {} }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

function fail(status: number, json: any): never {
  process.stderr.write(`Error: Code: ${status}. Errors: ${(json?.errors ?? []).join(', ')}\n`);
  process.exit(2);
}

function kvArgs(list: string[]): Record<string, unknown> {
  if (list.includes('-')) return JSON.parse(readFileSync(0, 'utf8'));
  return Object.fromEntries(list.map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
}

function print(json: any): void {
  const field = flags.field;
  if (typeof field === 'string') {
    const v = json?.data?.[field] ?? json?.auth?.[field];
    process.stdout.write(typeof v === 'string' ? v : JSON.stringify(v));
    return;
  }
  if (flags.format === 'json') process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
}

async function main(): Promise<void> {
  const [cmd, sub, ...rest] = pos;
  switch (cmd) {
    case 'server': {
      const config = readFileSync(String(flags.config), 'utf8');
      const cert = /tls_cert_file\s*=\s*"([^"]+)"/.exec(config)?.[1];
      const key = /tls_key_file\s*=\s*"([^"]+)"/.exec(config)?.[1];
      const port = Number(/address\s*=\s*"[^":]*:(\d+)"/.exec(config)?.[1] ?? 8200);
      if (!cert || !key) throw new Error('the listener needs tls_cert_file and tls_key_file');
      const double = new VaultDouble({
        tls: { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') },
        uninitialised: true,
        host: '0.0.0.0',
        port,
      });
      await double.start();
      console.log(`vault stand-in (the Vault API double): listening on ${port}, uninitialised and sealed`);
      process.on('SIGTERM', () => double.stop().then(() => process.exit(0)));
      return;
    }
    case 'status': {
      const { status, json } = await request('GET', 'sys/seal-status').catch(() => ({ status: 0, json: {} }));
      if (status !== 200) process.exit(1);
      print({ data: json });
      process.exit(json.sealed ? 2 : 0);
      break;
    }
    case 'operator': {
      if (sub === 'init') {
        const { status, json } = await request('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 });
        if (status !== 200) fail(status, json);
        process.stdout.write(
          `${JSON.stringify({ unseal_keys_hex: json.keys, root_token: json.root_token }, null, 2)}\n`,
        );
        return;
      }
      if (sub === 'unseal') {
        const { status, json } = await request('PUT', 'sys/unseal', { key: rest[0] });
        if (status !== 200) fail(status, json);
        return;
      }
      break;
    }
    case 'secrets':
    case 'auth': {
      const base = cmd === 'secrets' ? 'sys/mounts' : 'sys/auth';
      if (sub === 'list') {
        const { status, json } = await request('GET', base);
        if (status !== 200) fail(status, json);
        process.stdout.write(`${JSON.stringify(json.data, null, 2)}\n`);
        return;
      }
      if (sub === 'enable') {
        const { status, json } = await request('POST', `${base}/${flags.path ?? rest[0]}`, { type: rest[0] });
        if (status >= 300) fail(status, json);
        return;
      }
      break;
    }
    case 'policy': {
      if (sub === 'write') {
        const text = rest[1] === '-' ? readFileSync(0, 'utf8') : readFileSync(String(rest[1]), 'utf8');
        const { status, json } = await request('PUT', `sys/policies/acl/${rest[0]}`, { policy: text });
        if (status >= 300) fail(status, json);
        return;
      }
      break;
    }
    case 'read': {
      const { status, json } = await request('GET', String(sub));
      if (status !== 200) fail(status, json);
      print(json);
      return;
    }
    case 'list': {
      // Vault's API takes GET ?list=true for LIST (Node's HTTP parser knows no LIST method).
      const { status, json } = await request('GET', `${sub}?list=true`);
      if (status !== 200) fail(status, json);
      process.stdout.write(`${JSON.stringify(json.data?.keys ?? [], null, 2)}\n`);
      return;
    }
    case 'write': {
      const body = flags.f ? {} : kvArgs(rest);
      const { status, json } = await request('POST', String(sub), body);
      if (status >= 300) fail(status, json);
      print(json);
      return;
    }
  }
  process.stderr.write(`vault stand-in: unsupported command ${argv.join(' ')}\n`);
  process.exit(1);
}

main().catch((err: Error) => {
  process.stderr.write(`vault stand-in: ${err.message}\n`);
  process.exit(1);
});
