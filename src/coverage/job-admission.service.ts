import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Catalog } from '../catalog/catalog';
import type { ModelDefinition } from '../catalog/catalog.types';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AccountEntitlement } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { coverageError, CoverageErrorCode } from './coverage-errors';
import { countersFromRow, type CountersRow } from './coverage-counters';
import { CountersChangeAnnouncer } from './counters-change.announcer';
import {
  CoverageDatabase,
  type SqlLiteral,
  type SqlStatement,
  type TransactionRunner,
} from './coverage-database';
import { coveragePolicyFrom } from './coverage-policy.provider';
import { decide, requireModel } from './coverage.service';
import type { CoverageOutcome } from './coverage.types';
import { utcDay, type CoverageDecision, type CoveragePolicy } from './domain';
import { toDecisionBody, type JobDecisionDto } from './dto/coverage-decision.dto';
import { jobParameters, type JobRequestDto } from './dto/job-request.dto';
import { EntitlementCache, EntitlementSource, type EntitlementRow } from './entitlement-cache';

interface StoredAnswer {
  account_id: string;
  request_hash: string;
  http_status: number;
  decision: JobDecisionDto;
}

const UNIQUE_VIOLATION = '23505';

/** The row of `ADMISSION_READ`. */
interface AdmissionReadRow extends CountersRow, EntitlementRow {
  stored: StoredAnswer | null;
}

/** What the locked part decided: the answer, and whether a covered lease (a slot) was taken. */
interface Admitted {
  outcome: CoverageOutcome<JobDecisionDto>;
  tookSlot: boolean;
}

/**
 * The locked read, sent with the BEGIN (so its values are escaped literals): the database function
 * `coverage_admission_read` takes the account's admission lock (every admission of an account, in
 * every instance, takes its turn), marks its expired leases timed out, then reads the answer
 * already stored for the jobId, the entitlement rows and the counters, each after the lock is
 * held. See its migration.
 */
function admissionReadSql(literal: SqlLiteral, dto: JobRequestDto, now: Date, withTrial: boolean) {
  return `SELECT coverage_admission_read(${literal(dto.accountId)}::varchar,
  ${literal(utcDay(now))}::date, ${literal(now.toISOString())}::timestamptz,
  ${literal(String(withTrial))}::boolean, ${literal(dto.jobId)}::varchar) AS "read"`;
}

/** A lease as admission stores it (the stored answer of its jobId included). */
interface LeaseInsert {
  accountId: string;
  jobId: string;
  jobClass: string;
  modelId: string;
  covered: boolean;
  trial: boolean;
  reason: string;
  httpStatus: number;
  requestHash: string;
  decision: JobDecisionDto;
  renderSpark: number;
  leaseExpiresAt: Date;
  createdAt: Date;
}

/**
 * The lease's INSERT, sent with the COMMIT in one round trip, so as a simple query: every value
 * an escaped literal with an explicit cast.
 */
function insertLeaseSql(lease: LeaseInsert, literal: SqlLiteral): string {
  const number = (n: number): string => {
    if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
    return literal(String(n));
  };
  return `INSERT INTO job_leases (account_id, job_id, job_class, model_id, status, covered, trial,
  reason, http_status, request_hash, decision, render_spark, counted_day,
  lease_expires_at, created_at, finished_at)
VALUES (${literal(lease.accountId)}, ${literal(lease.jobId)}, ${literal(lease.jobClass)},
  ${literal(lease.modelId)}, 'running', ${literal(String(lease.covered))}::boolean,
  ${literal(String(lease.trial))}::boolean, ${literal(lease.reason)},
  ${number(lease.httpStatus)}::int, ${literal(lease.requestHash)},
  ${literal(JSON.stringify(lease.decision))}::jsonb, ${number(lease.renderSpark)}::numeric, NULL,
  ${literal(lease.leaseExpiresAt.toISOString())}::timestamptz,
  ${literal(lease.createdAt.toISOString())}::timestamptz, NULL)`;
}

const STORED_ANSWER: SqlStatement = {
  name: 'coverage_stored_answer_v1',
  text: `SELECT account_id, request_hash, http_status, decision FROM job_leases WHERE job_id = $1`,
};

/**
 * `POST /v1/jobs`: the decision plus a lease, atomic per account in Postgres.
 *
 * One short transaction per admission, two round trips: the BEGIN with the locked read (the lock
 * of the account's admission row, `FOR UPDATE`: the admissions of one account take turns in every
 * instance; then the answer already stored for the jobId, the account's entitlement rows, its live
 * covered leases and today's usage, its expired leases timed out in passing); decide; the lease's
 * INSERT with the COMMIT; then announce the counters' change (`CountersChangeAnnouncer`). The lock
 * is held across one wait for the service only. The cap is never exceeded whatever the number of
 * parallel requests and instances; other accounts never wait.
 *
 * Admission is authoritative: the entitlement is read under the lock, never from the cache (with
 * a source that cannot derive it from those rows, it is read fresh just before).
 *
 * Idempotent by `jobId`: the first answer (201 or 200) is stored with the lease and replayed to a
 * retry; a 429 stores nothing (the retry is the point of it), and a `jobId` reused for another
 * request is a 409.
 */
@Injectable()
export class JobAdmissionService {
  private readonly policy: CoveragePolicy;
  private readonly decisions;

  constructor(
    private readonly catalog: Catalog,
    private readonly entitlements: EntitlementCache,
    private readonly source: EntitlementSource,
    private readonly countersChanged: CountersChangeAnnouncer,
    private readonly db: CoverageDatabase,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    metrics: MetricsService,
  ) {
    this.policy = coveragePolicyFrom(config);
    this.decisions = metrics.counter(
      'coverage_decisions_total',
      'Coverage answers by endpoint and reason',
      ['endpoint', 'reason'],
    );
  }

  async admit(dto: JobRequestDto): Promise<CoverageOutcome<JobDecisionDto>> {
    const model = requireModel(this.catalog, dto.modelId);
    const hash = requestHash(dto);
    const now = this.clock.now();
    const read =
      this.source.fromRow === null ? await this.entitlements.fresh(dto.accountId, now) : null;
    let result: Admitted | StoredAnswer;
    try {
      result = await this.db.transaction<Admitted | StoredAnswer, { read: AdmissionReadRow }>(
        async (tx, [opened]) => this.admitLocked(tx, opened.read, dto, model, read, hash, now),
        (literal) => admissionReadSql(literal, dto, now, read?.isTrial ?? true),
      );
    } catch (e) {
      // The same jobId admitted at the same moment for another account: answer as a retry would.
      if (!isUniqueViolation(e)) throw e;
      const stored = (await this.db.query<StoredAnswer>(STORED_ANSWER, [dto.jobId]))[0];
      if (stored === undefined) throw e;
      result = stored;
    }
    if ('http_status' in result) return this.replay(result, dto, hash);
    if (result.tookSlot) this.countersChanged.changed(dto.accountId);
    return result.outcome;
  }

  private admitLocked(
    tx: TransactionRunner,
    row: AdmissionReadRow,
    dto: JobRequestDto,
    model: ModelDefinition,
    read: AccountEntitlement | null,
    hash: string,
    now: Date,
  ): Admitted | StoredAnswer {
    if (row.stored !== null) return row.stored;
    const entitlement = read ?? this.source.fromRow!(row, dto.accountId, now);
    const counters = countersFromRow(row);
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
        outcome: {
          status: 429,
          body: { ...toDecisionBody(decision), jobId: dto.jobId, leaseExpiresAt: null },
          retryAfterSeconds: this.config.coverage.retryAfterSeconds,
        },
        tookSlot: false,
      };
    }
    const leaseExpiresAt = new Date(now.getTime() + this.leaseMs(decision));
    const status = decision.covered ? 201 : 200;
    const body: JobDecisionDto = {
      ...toDecisionBody(decision),
      jobId: dto.jobId,
      leaseExpiresAt: decision.covered ? leaseExpiresAt.toISOString() : null,
    };
    const lease: LeaseInsert = {
      accountId: dto.accountId,
      jobId: dto.jobId,
      jobClass: model.class,
      modelId: model.id,
      covered: decision.covered,
      trial: decision.covered && decision.trial,
      reason: decision.reason,
      httpStatus: status,
      requestHash: hash,
      decision: body,
      renderSpark: decision.estimatedSpark ?? 0,
      leaseExpiresAt,
      createdAt: now,
    };
    tx.commitWith((literal) => insertLeaseSql(lease, literal));
    return { outcome: { status, body }, tookSlot: decision.covered };
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
}

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === UNIQUE_VIOLATION;
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
