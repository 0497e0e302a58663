import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { runPendingMigrations } from './database/migrate';
import { MetricsService } from './metrics/metrics.service';
import { createValidationPipe } from './common/validation';
import { exceedsDepth } from './common/body-depth';
import { errorBody } from './common/errors/app.exception';
import { answerClientError } from './common/errors/client-error.handler';
import { commonError, CommonErrorCode } from './common/errors/common-errors';
import { COVERAGE_ROUTE_MODELS, describeCoverageRoutes } from './coverage/coverage.openapi';
import { ROOT_LOGGER } from './common/logging/logging.module';
import { requestLogHook } from './common/logging/request-log.hook';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Deepest JSON body accepted. Nest's ValidationPipe and class-transformer walk a body
 * recursively, so a deeply nested one (cheap to send, well under the size limit) would overflow
 * the stack and answer 500. No request of ours nests beyond a handful of levels.
 */
const MAX_BODY_DEPTH = 32;

/** The caller's x-request-id when it is sane, else a new one; kept on the raw request for the logs. */
function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
  req.id = id;
  return id;
}

/** The part of a Fastify reply the router error handler uses. */
interface EnvelopeReply {
  status(code: number): EnvelopeReply;
  header(name: string, value: string): EnvelopeReply;
  send(body: unknown): unknown;
}

/**
 * Router errors (a malformed URL, a path parameter over the router's 100-character limit) happen
 * before Nest sees the request: answer them with the same error envelope.
 */
function answerRouterErrors(
  error: { code?: string },
  _request: unknown,
  // Typed loosely: only the part of the reply the envelope needs (EnvelopeReply).
  fastifyReply: unknown,
): void {
  const reply = fastifyReply as EnvelopeReply;
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  void reply
    .status(tooLong ? 414 : 400)
    .header('content-type', 'application/json; charset=utf-8')
    .send(
      errorBody(
        CommonErrorCode.BadRequest,
        tooLong ? 'A path parameter is too long.' : 'The URL is not valid.',
      ),
    );
}

/** The Nest application's options, in production and in tests: the JSON parser is `configureApp`'s. */
export const NEST_APP_OPTIONS = { bufferLogs: true, bodyParser: false } as const;

export function createFastifyAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    genReqId: requestId,
    return503OnClosing: true,
    // Bounded waits so a slow client cannot hold a socket forever: a request must arrive whole
    // within 30 s, and a socket idle for 30 s is closed (also one that never sends a byte, which
    // Node's request and headers timeouts do not close).
    requestTimeout: 30_000,
    connectionTimeout: 30_000,
    // No Nest middleware is bound (see LoggingModule), so no request runs @fastify/middie's hook.
    skipMiddie: true,
    frameworkErrors: answerRouterErrors,
    clientErrorHandler: answerClientError,
  });
}

/**
 * Everything the app needs besides its modules, applied the same way in production and in tests:
 * logging, validation, metrics hook, OpenAPI, then the pending migrations.
 */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(createValidationPipe());

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text body is refused with 415 rather than handed to a handler as a string. The
  // raw bytes are kept beside the parsed body: the Stripe webhook's signature is over them. One
  // parser made once (Nest's own, `bodyParser: false`, makes a JSON parser on every request).
  fastify.removeContentTypeParser(['text/plain', 'application/json']);
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest & { rawBody?: Buffer }, body, done) => {
      request.rawBody = body as Buffer;
      // Typed for a string (and as maybe async); Fastify's parser reads a Buffer, synchronously.
      void parseJson(request, body as unknown as string, done);
    },
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  fastify.addHook('preValidation', (request, _reply, done) => {
    if (exceedsDepth(request.body, MAX_BODY_DEPTH)) {
      done(commonError(CommonErrorCode.ValidationFailed, 'The request body is nested too deeply.'));
      return;
    }
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.recordRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  fastify.addHook('onResponse', requestLogHook(app.get<PinoLogger>(ROOT_LOGGER)));

  const document = SwaggerModule.createDocument(
    app as unknown as INestApplication,
    new DocumentBuilder()
      .setTitle('Entitlement service')
      .setDescription('Store webhooks in; coverage decisions, job admission and status out.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
    { extraModels: COVERAGE_ROUTE_MODELS },
  );
  describeCoverageRoutes(document);
  SwaggerModule.setup('docs', app as unknown as INestApplication, document);

  await runPendingMigrations(app.get(DataSource), { shared: config.database.url !== undefined });
}

export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createFastifyAdapter(config),
    NEST_APP_OPTIONS,
  );
  await configureApp(app, config);
  return app;
}
