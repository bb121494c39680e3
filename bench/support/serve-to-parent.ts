import type { FastifyInstance } from 'fastify';
import { answerProfileRequests } from './profile-on-request.js';

/**
 * Runs a bench app in a child process: listens on a spare loopback port, tells the parent the
 * port, answers `cpu` with this process's CPU time (a per-request cost that, unlike req/s, does
 * not depend on what else the machine is running), profiles itself on request
 * (profile-on-request.ts) and closes the app on SIGTERM.
 */
export async function serveToParent(app: FastifyInstance): Promise<void> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('server has no TCP address');
  process.send?.({ port: address.port });
  process.on('message', (m) => {
    if (m === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuMicros: user + system });
    }
  });
  answerProfileRequests();
  process.once('SIGTERM', () => {
    void app.close().then(() => process.exit(0));
  });
}
