import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { sendError, toPublicError } from '@shop/shared/errors';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HeadersTooLargeError, MalformedRequestError, RequestTimeoutError } from './errors.js';
import { SECURITY_HEADERS_NO_STORE } from './plugins/security-headers.js';

/**
 * Answers Fastify makes before any hook runs (a URL that does not decode, such as
 * `/api/products/%`; a parameter over the router's length). Fastify's default writes a body
 * that echoes the path and skips the onRequest hooks, so it would go out without the security
 * headers; here it gets them and the stable error body ([pentest 8.10]).
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const pub = toPublicError(err);
  request.log.info({ code: pub.code, status: pub.status }, 'request refused');
  reply.headers(SECURITY_HEADERS_NO_STORE);
  sendError(reply, pub.status, pub.code, pub.message);
}

/** Node's parser codes with an answer of their own; any other is a malformed request. */
const CLIENT_ERRORS: Record<string, new () => FastifyError> = {
  ERR_HTTP_REQUEST_TIMEOUT: RequestTimeoutError,
  HPE_HEADER_OVERFLOW: HeadersTooLargeError,
};

/** The raw bytes of an answer written straight to the socket, headers first. */
function rawAnswer(status: number, code: string, message: string): string {
  const body = JSON.stringify({ error: { code, message } });
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`];
  for (const [name, value] of Object.entries(SECURITY_HEADERS_NO_STORE)) lines.push(`${name}: ${value}`);
  lines.push(
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
  );
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Requests Node's HTTP parser refuses (a bad Content-Length, an unknown method, a header
 * too large, a timeout) never become a Fastify request: this writes the answer itself, with
 * the security headers and the stable `{ error: { code, message } }` body, and closes the
 * connection, since the parser's position in the byte stream is lost ([pentest 8.10]).
 */
export function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = toPublicError(new ((err.code && CLIENT_ERRORS[err.code]) || MalformedRequestError)());
  // Debug only: a scanner sending garbage must not flood the log stream.
  this.log.debug({ code: answer.code, parserCode: err.code }, 'client error');
  if (socket.writable) socket.write(rawAnswer(answer.status, answer.code, answer.message));
  socket.destroy();
}
