import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderTokenizerPolicy } from '../vault-double/hcl-policy.js';

/**
 * vault/setup-approle.sh runs the `vault` CLI. No Vault server can run here, so the test
 * puts a recording stand-in for the CLI first on PATH: it keeps the state a Vault would
 * (mounts, the key, the role, secret id accessors) and answers the exact commands the
 * script uses. What is checked is the script's own logic: which settings it writes,
 * that it is idempotent, that it refuses an exportable key, and where the secrets go.
 */
const SCRIPT = fileURLToPath(new URL('../../../vault/setup-approle.sh', import.meta.url));
const KEY_FILE = fileURLToPath(new URL('../../../vault/transit-key.json', import.meta.url));

const FAKE_VAULT = `#!/usr/bin/env node
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.FAKE_VAULT_DIR;
const statePath = path.join(dir, 'state.json');
const state = fs.existsSync(statePath)
  ? JSON.parse(fs.readFileSync(statePath, 'utf8'))
  : { secrets: [], auths: [], keys: {}, policies: {}, roles: {}, roleIds: {}, accessors: [], counter: 0 };
const args = process.argv.slice(2);
const stdin = args.includes('-') ? fs.readFileSync(0, 'utf8') : '';
fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({ args, stdin, token: process.env.VAULT_TOKEN || null }) + '\\n');
const [cmd, ...rest] = args;
const flags = {};
const pos = [];
for (const a of rest) {
  if (a !== '-' && a.startsWith('-')) {
    const [k, v] = a.replace(/^-+/, '').split('=');
    flags[k] = v === undefined ? true : v;
  } else pos.push(a);
}
const kv = Object.fromEntries(pos.slice(1).filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
const done = (code = 0, text = '') => {
  fs.writeFileSync(statePath, JSON.stringify(state));
  process.stdout.write(text);
  process.exit(code);
};
const mounts = (list, base) => JSON.stringify(Object.fromEntries([base, ...list].map((m) => [m, { type: 'x' }])));
let m;
switch (cmd) {
  case 'status':
    done(process.env.FAKE_SEALED === '1' ? 2 : 0);
  case 'secrets':
    if (pos[0] === 'list') done(0, mounts(state.secrets, 'cubbyhole/'));
    if (pos[0] === 'enable' && pos[1] === 'transit') { state.secrets.push(flags.path + '/'); done(); }
    break;
  case 'auth':
    if (pos[0] === 'list') done(0, mounts(state.auths, 'token/'));
    if (pos[0] === 'enable' && pos[1] === 'approle') { state.auths.push(flags.path + '/'); done(); }
    break;
  case 'policy':
    if (pos[0] === 'write' && pos[2] === '-') { state.policies[pos[1]] = stdin; done(); }
    break;
  case 'read':
    if ((m = /^([^/]+)\\/keys\\/([^/]+)$/.exec(pos[0]))) {
      const key = state.keys[m[1] + '/' + m[2]];
      if (!key) done(2);
      done(0, flags.field ? String(key[flags.field]) : 'Key Value');
    }
    if ((m = /^auth\\/([^/]+)\\/role\\/([^/]+)\\/role-id$/.exec(pos[0])) && flags.field === 'role_id') {
      done(0, state.roleIds[m[2]] || 'role-id-of-' + m[2]);
    }
    break;
  case 'write':
    if ((m = /^([^/]+)\\/keys\\/([^/]+)$/.exec(pos[0])) && pos[1] === '-') {
      state.keys[m[1] + '/' + m[2]] = { ...JSON.parse(stdin), deletion_allowed: false };
      done();
    }
    if ((m = /^([^/]+)\\/keys\\/([^/]+)\\/config$/.exec(pos[0]))) {
      Object.assign(state.keys[m[1] + '/' + m[2]], kv);
      done();
    }
    if ((m = /^auth\\/([^/]+)\\/role\\/([^/]+)$/.exec(pos[0]))) { state.roles[m[2]] = kv; done(); }
    if ((m = /^auth\\/([^/]+)\\/role\\/([^/]+)\\/role-id$/.exec(pos[0])) && kv.role_id) { state.roleIds[m[2]] = kv.role_id; done(); }
    if (/^auth\\/[^/]+\\/role\\/[^/]+\\/secret-id$/.test(pos[0]) && flags.f && flags.field === 'secret_id') {
      state.counter += 1;
      state.accessors.push('accessor-' + state.counter);
      done(0, 'secret-id-' + state.counter);
    }
    if (/\\/secret-id-accessor\\/destroy$/.test(pos[0])) {
      state.accessors = state.accessors.filter((a) => a !== kv.secret_id_accessor);
      done();
    }
    break;
  case 'list':
    if (/\\/secret-id$/.test(pos[0])) {
      if (state.accessors.length === 0) done(2);
      done(0, JSON.stringify(state.accessors, null, 2));
    }
    break;
}
process.stderr.write('fake vault: unexpected command ' + args.join(' ') + '\\n');
done(1);
`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const work = await fs.mkdtemp(path.join(os.tmpdir(), 'setup-approle-'));
after(() => fs.rm(work, { recursive: true, force: true }));
let cases = 0;

async function vaultSandbox() {
  const dir = path.join(work, `case-${++cases}`);
  const bin = path.join(dir, 'bin');
  await fs.mkdir(bin, { recursive: true });
  await fs.writeFile(path.join(bin, 'vault'), FAKE_VAULT, { mode: 0o755 });
  const out = path.join(dir, 'approle');
  const run = (env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        'sh',
        [SCRIPT],
        {
          env: {
            PATH: `${bin}:${process.env.PATH}`,
            VAULT_ADDR: 'https://vault.internal:8200',
            VAULT_TOKEN: 'administrative-token-for-setup',
            FAKE_VAULT_DIR: dir,
            OUT_DIR: out,
            WAIT_SECONDS: '2',
            ...env,
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
  const state = async () => JSON.parse(await fs.readFile(path.join(dir, 'state.json'), 'utf8'));
  const calls = async () =>
    (await fs.readFile(path.join(dir, 'calls.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { args: string[] });
  return { dir, out, run, state, calls };
}

describe('[C-016] vault/setup-approle.sh', () => {
  it('creates a non-exportable aes256-gcm96 key that cannot be deleted, the policy, and a least-privilege AppRole', async () => {
    const vault = await vaultSandbox();
    const result = await vault.run({ SECRET_ID_BOUND_CIDRS: '172.30.3.0/24', TOKEN_BOUND_CIDRS: '172.30.3.0/24' });
    assert.equal(result.code, 0, result.stderr);
    const state = await vault.state();
    assert.deepEqual(state.secrets, ['transit/']);
    assert.deepEqual(state.auths, ['approle/']);
    const key = state.keys['transit/tokenizer-kek'];
    assert.equal(key.type, 'aes256-gcm96');
    assert.equal(key.exportable, false);
    assert.equal(key.allow_plaintext_backup, false);
    assert.equal(key.deletion_allowed, 'false');
    assert.equal(key.auto_rotate_period, '8760h');
    assert.deepEqual(JSON.parse(await fs.readFile(KEY_FILE, 'utf8')), {
      type: 'aes256-gcm96',
      exportable: false,
      allow_plaintext_backup: false,
      derived: false,
      convergent_encryption: false,
    });
    assert.equal(state.policies.tokenizer, renderTokenizerPolicy());
    assert.deepEqual(state.roles.tokenizer, {
      token_policies: 'tokenizer',
      token_no_default_policy: 'true',
      token_type: 'service',
      token_ttl: '1h',
      token_max_ttl: '4h',
      token_num_uses: '0',
      bind_secret_id: 'true',
      secret_id_ttl: '0',
      secret_id_num_uses: '0',
      token_bound_cidrs: '172.30.3.0/24',
      secret_id_bound_cidrs: '172.30.3.0/24',
    });
  });

  it('writes the role id and secret id to files only the tokenizer reads (mode 0600), and never prints them', async () => {
    const vault = await vaultSandbox();
    const result = await vault.run();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await fs.readFile(path.join(vault.out, 'role-id'), 'utf8'), 'role-id-of-tokenizer');
    assert.equal(await fs.readFile(path.join(vault.out, 'secret-id'), 'utf8'), 'secret-id-1');
    for (const name of ['role-id', 'secret-id']) {
      assert.equal((await fs.stat(path.join(vault.out, name))).mode & 0o777, 0o600, name);
    }
    assert.deepEqual(
      (await fs.readdir(vault.out)).sort(),
      ['role-id', 'secret-id'],
      'temporary files were left behind',
    );
    const printed = result.stdout + result.stderr;
    assert.ok(!printed.includes('secret-id-1'), 'the secret id was printed');
    assert.ok(!printed.includes('administrative-token-for-setup'), 'the setup token was printed');
  });

  it('is idempotent: a second run keeps the key and engines, issues a new secret id and destroys the old one', async () => {
    const vault = await vaultSandbox();
    assert.equal((await vault.run()).code, 0);
    const first = await vault.state();
    const second = await vault.run();
    assert.equal(second.code, 0, second.stderr);
    const state = await vault.state();
    assert.deepEqual(state.secrets, ['transit/']);
    assert.deepEqual(state.auths, ['approle/']);
    assert.deepEqual(state.keys, first.keys);
    assert.equal(await fs.readFile(path.join(vault.out, 'secret-id'), 'utf8'), 'secret-id-2');
    assert.deepEqual(state.accessors, ['accessor-2']);
    const keyCreations = (await vault.calls()).filter(
      (c) => c.args[0] === 'write' && c.args[1] === 'transit/keys/tokenizer-kek' && c.args[2] === '-',
    );
    assert.equal(keyCreations.length, 1);
  });

  it('sets the role id it is given, so compose can hand the same value to the tokenizer', async () => {
    const vault = await vaultSandbox();
    const result = await vault.run({ ROLE_ID: 'tokenizer-role-id-from-compose' });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await fs.readFile(path.join(vault.out, 'role-id'), 'utf8'), 'tokenizer-role-id-from-compose');
  });

  it('uses the mount and key names it is given, in the paths and in the policy', async () => {
    const vault = await vaultSandbox();
    const result = await vault.run({
      TRANSIT_MOUNT: 'pii-transit',
      TRANSIT_KEY: 'kek-test',
      TOKEN_TTL: '2s',
      TOKEN_MAX_TTL: '5s',
    });
    assert.equal(result.code, 0, result.stderr);
    const state = await vault.state();
    assert.ok(state.keys['pii-transit/kek-test']);
    assert.equal(state.policies.tokenizer, renderTokenizerPolicy('pii-transit', 'kek-test'));
    assert.match(state.policies.tokenizer, /path "pii-transit\/decrypt\/kek-test"/);
    assert.doesNotMatch(state.policies.tokenizer, /tokenizer-kek|"transit\//);
    assert.equal(state.roles.tokenizer.token_ttl, '2s');
  });

  it('refuses an existing key that is exportable, since that cannot be undone', async () => {
    const vault = await vaultSandbox();
    assert.equal((await vault.run()).code, 0);
    const state = await vault.state();
    state.keys['transit/tokenizer-kek'].exportable = true;
    await fs.writeFile(path.join(vault.dir, 'state.json'), JSON.stringify(state));
    const result = await vault.run();
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /exportable/);
  });

  it('refuses names that would inject into paths or the policy', async () => {
    const vault = await vaultSandbox();
    const result = await vault.run({ TRANSIT_KEY: 'x" { capabilities = ["sudo"] } path "sys/*' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /invalid name/);
  });

  it('gives up with a clear message when Vault stays sealed', async () => {
    const vault = await vaultSandbox();
    const result = await vault.run({ FAKE_SEALED: '1' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /not reachable or still sealed/);
  });
});
