import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { QueryFailedError, QueryRunnerAlreadyReleasedError } from 'typeorm';
import { AppException, errorBody } from './app.exception';
import { CommonErrorCode } from './common-errors';

interface Envelope {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

const HTTP_STATUS_CODES: Record<number, CommonErrorCode> = {
  400: CommonErrorCode.BadRequest,
  401: CommonErrorCode.Unauthenticated,
  403: CommonErrorCode.Forbidden,
  404: CommonErrorCode.NotFound,
  405: CommonErrorCode.MethodNotAllowed,
  413: CommonErrorCode.PayloadTooLarge,
  415: CommonErrorCode.UnsupportedMediaType,
  503: CommonErrorCode.ServiceUnavailable,
};

/** Postgres SQLSTATE classes that mean "the database is not reachable right now". */
function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (typeof e.code === 'string' && /^(08|57P0|53)/.test(e.code)) return true;
  if (
    typeof e.code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(e.code)
  ) {
    return true;
  }
  const message = e.message ?? '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED/i.test(
    message,
  );
}

/**
 * The one place errors become responses: `{"error": {"code", "message"}}`. Client mistakes are
 * 4xx with a sentence; anything unexpected is a 500 that says only an error id (the log has the rest).
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    this.reply(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }

  /** Answers `exception` on `reply` (also for the routes Fastify serves without Nest). */
  reply(reply: FastifyReply, exception: unknown): void {
    const envelope = this.toEnvelope(exception);
    if (envelope.headers) {
      for (const [k, v] of Object.entries(envelope.headers)) void reply.header(k, v);
    }
    void reply
      .status(envelope.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(errorBody(envelope.code, envelope.message));
  }

  toEnvelope(exception: unknown): Envelope {
    if (exception instanceof AppException) {
      return {
        status: exception.status,
        code: exception.code,
        message: exception.message,
        headers: exception.headers,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse() as { message?: unknown; code?: unknown } | string;
      if (status === 404) {
        return { status, code: CommonErrorCode.NotFound, message: 'No such route or resource.' };
      }
      const raw = typeof body === 'string' ? body : body.message;
      const message = Array.isArray(raw)
        ? raw.join('; ')
        : typeof raw === 'string'
          ? raw
          : exception.message;
      // Fastify's body-parser errors reach us wrapped by Nest as plain HttpExceptions.
      if (status === 400 && /not valid JSON|JSON/.test(message)) {
        return {
          status,
          code: CommonErrorCode.InvalidJson,
          message: 'The request body is not valid JSON.',
        };
      }
      if (status < 500) {
        return { status, code: HTTP_STATUS_CODES[status] ?? CommonErrorCode.BadRequest, message };
      }
      if (status === 503) {
        return {
          status,
          code: CommonErrorCode.ServiceUnavailable,
          message,
          headers: { 'retry-after': '1' },
        };
      }
    }
    // Fastify's own client errors (bad JSON, body too large, wrong content type).
    const fastifyErr = exception as { statusCode?: number; code?: string; message?: string };
    if (
      typeof fastifyErr?.statusCode === 'number' &&
      fastifyErr.statusCode >= 400 &&
      fastifyErr.statusCode < 500
    ) {
      return this.fromFastifyError(fastifyErr.statusCode, fastifyErr.code, fastifyErr.message);
    }
    if (
      isDatabaseUnavailable(exception) ||
      (exception instanceof QueryFailedError && isDatabaseUnavailable(exception.driverError)) ||
      // TypeORM releases a query runner whose connection failed (the server went away or the
      // connection was cut mid-transaction); the next statement on it, often the COMMIT, throws
      // this. Nothing was committed: the client should retry.
      exception instanceof QueryRunnerAlreadyReleasedError
    ) {
      this.logger.warn({ err: exception }, 'database unavailable');
      return {
        status: 503,
        code: CommonErrorCode.ServiceUnavailable,
        message: 'The database is unavailable; retry later.',
        headers: { 'retry-after': '2' },
      };
    }
    const errorId = randomUUID();
    this.logger.error({ err: exception, errorId }, 'unhandled error');
    return {
      status: 500,
      code: CommonErrorCode.InternalError,
      message: `Internal error (id ${errorId}).`,
    };
  }

  private fromFastifyError(
    status: number,
    code: string | undefined,
    message: string | undefined,
  ): Envelope {
    switch (code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return {
          status: 400,
          code: CommonErrorCode.InvalidJson,
          message: 'The request body is not valid JSON.',
        };
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return {
          status: 413,
          code: CommonErrorCode.PayloadTooLarge,
          message: 'The request body is too large.',
        };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return {
          status: status === 400 ? 400 : 415,
          code: CommonErrorCode.UnsupportedMediaType,
          message: 'The request body must be application/json.',
        };
      default:
        if (message && /JSON/i.test(message)) {
          return {
            status: 400,
            code: CommonErrorCode.InvalidJson,
            message: 'The request body is not valid JSON.',
          };
        }
        return {
          status,
          code: HTTP_STATUS_CODES[status] ?? CommonErrorCode.BadRequest,
          message: 'The request could not be read.',
        };
    }
  }
}
