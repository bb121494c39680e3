import type { TLSSocket } from 'node:tls';
import { peerServiceName } from '@shop/shared/mtls';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's service name from its verified client certificate; undefined without one. */
    caller: string | undefined;
  }
}

/**
 * The only authentication path (ASVS 9.2.1, PCI DSS v4.0.1 8.3): the TLS layer has already
 * refused any handshake without a current certificate of the internal CA; here the
 * certificate's service name becomes the caller. No header, token or address can set it.
 */
export const callerIdentity = fp(
  async (app: FastifyInstance) => {
    app.decorateRequest('caller', undefined);
    app.addHook('onRequest', async (request) => {
      const socket = request.raw.socket as Partial<TLSSocket>;
      request.caller =
        typeof socket.getPeerCertificate === 'function' ? peerServiceName(socket as TLSSocket) : undefined;
    });
  },
  { name: 'caller-identity', fastify: '5.x' },
);
