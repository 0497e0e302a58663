import { Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { CoverageOutcome } from './coverage.types';

/**
 * Applies a coverage decision to the admission routes' HTTP answer: 201 when a covered job was
 * admitted, 200 for a decision only or a job that is not covered, 429 with `Retry-After` at the
 * concurrency limit (errors such as `unknown_model` 422 are thrown before and rendered by the
 * global filter). The gateway routes (`CoverageRoutes`, served by Fastify directly) answer
 * through it, so the status is the decision's.
 */
@Injectable()
export class CoverageGuard {
  send(reply: FastifyReply, outcome: CoverageOutcome): void {
    if (outcome.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(outcome.retryAfterSeconds));
    }
    void reply.status(outcome.status).send(outcome.body);
  }
}
