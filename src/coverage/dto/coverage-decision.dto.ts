import { ApiProperty } from '@nestjs/swagger';
import { MODEL_CLASSES, type ModelClass } from '../../catalog/catalog.types';
import type { AccountEntitlementState, PlanId } from '../../entitlements/domain';
import { JOB_STATUSES, type JobStatus } from '../job-lease.entity';
import {
  COVERAGE_REASONS,
  type CoverageDecision,
  type CoverageReason,
  type JobPriority,
  type TrialLimitKind,
} from '../domain';

class ConcurrencyDto {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: 4,
    description: 'Effective cap of the job class (halved past the reduce threshold); null: no cap.',
  })
  limit!: number | null;

  @ApiProperty({ type: 'integer', example: 1, description: 'Covered jobs of the class running.' })
  running!: number;
}

class FairUseDto {
  @ApiProperty({
    example: 120.5,
    description: 'Render-Spark of covered jobs completed today (UTC).',
  })
  renderSparkToday!: number;

  @ApiProperty({ type: 'number', nullable: true, example: 2000 })
  throttleAt!: number | null;

  @ApiProperty({ type: 'number', nullable: true, example: 4000 })
  reducedAt!: number | null;

  @ApiProperty({ example: '2026-03-11T00:00:00.000Z', description: 'Next 00:00 UTC.' })
  resetsAt!: string;
}

class FallbackDto {
  @ApiProperty({ enum: ['premium_spark'] })
  payWith!: 'premium_spark';

  @ApiProperty({ example: 13.6968 })
  estimatedSpark!: number;

  @ApiProperty({ description: 'Vendor models need Premium Spark with credit-card coverage.' })
  creditCardCoverageRequired!: boolean;
}

/** The answer of `POST /v1/coverage` (SPEC §8 decision body). */
export class CoverageDecisionDto {
  @ApiProperty({ description: 'Covered by the subscription (also when waiting for a slot).' })
  covered!: boolean;

  @ApiProperty({ enum: COVERAGE_REASONS })
  reason!: CoverageReason;

  @ApiProperty({ enum: ['unlimited', 'unlimited_pro'], nullable: true })
  plan!: PlanId | null;

  @ApiProperty({
    example: 'active',
    description:
      'trial, active, past_due, paused, expired, revoked, incomplete, no_subscription or suspended.',
  })
  state!: AccountEntitlementState;

  @ApiProperty({ enum: MODEL_CLASSES })
  jobClass!: ModelClass;

  @ApiProperty({ enum: ['subscription', 'subscription_throttled'], nullable: true })
  priority!: JobPriority | null;

  @ApiProperty({ type: ConcurrencyDto })
  concurrency!: ConcurrencyDto;

  @ApiProperty({ type: FairUseDto })
  fairUse!: FairUseDto;

  @ApiProperty({ type: FallbackDto, nullable: true, description: 'Set when not covered.' })
  fallback!: FallbackDto | null;

  @ApiProperty({
    enum: [
      'api_channel',
      'image_size',
      'video_size',
      'video_duration',
      'daily_jobs',
      'render_allowance',
    ],
    nullable: true,
    description: 'Which trial limit applied (reason trial_limit).',
  })
  trialLimit!: TrialLimitKind | null;

  @ApiProperty({ example: 1, description: 'Spark estimate of the job.' })
  estimatedSpark!: number;
}

/** The answer of `POST /v1/jobs`. */
export class JobDecisionDto extends CoverageDecisionDto {
  @ApiProperty({ example: 'job_01HZX3' })
  jobId!: string;

  @ApiProperty({
    type: 'string',
    nullable: true,
    example: '2026-03-10T12:05:00.000Z',
    description: 'When the subscription slot frees without a heartbeat; null when no slot is held.',
  })
  leaseExpiresAt!: string | null;
}

export class HeartbeatResponseDto {
  @ApiProperty({ example: 'job_01HZX3' })
  jobId!: string;

  @ApiProperty({ enum: JOB_STATUSES })
  status!: JobStatus;

  @ApiProperty({ example: '2026-03-10T12:10:00.000Z' })
  leaseExpiresAt!: string;
}

export class FinishResponseDto {
  @ApiProperty({ example: 'job_01HZX3' })
  jobId!: string;

  @ApiProperty({ example: 'acct_123' })
  accountId!: string;

  @ApiProperty({ enum: JOB_STATUSES })
  status!: JobStatus;

  @ApiProperty()
  covered!: boolean;

  @ApiProperty({
    example: 1,
    description: 'Render-Spark this job adds to fair use (0 unless a completed covered job).',
  })
  countedRenderSpark!: number;

  @ApiProperty({ example: '2026-03-10T12:03:00.000Z' })
  finishedAt!: string;
}

/** The decision as the HTTP body. */
export function toDecisionBody(decision: CoverageDecision): CoverageDecisionDto {
  if (decision.jobClass === null || decision.estimatedSpark === null) {
    // Unknown models are answered with a 422 before a body is built.
    throw new Error('a decision body needs a known model');
  }
  const { concurrency, fairUse, fallback } = decision;
  // Object literals, not spreads: this runs for every coverage answer.
  return {
    covered: decision.covered,
    reason: decision.reason,
    plan: decision.plan,
    state: decision.state,
    jobClass: decision.jobClass,
    priority: decision.priority,
    concurrency: { limit: concurrency.limit, running: concurrency.running },
    fairUse: {
      renderSparkToday: fairUse.renderSparkToday,
      throttleAt: fairUse.throttleAt,
      reducedAt: fairUse.reducedAt,
      resetsAt: resetsAtIso(fairUse.resetsAt),
    },
    fallback:
      fallback === null
        ? null
        : {
            payWith: fallback.payWith,
            estimatedSpark: fallback.estimatedSpark,
            creditCardCoverageRequired: fallback.creditCardCoverageRequired,
          },
    trialLimit: decision.trialLimit,
    estimatedSpark: decision.estimatedSpark,
  };
}

/** The reset time as ISO text, made once a day: every answer of a UTC day carries the same one. */
let lastResetsAtMs = NaN;
let lastResetsAtIso = '';
function resetsAtIso(resetsAt: Date): string {
  const ms = resetsAt.getTime();
  if (ms !== lastResetsAtMs) {
    lastResetsAtIso = resetsAt.toISOString();
    lastResetsAtMs = ms;
  }
  return lastResetsAtIso;
}

const NUMBER = { type: 'number' } as const;
const NUMBER_OR_NULL = { type: ['number', 'null'] } as const;
const STRING = { type: 'string' } as const;
const STRING_OR_NULL = { type: ['string', 'null'] } as const;

/**
 * `toDecisionBody`'s output as JSON Schema, in its key order: the coverage route's answer is
 * serialized by a function Fastify compiles from it (fast-json-stringify), several times as fast
 * as `JSON.stringify` on the gateway's hottest route. Numbers are `number` (never `integer`, which
 * would truncate) so that the output is byte for byte `JSON.stringify`'s; a spec holds the two
 * equal for every body, so a field added to the body and not here fails it.
 */
export const DECISION_BODY_SCHEMA = {
  type: 'object',
  properties: {
    covered: { type: 'boolean' },
    reason: STRING,
    plan: STRING_OR_NULL,
    state: STRING,
    jobClass: STRING,
    priority: STRING_OR_NULL,
    concurrency: { type: 'object', properties: { limit: NUMBER_OR_NULL, running: NUMBER } },
    fairUse: {
      type: 'object',
      properties: {
        renderSparkToday: NUMBER,
        throttleAt: NUMBER_OR_NULL,
        reducedAt: NUMBER_OR_NULL,
        resetsAt: STRING,
      },
    },
    fallback: {
      type: ['object', 'null'],
      properties: {
        payWith: STRING,
        estimatedSpark: NUMBER,
        creditCardCoverageRequired: { type: 'boolean' },
      },
    },
    trialLimit: STRING_OR_NULL,
    estimatedSpark: NUMBER,
  },
} as const;
