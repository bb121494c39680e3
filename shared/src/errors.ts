import { STATUS_CODES } from 'node:http';
import createError from '@fastify/error';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { noteRefusal } from './access-log.js';
import { ownMessage } from './error-serializer.js';

/** The one error body every service answers with: `{ error: { code, message } }`. */
export const ErrorBody = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: false,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export interface ErrorBodyShape {
  error: { code: string; message: string };
}

/**
 * Declares an application error with a stable code. The code is what clients and tests
 * rely on; the message is for people. Both are safe to send (no values, no internals), and
 * so the message may also reach a log line (error-serializer.ts).
 */
export function defineError(code: string, message: string, statusCode: number) {
  return ownMessage(createError(code, message, statusCode));
}

/** Fastify's own error codes mapped to stable public codes. */
const FRAMEWORK_CODES: Record<string, { code: string; status: number; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'body_too_large', status: 413, message: 'Request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    status: 415,
    message: 'Unsupported content type',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'invalid_content_length',
    status: 400,
    message: 'Content-Length does not match the body',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', status: 400, message: 'Body must be valid JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', status: 400, message: 'Body must be valid JSON' },
  FST_ERR_CTP_INVALID_TYPE: { code: 'invalid_json', status: 400, message: 'Body must be valid JSON' },
  FST_ERR_INVALID_URL: { code: 'invalid_url', status: 400, message: 'Invalid URL' },
  FST_ERR_BAD_URL: { code: 'invalid_url', status: 400, message: 'Invalid URL' },
  FST_ERR_ASYNC_CONSTRAINT: { code: 'invalid_request', status: 400, message: 'Invalid request' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'url_too_long', status: 414, message: 'URL parameter is too long' },
};

/** Sends the error body; the code also goes on the request's access line. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  noteRefusal(reply.request, code);
  return reply.code(status).type('application/json; charset=utf-8').send({ error: { code, message } });
}

/** Converts any thrown error into the public error body, without leaking internals above 499. */
export function toPublicError(err: FastifyError): PublicError {
  if (err.validation) {
    const first = err.validation[0];
    const where = err.validationContext ?? 'request';
    const detail = first ? `${first.instancePath || where} ${first.message ?? 'is invalid'}` : 'is invalid';
    return { status: 400, code: 'validation_failed', message: `Invalid ${where}: ${detail}`.slice(0, 300) };
  }
  const mapped = err.code ? FRAMEWORK_CODES[err.code] : undefined;
  if (mapped) return { status: mapped.status, code: mapped.code, message: mapped.message };
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (status >= 500) {
    // Declared 5xx errors (e.g. a dependency down) keep their stable code; anything else is generic.
    const declared = err.code && !err.code.startsWith('FST_') && !err.code.startsWith('ERR_');
    return declared && status !== 500
      ? { status, code: err.code.toLowerCase(), message: err.message }
      : { status: 500, code: 'internal_error', message: 'Internal error' };
  }
  if (status === 429) return { status, code: 'rate_limited', message: 'Too many requests, retry later' };
  // Framework messages can quote the request (a path, a header): only our own are sent.
  if (!err.code || err.code.startsWith('FST_')) {
    return { status, code: `http_${status}`, message: STATUS_CODES[status] ?? 'Request refused' };
  }
  return { status, code: err.code.toLowerCase(), message: err.message };
}

export interface PublicError {
  status: number;
  code: string;
  message: string;
}

export interface ErrorModelOptions {
  /**
   * Classifies errors the service knows to be a dependency outage (e.g. a database
   * connection refused) so they answer a stable 503 instead of a generic 500.
   */
  mapError?: (err: FastifyError) => PublicError | undefined;
}

/**
 * One error handler per service. It writes no line of its own: the request's access line
 * (AccessLog) carries the public code, and for a 5xx the error through the one serialiser.
 */
export const errorModel = fp(
  async (app: FastifyInstance, opts: ErrorModelOptions) => {
    app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const pub = opts.mapError?.(err) ?? toPublicError(err);
      if (pub.status >= 500) noteRefusal(request, pub.code, err);
      const headers = (err as { headers?: Record<string, string> }).headers;
      if (headers) reply.headers(headers);
      return sendError(reply, pub.status, pub.code, pub.message);
    });
  },
  { name: 'error-model', fastify: '5.x' },
);
