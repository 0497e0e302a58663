import type { onResponseHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { isUnlogged, requestLogLevel } from './request-log-level';

/**
 * The request line of every route, as a Fastify `onResponse` hook: one line per request with
 * its id, method, URL, status and time, at the level `requestLogLevel` gives it (probes and
 * scrapes none). A hook rather than a logging middleware, so no request pays for an
 * `AsyncLocalStorage` context (see `LoggingModule`).
 */
export function requestLogHook(logger: Logger): onResponseHookHandler {
  return (request, reply, done) => {
    if (!isUnlogged(request.url)) {
      const level = requestLogLevel(request.url, reply.statusCode);
      if (logger.isLevelEnabled(level)) {
        logger[level](
          {
            req: { id: request.id, method: request.method, url: request.url },
            res: { statusCode: reply.statusCode },
            responseTime: Math.round(reply.elapsedTime),
          },
          'request completed',
        );
      }
    }
    done();
  };
}
