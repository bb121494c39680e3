import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DevCertificateAuthority } from '@shop/shared/mtls';

const run = promisify(execFile);

/** A throwaway staff CA and internal CA for one test file, through the one development CA helper. */
export interface TestPki {
  staffCa: DevCertificateAuthority;
  internalCa: DevCertificateAuthority;
  serverTlsFiles: { staffCaFile: string; staffCrlFile: string; certFile: string; keyFile: string };
}

export async function createTestPki(dir: string): Promise<TestPki> {
  const staffCa = await new DevCertificateAuthority(join(dir, 'staff-ca'), 'Test Staff CA').init();
  const internalCa = await new DevCertificateAuthority(join(dir, 'internal-ca'), 'Test Internal CA').init();
  await internalCa.issue('admin-portal', { server: true });
  return {
    staffCa,
    internalCa,
    serverTlsFiles: {
      staffCaFile: staffCa.caFile,
      staffCrlFile: staffCa.crlFile,
      certFile: internalCa.certFile('admin-portal'),
      keyFile: internalCa.keyFile('admin-portal'),
    },
  };
}

/** A certificate of the staff CA whose validity ended in the past. */
export async function issueExpired(ca: DevCertificateAuthority, name: string): Promise<{ cert: string; key: string }> {
  const folder = join(ca.dir, name);
  await mkdir(folder, { recursive: true });
  const key = join(folder, 'key.pem');
  const csr = join(folder, 'req.csr');
  const cert = join(folder, 'cert.pem');
  const config = join(ca.dir, 'openssl.cnf');
  const env = { ...process.env, SAN: `DNS:${name}` };
  await run('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  await run('openssl', ['req', '-new', '-config', config, '-key', key, '-subj', `/CN=${name}`, '-out', csr], { env });
  await run(
    'openssl',
    [
      'ca',
      '-batch',
      '-notext',
      '-config',
      config,
      '-extensions',
      'leaf_ext',
      '-startdate',
      '20240101000000Z',
      '-enddate',
      '20240201000000Z',
      '-in',
      csr,
      '-out',
      cert,
    ],
    { env },
  );
  return { cert, key };
}

/** A self-signed certificate (no CA at all) naming a staff member. */
export async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string }> {
  await mkdir(dir, { recursive: true });
  const key = join(dir, `${name}-self-key.pem`);
  const cert = join(dir, `${name}-self-cert.pem`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-days',
    '30',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { cert, key };
}
