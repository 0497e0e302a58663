import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pino, type Logger } from 'pino';
import type { AppConfig } from '../../config/app-config';

/** The root pino logger: request lines (`requestLogHook`) and every Nest logger write to it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * pino JSON lines; the logger context is the class name. Every request gets one line carrying
 * its request id (`requestLogHook`, a Fastify hook), except probes and scrapes (none) and
 * successful hot-path requests (debug: `LOG_LEVEL=debug` shows them); an unexpected error's line
 * carries the error id its 500 answered.
 *
 * nestjs-pino's request middleware is bound to no route (`forRoutes: []`): it would run each
 * request in an `AsyncLocalStorage` context, and on Node 20 one such context turns on promise
 * hooks for every promise of the process, the gateway's hot path included (with the middleware,
 * a cached coverage check took about a third more CPU). Lines written while a request is
 * handled carry their class's context, not the request id.
 */
@Module({})
export class LoggingModule {
  static forRoot(config: AppConfig): DynamicModule {
    const root: Logger = pino({
      level: config.logLevel,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["stripe-signature"]',
          'req.headers.cookie',
        ],
        censor: '[redacted]',
      },
    });
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger: root }, forRoutes: [] })],
      providers: [{ provide: ROOT_LOGGER, useValue: root }],
      exports: [ROOT_LOGGER],
    };
  }
}
