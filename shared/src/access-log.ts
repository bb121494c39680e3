import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

interface Refusal {
  code: string;
  err?: unknown;
}

// Keyed by request: the answer's code is known in the error handler, the line is written
// when the response is finished.
const refusals = new WeakMap<FastifyRequest, Refusal>();

/**
 * Records the public error code a request was answered with (and, for a 5xx, the error),
 * for its access line. `sendError` and the error model call it.
 */
export function noteRefusal(request: FastifyRequest, code: string, err?: unknown): void {
  const previous = refusals.get(request);
  refusals.set(request, { code, err: err ?? previous?.err });
}

export interface AccessLogOptions {
  /** Service-specific fields of the access line (each must be in the logger's allowlist). */
  fields?: (request: FastifyRequest) => Record<string, unknown>;
}

/**
 * Fastify's log controller for every service: one access line per request, written when the
 * answer is finished, with the method, route, masked URL, status, time and, for a refused
 * request, its public error code (`code`); a 5xx carries the serialised error and is written
 * at error level. No second line per request ('incoming request', 'request refused'), and
 * Fastify's own lines that would quote a raw URL or an error's message are replaced.
 */
export class AccessLog extends LogController {
  private readonly fields: AccessLogOptions['fields'];

  constructor(options: AccessLogOptions = {}) {
    super();
    this.fields = options.fields;
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const refusal = refusals.get(request);
    const line: Record<string, unknown> = {
      req: request,
      res: reply,
      responseTime: reply.elapsedTime,
      code: refusal?.code,
      err: error ?? refusal?.err,
    };
    if (this.fields) Object.assign(line, this.fields(request));
    if (error || reply.statusCode >= 500) reply.log.error(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }

  // Fastify's default writes `Route GET:<raw url> not found`; the access line has the masked URL.
  override routeNotFound(): void {}

  // Only reached without a service error model: the access line carries the error instead.
  override defaultErrorLog(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    const failed = reply.statusCode >= 500;
    noteRefusal(request, failed ? 'internal_error' : `http_${reply.statusCode}`, failed ? error : undefined);
  }

  override writeHeadError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    reply.log.warn({ err: error }, 'response headers could not be written');
  }
}
