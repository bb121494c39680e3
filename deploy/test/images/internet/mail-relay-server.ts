// The mail relay stand-in of the deployment test (deploy/test/stack.ts): a real SMTP server
// (the `smtp-server` package) on 587 with STARTTLS, a certificate for its name from the test CA
// of the internet's stand-ins (deploy/images/build-base-images.sh). The test starts it on
// compose's `outbound` network under the relay's name, where the egress proxy resolves it: the
// order-worker's mail takes the production path to it. Each message is written, as received,
// to MAIL_DIR (a folder of the test's), and refused unless the session is TLS.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const dir = env('MAIL_DIR');
let n = 0;

const server = new SMTPServer({
  authOptional: true,
  logger: false,
  key: readFileSync(env('TLS_KEY_FILE')),
  cert: readFileSync(env('TLS_CERT_FILE')),
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (!session.secure) return callback(new Error('530 TLS required'));
      n += 1;
      writeFileSync(join(dir, `${Date.now()}-${n}.eml`), Buffer.concat(chunks));
      callback();
    });
  },
});
server.on('error', (err) => console.error(`relay: ${err.message}`));
server.listen(587, '0.0.0.0', () => console.log('mail relay listening on 587 (STARTTLS)'));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
