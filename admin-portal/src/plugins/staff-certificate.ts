import type { TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { normaliseSerial } from '../tls/revocation-guard.js';

export interface StaffCertificate {
  /** Upper-case hex serial, without leading zeros. */
  serial: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex (Node's form). */
  fingerprint256: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified client certificate of the connection; the handshake refused every other. */
    staffCertificate: StaffCertificate | undefined;
  }
}

/**
 * The certificate only says which key is on the other end. Who that is and what they may do
 * is looked up in the portal's own tables by serial and fingerprint, never read from the
 * certificate's subject (issue 10, item 2).
 */
export const staffCertificate = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('staffCertificate', undefined);
    app.addHook('onRequest', async (request) => {
      const socket = request.raw.socket as Partial<TLSSocket>;
      // Defence in depth: a misconfigured server (rejectUnauthorized false) yields no identity.
      if (typeof socket.getPeerCertificate !== 'function' || !socket.authorized) return;
      const cert = socket.getPeerCertificate();
      if (!cert?.serialNumber || !cert.fingerprint256) return;
      request.staffCertificate = { serial: normaliseSerial(cert.serialNumber), fingerprint256: cert.fingerprint256 };
    });
  },
  { name: 'staff-certificate', fastify: '5.x' },
);
