import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from '../../config/app-config';
import { isUnlogged, requestLogLevel } from './request-log-level';

/**
 * pino JSON lines; every request line carries the request id Fastify assigned (see bootstrap).
 * One line per request at info, except probes and scrapes (none) and successful hot-path requests
 * (debug: `LOG_LEVEL=debug` shows them).
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          // The gateway routes are served by Fastify directly and log their own lines.
          exclude: [
            { path: 'v1/coverage', method: RequestMethod.POST },
            { path: 'v1/jobs', method: RequestMethod.POST },
            { path: 'v1/jobs/*path', method: RequestMethod.POST },
          ],
          pinoHttp: {
            level: config.logLevel,
            genReqId: (req: IncomingMessage) =>
              typeof req.id === 'string' ? req.id : randomUUID(),
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers["stripe-signature"]',
                'req.headers.cookie',
              ],
              censor: '[redacted]',
            },
            serializers: {
              req: (req: { id: unknown; method: string; url: string }) => ({
                id: req.id,
                method: req.method,
                url: req.url,
              }),
            },
            autoLogging: {
              ignore: isUnlogged,
            },
            customLogLevel: requestLogLevel,
          },
        }),
      ],
    };
  }
}
