import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ComposeFile,
  expectedMatrix,
  FORBIDDEN,
  internetSide,
  loadComposeFile,
  renderMatrix,
  segmentationProblems,
} from '../segmentation.js';

// [C-020] The segmentation matrix derived from compose.yaml (PCI DSS v4.0.1 1.2.1, 1.3.1, 1.3.2,
// 1.4.1, 11.4.5): which service can open which listener, from the networks each joins and the
// address each listener binds. The deployment test probes the running stack against the same
// matrix; here it is held to the architecture's rules, and shown to fail on weakened copies.

const compose = loadComposeFile(new URL('../../compose.yaml', import.meta.url));
const weakened = (change: (c: ComposeFile) => void): ComposeFile => {
  const copy = structuredClone(compose);
  change(copy);
  return copy;
};
const open = (c: ComposeFile, from: string, to: string) =>
  expectedMatrix(c).filter((cell) => cell.from === from && cell.to === to && cell.via.length > 0);

describe('[C-020] segmentation matrix of compose.yaml (PCI DSS 1.3, 11.4.5)', () => {
  it('prints the matrix and finds no rule broken in compose.yaml', () => {
    const cells = expectedMatrix(compose);
    console.log(`segmentation matrix (expected, from compose.yaml):\n${renderMatrix(cells)}`);
    assert.deepEqual(segmentationProblems(compose), []);
  });

  it('lets only the gateway open the api, and only the VPN open the admin portal', () => {
    const toApi = expectedMatrix(compose).filter((c) => c.to === 'api' && c.via.length > 0);
    assert.deepEqual(
      toApi.map((c) => c.from),
      ['gateway'],
    );
    const toPortal = expectedMatrix(compose).filter((c) => c.to === 'admin-portal' && c.via.length > 0);
    assert.deepEqual(
      toPortal.map((c) => `${c.from} via ${c.via.join(',')}`),
      ['vpn via admin'],
    );
  });

  it('lets Vault be opened from the vault network only (the tokenizer; its database opens no connection)', () => {
    const toVault = expectedMatrix(compose).filter((c) => c.to === 'vault' && c.via.length > 0);
    assert.deepEqual(toVault.map((c) => `${c.from} via ${c.via.join(',')}`).sort(), [
      'tokenizer-db via vault',
      'vault-tokenizer via vault',
    ]);
  });

  it('reaches, from the internet side, the gateway on 8443 (published 443) and nothing else', () => {
    const reachable = internetSide(compose).filter((c) => c.via.length > 0);
    assert.deepEqual(
      reachable.map((c) => `${c.from} -> ${c.to}:${c.port}`),
      ['internet@edge -> gateway:8443'],
    );
  });

  it('fails on a weakened copy: the api joined to the vault network', () => {
    const bad = weakened((c) => {
      const api = c.services.api as { networks: Record<string, unknown> };
      api.networks.vault = {};
    });
    const problems = segmentationProblems(bad);
    assert.ok(
      problems.some((p) => p.startsWith('api -> vault:8200 is open (via vault)')),
      problems.join('\n'),
    );
    assert.ok(open(bad, 'api', 'vault').length > 0);
  });

  it('fails on a weakened copy: the gateway joined to the data network', () => {
    const bad = weakened((c) => {
      (c.services.gateway as { networks: Record<string, unknown> }).networks.data = {};
    });
    assert.ok(segmentationProblems(bad).some((p) => p.startsWith('gateway -> postgres:5432 is open')));
  });

  it('fails on a weakened copy: the portal listening on every address', () => {
    const bad = weakened((c) => {
      (c.services['admin-portal']?.environment as Record<string, string>).ADMIN_HOST = '0.0.0.0';
    });
    assert.ok(segmentationProblems(bad).some((p) => p.startsWith('api -> admin-portal:3443 is open')));
  });

  it('fails on a weakened copy: another service publishing a port, or the gateway a second one', () => {
    const bad = weakened((c) => {
      (c.services.redis as { ports?: unknown[] }).ports = ['6379:6379'];
      (c.services.gateway as { ports?: unknown[] }).ports = ['443:8443', '80:8080'];
    });
    const problems = segmentationProblems(bad);
    assert.ok(problems.includes('redis publishes a port: only the gateway (443) and the VPN may'));
    assert.ok(problems.includes('gateway publishes 80:8080: only 443 (to 8443)'));
  });

  it('names every forbidden flow of the architecture on a service compose.yaml has', () => {
    for (const f of FORBIDDEN) {
      assert.ok(f.from in compose.services && f.to in compose.services, `${f.from} -> ${f.to}`);
    }
  });
});
