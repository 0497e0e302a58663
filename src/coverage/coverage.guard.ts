import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { map, type Observable } from 'rxjs';
import type { CoverageOutcome } from './coverage.types';

/**
 * Applies a coverage decision to the admission routes' HTTP answer: 201 when a covered job was
 * admitted, 200 for a decision only or a job that is not covered, 429 with `Retry-After` at the
 * concurrency limit (errors such as `unknown_model` 422 are thrown before and rendered by the
 * global filter). Routes using it take `@Res()` so that the status is the decision's, not the
 * route's fixed one.
 */
@Injectable()
export class CoverageGuard implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((outcome: CoverageOutcome) => {
        if (outcome.retryAfterSeconds !== undefined) {
          void reply.header('retry-after', String(outcome.retryAfterSeconds));
        }
        void reply.status(outcome.status).send(outcome.body);
      }),
    );
  }
}
