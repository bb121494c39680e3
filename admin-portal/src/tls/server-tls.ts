import { constants as cryptoConstants } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface StaffTlsFiles {
  /** Staff CA: client certificates of any other issuer (the internal service CA included) fail the handshake. */
  staffCaFile: string;
  staffCrlFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * TLS 1.2 and 1.3 with forward-secret AEAD suites only (PCI DSS v4.0.1 4.2.1, ASVS 9.1.2/9.1.3):
 * staff browsers may still offer 1.2, but never a CBC, RSA key exchange or SHA-1 suite.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

async function readPem(label: string, file: string): Promise<Buffer> {
  const data = await readFile(file).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read the ${label} at ${file} (${err.code})`);
  });
  if (!data.includes('-----BEGIN ')) throw new Error(`the ${label} at ${file} is not a PEM file`);
  return data;
}

/**
 * Server options of the portal (issue 10, item 1): a handshake completes only with a current,
 * unrevoked certificate of the staff CA; no route, not even a health check, is reachable without.
 */
export async function loadStaffTls(files: StaffTlsFiles) {
  const [ca, crl, cert, key] = await Promise.all([
    readPem('staff CA certificate', files.staffCaFile),
    readPem('staff CRL', files.staffCrlFile),
    readPem('server certificate', files.certFile),
    readPem('server key', files.keyFile),
  ]);
  return {
    ca,
    crl,
    cert,
    key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2' as const,
    ciphers: MODERN_CIPHERS,

    honorCipherOrder: true,
    // TLS 1.2 renegotiation could present another certificate mid-connection: refused outright.
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
  };
}
