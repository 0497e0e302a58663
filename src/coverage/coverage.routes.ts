import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type {
  FastifyInstance,
  FastifyRequest,
  FastifySchema,
  onRequestHookHandler,
  RouteHandlerMethod,
} from 'fastify';
import { ApiKeys } from '../common/auth/api-keys';
import { compileBodyCheck, type BodyCheck } from '../common/body-check';
import { HttpExceptionFilter } from '../common/errors/http-exception.filter';
import { createValidationPipe } from '../common/validation';
import type { ApiScope } from '../config/app-config';
import { CoverageGuard } from './coverage.guard';
import { CoverageService } from './coverage.service';
import { DECISION_BODY_SCHEMA } from './dto/coverage-decision.dto';
import { FinishJobDto } from './dto/finish-job.dto';
import { JobIdParamDto } from './dto/job-id-param.dto';
import { CoverageRequestDto, JobRequestDto } from './dto/job-request.dto';
import { JobAdmissionService } from './job-admission.service';
import { JobLeaseService } from './job-lease.service';

const GATEWAY: readonly ApiScope[] = ['gateway'];

/**
 * The gateway's routes (SPEC §6), served by Fastify directly: `POST /v1/coverage`,
 * `POST /v1/jobs`, and a job's `heartbeat` and `finish`. Every job on the platform passes them, so
 * they skip Nest's per-request pipeline (router context, global guard, pipes, the request-logging
 * middleware), which cost several times the cached coverage check itself, and keep everything it
 * gave them:
 * - the gateway key (an `onRequest` hook, before the body is even parsed);
 * - the same validation: a body is accepted by the DTO's own constraints compiled once
 *   (`compileBodyCheck`), and anything they refuse goes through the global pipe, which names
 *   every bad field;
 * - the error envelope (the global filter), the request id, the request line, the metrics and
 *   the body limits (Fastify's hooks and options, shared with every route).
 * Their OpenAPI description is in `coverage.openapi.ts`.
 */
@Injectable()
export class CoverageRoutes implements OnModuleInit {
  private readonly validation = createValidationPipe();
  /** Each DTO's rules, compiled once. */
  private readonly checks = new Map<Type<object>, BodyCheck>(
    [CoverageRequestDto, JobRequestDto, FinishJobDto, JobIdParamDto].map((dto) => [
      dto,
      compileBodyCheck(dto),
    ]),
  );

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly keys: ApiKeys,
    private readonly errors: HttpExceptionFilter,
    private readonly guard: CoverageGuard,
    private readonly coverage: CoverageService,
    private readonly admission: JobAdmissionService,
    private readonly leases: JobLeaseService,
  ) {}

  onModuleInit(): void {
    // A standalone context (scripts, seeding) has no HTTP server to serve them on.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | null;
    if (adapter === null) return;
    const fastify = adapter.getInstance<FastifyInstance>();
    const authorize: onRequestHookHandler = (request, _reply, done) => {
      try {
        this.keys.authorize(request.headers.authorization, GATEWAY);
        done();
      } catch (e) {
        done(e as Error);
      }
    };
    const post = (url: string, handler: RouteHandlerMethod, schema?: FastifySchema): void => {
      fastify.route({
        method: 'POST',
        url,
        onRequest: authorize,
        errorHandler: (error, _request, reply) => this.errors.reply(reply, error),
        handler,
        schema,
      });
    };

    post(
      '/v1/coverage',
      // Not async: a valid body of a cached account is answered without a promise or a
      // microtask (the gateway's hottest path); anything else continues as a promise.
      (request, reply) => {
        const body = this.body(request, CoverageRequestDto);
        const answer =
          body instanceof Promise
            ? body.then((dto) => this.coverage.check(dto))
            : this.coverage.check(body);
        if (answer instanceof Promise) return answer.then((a) => this.guard.send(reply, a));
        this.guard.send(reply, answer);
      },
      // The answer's serializer, compiled (errors keep the filter's envelope).
      { response: { 200: DECISION_BODY_SCHEMA } },
    );
    post('/v1/jobs', async (request, reply) => {
      const body = await this.body(request, JobRequestDto);
      this.guard.send(reply, await this.admission.admit(body));
    });
    post('/v1/jobs/:jobId/heartbeat', async (request, reply) => {
      const { jobId } = await this.params(request);
      this.guard.send(reply, { status: 200, body: await this.leases.heartbeat(jobId) });
    });
    post('/v1/jobs/:jobId/finish', async (request, reply) => {
      const { jobId } = await this.params(request);
      const { outcome } = await this.body(request, FinishJobDto);
      this.guard.send(reply, { status: 200, body: await this.leases.finish(jobId, outcome) });
    });
  }

  private body<T extends object>(request: FastifyRequest, dto: Type<T>): T | Promise<T> {
    return this.validate(request.body, dto, 'body');
  }

  private params(request: FastifyRequest): JobIdParamDto | Promise<JobIdParamDto> {
    return this.validate(request.params, JobIdParamDto, 'param');
  }

  /**
   * The value itself when the DTO's compiled rules accept it (no promise: the usual case), else
   * a promise of the global pipe's answer (its 400, or the value it transforms).
   */
  private validate<T extends object>(
    value: unknown,
    dto: Type<T>,
    type: 'body' | 'param',
  ): T | Promise<T> {
    if (this.checks.get(dto)!(value)) return value as T;
    return this.validation.transform(value, { type, metatype: dto }) as Promise<T>;
  }
}
