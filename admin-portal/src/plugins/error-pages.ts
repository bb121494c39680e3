import { type PublicError, toPublicError } from '@shop/shared/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errorPage } from '../views/html.js';

/**
 * One error handler (STYLE "Errors"): every refusal is a page with a stable code, never a
 * stack trace or an internal detail above 499, and never a 500 for bad input.
 */
export const errorPages = fp(
  async (app: FastifyInstance, opts: { mapError?: (err: FastifyError) => PublicError | undefined }) => {
    app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const pub = opts.mapError?.(err) ?? toPublicError(err);
      if (pub.status >= 500) request.log.error({ err }, 'request failed');
      else request.log.info({ code: pub.code, status: pub.status }, 'request refused');
      return sendErrorPage(reply, pub.status, pub.code, pub.message);
    });
    app.setNotFoundHandler((_request, reply) => sendErrorPage(reply, 404, 'admin_not_found', 'Not found'));
  },
  { name: 'error-pages', fastify: '5.x' },
);

export function sendErrorPage(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(errorPage(status, code, message));
}
