import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { GroupCommitter } from '../common/group-commit';
import { Catalog } from '../catalog/catalog';
import type { JobParameters, ModelDefinition } from '../catalog/catalog.types';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { AccountEntitlement } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { coverageError, CoverageErrorCode } from './coverage-errors';
import { countersFromRow, type CountersRow } from './coverage-counters';
import { CountersChangeAnnouncer } from './counters-change.announcer';
import {
  CoverageDatabase,
  isDeadlock,
  type SqlLiteral,
  type SqlStatement,
} from './coverage-database';
import { coveragePolicyFrom } from './coverage-policy.provider';
import { checkJobParameters, decide, decisionTallies, requireModel } from './coverage.service';
import type { CoverageOutcome } from './coverage.types';
import { COVERAGE_REASONS, utcDay, type CoverageDecision, type CoveragePolicy } from './domain';
import { toDecisionBody, type JobDecisionDto } from './dto/coverage-decision.dto';
import { jobParameters, type JobRequestDto } from './dto/job-request.dto';
import { EntitlementCache, EntitlementSource, type EntitlementRow } from './entitlement-cache';

interface StoredAnswer {
  account_id: string;
  request_hash: string;
  http_status: number;
  decision: JobDecisionDto;
}

/** The row of `ADMISSION_READ`: one account's locked read. */
interface AdmissionReadRow extends CountersRow, EntitlementRow {
  stored: StoredAnswer | null;
}

/** One admission on its way through a batch. */
interface AdmissionItem {
  dto: JobRequestDto;
  model: ModelDefinition;
  /** The job's parameters, read from the request once. */
  params: JobParameters;
  hash: string;
  now: Date;
  /** The entitlement read before, from a source that cannot derive it from the locked rows. */
  read: AccountEntitlement | null;
}

/** What the locked part decided: the answer, whether it took a slot, the lease to store. */
interface Admitted {
  outcome: CoverageOutcome<JobDecisionDto>;
  tookSlot: boolean;
  /** Null for a 429: nothing is stored, the retry is the point of it. */
  lease: LeaseInsert | null;
}

/** An admission's end: decided, an answer stored before for its jobId, or its own error. */
type AdmissionResult = Admitted | StoredAnswer | { error: unknown };

/**
 * Admissions in a batch, at most: a batch is the admissions that arrived while the previous one
 * was in flight (see `GroupCommitter`).
 */
const BATCH_MAX_ADMISSIONS = 64;

/**
 * Batches in flight at once (each on a connection of its own). Two: while one waits for
 * Postgres, the next is read and decided.
 */
const BATCH_MAX_IN_FLIGHT = 2;

/**
 * The locked read of a batch, sent with the BEGIN (so its values are escaped literals): the
 * database function `coverage_admission_read_many` takes each account's admission lock, in the
 * order of the account ids (every admission of an account, in every instance, takes its turn),
 * marks its expired leases timed out, then reads the answer already stored for the jobId, the
 * entitlement rows and the counters, each after the lock is held. See its migration and
 * `coverage_admission_read`'s.
 */
function admissionReadSql(literal: SqlLiteral, items: readonly AdmissionItem[]): string {
  const array = (type: string, value: (item: AdmissionItem) => string): string =>
    `ARRAY[${items.map((item) => literal(value(item))).join(', ')}]::${type}[]`;
  return `SELECT account_id, "read" FROM coverage_admission_read_many(
  ${array('varchar', (i) => i.dto.accountId)},
  ${array('date', (i) => utcDay(i.now))},
  ${array('timestamptz', (i) => i.now.toISOString())},
  ${array('boolean', (i) => String(i.read?.isTrial ?? true))},
  ${array('varchar', (i) => i.dto.jobId)})`;
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
 * The leases' INSERT, sent with the COMMIT in one round trip, so as a simple query: every value
 * an escaped literal with an explicit cast. In the order of the job ids, so two batches waiting
 * on each other's job ids wait in one order. A job id taken meanwhile (by another account's
 * admission, committed or not) is skipped, not an error: `RETURNING` names the leases stored.
 */
function insertLeasesSql(leases: readonly LeaseInsert[], literal: SqlLiteral): string {
  const number = (n: number): string => {
    if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
    return literal(String(n));
  };
  const rows = [...leases]
    .sort((a, b) => (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0))
    .map(
      (lease) => `(${literal(lease.accountId)}, ${literal(lease.jobId)}, ${literal(lease.jobClass)},
  ${literal(lease.modelId)}, 'running', ${literal(String(lease.covered))}::boolean,
  ${literal(String(lease.trial))}::boolean, ${literal(lease.reason)},
  ${number(lease.httpStatus)}::int, ${literal(lease.requestHash)},
  ${literal(JSON.stringify(lease.decision))}::jsonb, ${number(lease.renderSpark)}::numeric, NULL,
  ${literal(lease.leaseExpiresAt.toISOString())}::timestamptz,
  ${literal(lease.createdAt.toISOString())}::timestamptz, NULL)`,
    );
  return `INSERT INTO job_leases (account_id, job_id, job_class, model_id, status, covered, trial,
  reason, http_status, request_hash, decision, render_spark, counted_day,
  lease_expires_at, created_at, finished_at)
VALUES ${rows.join(',\n')}
ON CONFLICT DO NOTHING
RETURNING job_id`;
}

const STORED_ANSWER: SqlStatement = {
  name: 'coverage_stored_answer_v1',
  text: `SELECT account_id, request_hash, http_status, decision FROM job_leases WHERE job_id = $1`,
};

/**
 * `POST /v1/jobs`: the decision plus a lease, atomic per account in Postgres.
 *
 * Admissions go in batches (group commit, `GroupCommitter`): those that arrive while a batch is in
 * flight go together in the next, one per account and per jobId (the others wait for a later
 * batch). One short transaction per batch, two round trips: the BEGIN with the locked read of
 * every account (each account's admission row locked `FOR UPDATE`, in the order of the ids: the
 * admissions of one account take turns in every instance; then the answer already stored for the
 * jobId, the entitlement rows, the live covered leases and today's usage, expired leases timed
 * out in passing); decide each; the leases' INSERT with the COMMIT; then announce the counters'
 * change (`CountersChangeAnnouncer`). The locks are held across one wait for the service only.
 * The cap is never exceeded whatever the number of parallel requests and instances; other
 * accounts never wait for an account's turn. A lone admission is sent at once.
 *
 * Admission is authoritative: the entitlement is read under the lock, never from the cache (with
 * a source that cannot derive it from those rows, it is read fresh just before).
 *
 * Idempotent by `jobId`: the first answer (201 or 200) is stored with the lease and replayed to a
 * retry; a 429 stores nothing (the retry is the point of it), and a `jobId` reused for another
 * request is a 409. An admission's own error (a bad job parameter) fails it alone; a failed
 * batch (the database) fails its admissions, and stores none of them.
 */
@Injectable()
export class JobAdmissionService {
  private readonly policy: CoveragePolicy;
  private readonly decisions;
  private readonly batches = new GroupCommitter<AdmissionItem, AdmissionResult>(
    (items) => this.admitBatch(items),
    {
      maxItems: BATCH_MAX_ADMISSIONS,
      maxInFlight: BATCH_MAX_IN_FLIGHT,
      keys: (item) => [`account:${item.dto.accountId}`, `job:${item.dto.jobId}`],
      retryAlone: isDeadlock,
    },
  );

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
    this.decisions = decisionTallies(metrics, 'jobs', [...COVERAGE_REASONS, 'replayed']);
  }

  async admit(dto: JobRequestDto): Promise<CoverageOutcome<JobDecisionDto>> {
    const model = requireModel(this.catalog, dto.modelId);
    const params = jobParameters(dto);
    const hash = requestHash(dto, params);
    try {
      checkJobParameters(model, params);
    } catch (e) {
      // Bad parameters take no lock and join no batch (a batch commits the others' locks with
      // it). A retry of a jobId already answered is still answered as one: replay or 409.
      const [stored] = await this.db.query<StoredAnswer>(STORED_ANSWER, [dto.jobId]);
      if (stored === undefined) throw e;
      return this.replay(stored, dto, hash);
    }
    const now = this.clock.now();
    const read =
      this.source.fromRow === null ? await this.entitlements.fresh(dto.accountId, now) : null;
    const result = await this.batches.submit({ dto, model, params, hash, now, read });
    if ('error' in result) throw result.error;
    if ('http_status' in result) return this.replay(result, dto, hash);
    if (result.tookSlot) this.countersChanged.changed(dto.accountId);
    return result.outcome;
  }

  /** One batch's transaction, then the stored answers of the job ids taken meanwhile. */
  private async admitBatch(items: AdmissionItem[]): Promise<AdmissionResult[]> {
    let inserted: ReadonlySet<string> = new Set();
    const results = await this.db.transaction<
      AdmissionResult[],
      { account_id: string; read: AdmissionReadRow }
    >(
      async (tx, rows) => {
        const reads = new Map(rows.map((row) => [row.account_id, row.read]));
        const decided = items.map((item): AdmissionResult => {
          try {
            return this.admitLocked(reads.get(item.dto.accountId)!, item);
          } catch (error) {
            return { error };
          }
        });
        const leases = decided.flatMap((r) => ('lease' in r && r.lease !== null ? [r.lease] : []));
        if (leases.length > 0) {
          tx.commitWith(
            (literal) => insertLeasesSql(leases, literal),
            (rows) => (inserted = new Set(rows.map((row) => String(row.job_id)))),
          );
        }
        return decided;
      },
      (literal) => admissionReadSql(literal, items),
    );
    // A lease not stored: its jobId was taken meanwhile by another account's admission (another
    // batch, another instance). Answer as a retry would: that admission's answer, or a 409.
    return Promise.all(
      results.map(async (result, i) => {
        if (!('lease' in result) || result.lease === null || inserted.has(result.lease.jobId)) {
          return result;
        }
        const jobId = items[i].dto.jobId;
        const [answer] = await this.db.query<StoredAnswer>(STORED_ANSWER, [jobId]);
        return answer ?? { error: new Error(`job ${jobId} was taken but has no stored answer`) };
      }),
    );
  }

  private admitLocked(row: AdmissionReadRow, item: AdmissionItem): AdmissionResult {
    if (row.stored !== null) return row.stored;
    const { dto, model, params, now } = item;
    const entitlement = item.read ?? this.source.fromRow!(row, dto.accountId, now);
    const counters = countersFromRow(row);
    const decision = decide({
      entitlement,
      model,
      params,
      channel: dto.channel ?? 'app',
      targetWorkerId: dto.targetWorkerId ?? null,
      usage: counters.usage,
      running: counters.running,
      catalog: this.catalog,
      policy: this.policy,
      now,
    });
    this.decisions[decision.reason].inc();

    if (decision.covered && !decision.admit) {
      return {
        outcome: {
          status: 429,
          body: { ...toDecisionBody(decision), jobId: dto.jobId, leaseExpiresAt: null },
          retryAfterSeconds: this.config.coverage.retryAfterSeconds,
        },
        tookSlot: false,
        lease: null,
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
      requestHash: item.hash,
      decision: body,
      renderSpark: decision.estimatedSpark ?? 0,
      leaseExpiresAt,
      createdAt: now,
    };
    return { outcome: { status, body }, tookSlot: decision.covered, lease };
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
    this.decisions.replayed.inc();
    return { status: stored.http_status === 201 ? 201 : 200, body: stored.decision };
  }
}

/** A digest of what the job asks for: a retry must ask for the same thing. */
export function requestHash(dto: JobRequestDto, params: JobParameters): string {
  const canonical = JSON.stringify([
    dto.accountId,
    dto.modelId,
    dto.channel ?? 'app',
    dto.targetWorkerId ?? null,
    Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
