import { DevCertificateAuthority } from '@shop/shared/mtls';
import { DEV_CERTS_DIR } from '../config.js';

/**
 * Development certificates for the internal CA, in `.certs/internal-ca/` at the repo root
 * (ignored by git; never commit a key). Production certificates come from the operator's PKI.
 *
 *   npm run certs -w vault-tokenizer -- init            CA, CRL, and certificates for the services that run
 *   npm run certs -w vault-tokenizer -- issue <name>    (re)issue one service's certificate
 *   npm run certs -w vault-tokenizer -- revoke <name>   revoke it; a running tokenizer reloads the CRL
 *                                                       and closes the certificate's open connections
 *
 * `init` issues no admin-portal certificate (pentest finding 8.9): the policy lets that caller
 * reveal values in clear under a staff identity it asserts itself, so a certificate with no
 * portal (and no second factor) behind it is a reveal credential lying on disk. Issue it with
 * `issue admin-portal` once the portal runs.
 */
const SERVICES = ['vault-tokenizer', 'api', 'order-worker'];
const SERVERS = new Set(['vault-tokenizer', 'admin-portal']);

async function main(argv: string[]): Promise<void> {
  const [command, name] = argv;
  const dir = process.env.TOKENIZER_CERTS_DIR ?? DEV_CERTS_DIR;
  const ca = await new DevCertificateAuthority(dir).init();
  switch (command) {
    case 'init':
      for (const service of SERVICES) {
        await ca.issue(service, { server: SERVERS.has(service) });
        console.log(`issued ${service}: ${ca.certFile(service)}`);
      }
      break;
    case 'issue':
      if (!name) throw new Error('usage: certs issue <service-name>');
      await ca.issue(name, { server: SERVERS.has(name) });
      console.log(`issued ${name}: ${ca.certFile(name)} (key ${ca.keyFile(name)})`);
      break;
    case 'revoke':
      if (!name) throw new Error('usage: certs revoke <service-name>');
      await ca.revoke(name);
      console.log(`revoked ${name}; CRL written to ${ca.crlFile}`);
      break;
    default:
      throw new Error('usage: certs init | issue <service-name> | revoke <service-name>');
  }
  console.log(`CA: ${ca.caFile}  CRL: ${ca.crlFile}  (development only, not for production)`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
