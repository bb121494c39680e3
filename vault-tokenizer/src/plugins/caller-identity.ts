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
    // A connection's peer certificate cannot change after the handshake (the server accepts
    // TLS 1.3 only, which has no renegotiation), and parsing it is costly, so the name is
    // read once per connection.
    const names = new WeakMap<object, string | undefined>();
    app.decorateRequest('caller', undefined);
    app.addHook('onRequest', async (request) => {
      const socket = request.raw.socket as Partial<TLSSocket>;
      if (typeof socket.getPeerCertificate !== 'function') {
        request.caller = undefined;
        return;
      }
      if (!names.has(socket)) names.set(socket, peerServiceName(socket as TLSSocket));
      request.caller = names.get(socket);
    });
  },
  { name: 'caller-identity', fastify: '5.x' },
);
