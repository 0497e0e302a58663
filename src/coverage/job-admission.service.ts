import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource, QueryFailedError, type QueryRunner } from 'typeorm';
import { Catalog } from '../catalog/catalog';
import type { ModelDefinition } from '../catalog/catalog.types';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AccountEntitlement } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { coverageError, CoverageErrorCode } from './coverage-errors';
import { poolRunner, readCoverageCounters, type SqlRunner } from './coverage-counters';
import { coveragePolicyFrom } from './coverage-policy.provider';
import { decide, requireModel } from './coverage.service';
import type { CoverageOutcome } from './coverage.types';
import type { CoverageDecision, CoveragePolicy } from './domain';
import { toDecisionBody, type JobDecisionDto } from './dto/coverage-decision.dto';
import { jobParameters, type JobRequestDto } from './dto/job-request.dto';
import { EntitlementCache } from './entitlement-cache';

interface StoredAnswer {
  account_id: string;
  request_hash: string;
  http_status: number;
  decision: JobDecisionDto;
}

const UNIQUE_VIOLATION = '23505';

/**
 * `POST /v1/jobs`: the decision plus a lease, atomic per account in Postgres.
 *
 * One short transaction per admission: lock the account's admission row (`FOR UPDATE`: the
 * admissions of one account take turns in every instance), time out its expired leases, count its
 * live covered leases and today's usage, decide, and insert the lease. The cap is never exceeded
 * whatever the number of parallel requests and instances; other accounts never wait.
 *
 * Idempotent by `jobId`: the first answer (201 or 200) is stored with the lease and replayed to a
 * retry; a 429 stores nothing (the retry is the point of it), and a `jobId` reused for another
 * request is a 409.
 */
@Injectable()
export class JobAdmissionService {
  private readonly policy: CoveragePolicy;
  private readonly sql: SqlRunner;
  private readonly decisions;

  constructor(
    private readonly catalog: Catalog,
    private readonly entitlements: EntitlementCache,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.policy = coveragePolicyFrom(config);
    this.sql = poolRunner(dataSource);
    this.decisions = metrics.counter(
      'coverage_decisions_total',
      'Coverage answers by endpoint and reason',
      ['endpoint', 'reason'],
    );
  }

  async admit(dto: JobRequestDto): Promise<CoverageOutcome<JobDecisionDto>> {
    const model = requireModel(this.catalog, dto.modelId);
    const hash = requestHash(dto);
    const replay = await this.storedAnswer(this.sql, dto.jobId);
    if (replay !== null) return this.replay(replay, dto, hash);

    const now = this.clock.now();
    // Admission is authoritative: the entitlement is read fresh, never from the cache.
    const entitlement = await this.entitlements.fresh(dto.accountId, now);
    let outcome: CoverageOutcome<JobDecisionDto> | StoredAnswer;
    try {
      outcome = await this.inTransaction((runner) =>
        this.admitLocked(runner, dto, model, entitlement, hash, now),
      );
    } catch (e) {
      // The same jobId admitted at the same moment for another account: answer as a retry would.
      if (!isUniqueViolation(e)) throw e;
      const stored = await this.storedAnswer(this.dataSource, dto.jobId);
      if (stored === null) throw e;
      outcome = stored;
    }
    if ('http_status' in outcome) return this.replay(outcome, dto, hash);
    return outcome;
  }

  private async admitLocked(
    runner: QueryRunner,
    dto: JobRequestDto,
    model: ModelDefinition,
    entitlement: AccountEntitlement,
    hash: string,
    now: Date,
  ): Promise<CoverageOutcome<JobDecisionDto> | StoredAnswer> {
    await lockAccount(runner, dto.accountId);
    const stored = await this.storedAnswer(runner, dto.jobId);
    if (stored !== null) return stored;

    // An expired lease frees its slot and counts as timed out.
    await runner.query(
      `UPDATE job_leases SET status = 'timed_out', finished_at = lease_expires_at
        WHERE account_id = $1 AND status = 'running' AND lease_expires_at <= $2`,
      [dto.accountId, now],
    );
    const counters = await readCoverageCounters(runner, dto.accountId, now, entitlement.isTrial);
    const decision = decide({
      entitlement,
      model,
      params: jobParameters(dto),
      channel: dto.channel ?? 'app',
      targetWorkerId: dto.targetWorkerId ?? null,
      usage: counters.usage,
      running: counters.running,
      catalog: this.catalog,
      policy: this.policy,
      now,
    });
    this.decisions.inc({ endpoint: 'jobs', reason: decision.reason });

    if (decision.covered && !decision.admit) {
      return {
        status: 429,
        body: { ...toDecisionBody(decision), jobId: dto.jobId, leaseExpiresAt: null },
        retryAfterSeconds: this.config.coverage.retryAfterSeconds,
      };
    }
    const leaseExpiresAt = new Date(now.getTime() + this.leaseMs(decision));
    const status = decision.covered ? 201 : 200;
    const body: JobDecisionDto = {
      ...toDecisionBody(decision),
      jobId: dto.jobId,
      leaseExpiresAt: decision.covered ? leaseExpiresAt.toISOString() : null,
    };
    await runner.query(
      `INSERT INTO job_leases (account_id, job_id, job_class, model_id, status, covered, trial,
         reason, http_status, request_hash, decision, render_spark, counted_day,
         lease_expires_at, created_at, finished_at)
       VALUES ($1, $2, $3, $4, 'running', $5, $6, $7, $8, $9, $10, $11, NULL, $12, $13, NULL)`,
      [
        dto.accountId,
        dto.jobId,
        model.class,
        model.id,
        decision.covered,
        decision.covered && decision.trial,
        decision.reason,
        status,
        hash,
        JSON.stringify(body),
        decision.estimatedSpark ?? 0,
        leaseExpiresAt,
        now,
      ],
    );
    return { status, body };
  }

  private leaseMs(decision: CoverageDecision): number {
    const cls = decision.jobClass ?? 'image';
    return this.config.coverage.leaseSeconds[cls] * 1000;
  }

  private replay(
    stored: StoredAnswer,
    dto: JobRequestDto,
    hash: string,
  ): CoverageOutcome<JobDecisionDto> {
    if (stored.account_id !== dto.accountId || stored.request_hash !== hash) {
      throw coverageError(CoverageErrorCode.JobIdConflict);
    }
    this.decisions.inc({ endpoint: 'jobs', reason: 'replayed' });
    return { status: stored.http_status === 201 ? 201 : 200, body: stored.decision };
  }

  private async storedAnswer(db: SqlRunner, jobId: string): Promise<StoredAnswer | null> {
    const rows = (await db.query(
      `SELECT account_id, request_hash, http_status, decision FROM job_leases WHERE job_id = $1`,
      [jobId],
    )) as StoredAnswer[];
    return rows[0] ?? null;
  }

  private async inTransaction<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const result = await work(runner);
      await runner.commitTransaction();
      return result;
    } catch (e) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await runner.release();
    }
  }
}

/** Takes the account's admission lock for the rest of the transaction (creating its row once). */
async function lockAccount(runner: QueryRunner, accountId: string): Promise<void> {
  const lock = `SELECT account_id FROM coverage_admission_locks WHERE account_id = $1 FOR UPDATE`;
  const rows = (await runner.query(lock, [accountId])) as unknown[];
  if (rows.length > 0) return;
  await runner.query(
    `INSERT INTO coverage_admission_locks (account_id) VALUES ($1) ON CONFLICT (account_id) DO NOTHING`,
    [accountId],
  );
  await runner.query(lock, [accountId]);
}

function isUniqueViolation(e: unknown): boolean {
  return (
    e instanceof QueryFailedError &&
    (e.driverError as { code?: string } | undefined)?.code === UNIQUE_VIOLATION
  );
}

/** A digest of what the job asks for: a retry must ask for the same thing. */
export function requestHash(dto: JobRequestDto): string {
  const canonical = JSON.stringify([
    dto.accountId,
    dto.modelId,
    dto.channel ?? 'app',
    dto.targetWorkerId ?? null,
    Object.entries(jobParameters(dto)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
