import type { ModelDefinition } from '../../catalog/catalog.types';
import { estimateSpark, JobParameterError } from '../../catalog/spark-estimator';
import { PLAN_IDS, type AccountEntitlement, type PlanId } from '../../entitlements/domain';
import {
  ACCOUNT_KINDS,
  catalog,
  entitlementAt,
  type AccountKind,
} from '../../../test/coverage/entitlement.builders';
import {
  CHANNELS,
  COVERAGE_REASONS,
  decideCoverage,
  type Channel,
  type CoverageInput,
  type CoverageReason,
  type RunningJobs,
  type UsageSnapshot,
} from './coverage-decision';
import {
  DEFAULT_COVERAGE_POLICY,
  nextUtcMidnight,
  utcDay,
  type CoveragePolicy,
} from './coverage-policy';

const NOW = new Date('2026-03-10T12:00:00Z');
const NO_USAGE: UsageSnapshot = {
  renderSparkToday: 0,
  trialJobsToday: 0,
  trialRenderSparkTotal: 0,
};
const NONE_RUNNING: RunningJobs = { byClass: {}, renderSpark: 0 };

function model(id: string): ModelDefinition {
  const found = catalog.getModel(id);
  if (found === undefined) throw new Error(`fixture model ${id} is not in the catalog`);
  return found;
}

function decide(overrides: Partial<CoverageInput> & { entitlement: AccountEntitlement }) {
  return decideCoverage({
    model: model('sdxl-1024'),
    params: {},
    channel: 'app',
    targetWorkerId: null,
    usage: NO_USAGE,
    running: NONE_RUNNING,
    catalog,
    policy: DEFAULT_COVERAGE_POLICY,
    now: NOW,
    ...overrides,
  });
}

const active = (plan: PlanId = 'unlimited', now = NOW) => entitlementAt('active', plan, now);
const trial = (plan: PlanId = 'unlimited', now = NOW) => entitlementAt('trial', plan, now);

/** The expected answer, written from SPEC §6 independently of the implementation. */
function expectedReason(m: ModelDefinition, kind: AccountKind, channel: Channel): CoverageReason {
  if (m.vendor) return 'vendor_model_excluded';
  switch (kind) {
    case 'active':
      return 'covered';
    case 'trial':
      return channel === 'api' ? 'trial_limit' : 'covered';
    default:
      return kind;
  }
}

describe('decideCoverage', () => {
  describe('every catalog model × plan × state × channel (default job)', () => {
    it.each(catalog.listModels().map((m) => [m.id, m] as const))('%s', (_id, m) => {
      const actual: Record<string, CoverageReason> = {};
      const expected: Record<string, CoverageReason> = {};
      for (const plan of PLAN_IDS) {
        for (const kind of ACCOUNT_KINDS) {
          for (const channel of CHANNELS) {
            const key = `${plan}/${kind}/${channel}`;
            const decision = decide({
              entitlement: entitlementAt(kind, plan, NOW),
              model: m,
              channel,
            });
            actual[key] = decision.reason;
            expected[key] = expectedReason(m, kind, channel);
            expect(decision.covered).toBe(
              ['covered', 'concurrency_limit'].includes(decision.reason),
            );
            expect(decision.fallback === null).toBe(decision.covered);
          }
        }
      }
      expect(actual).toEqual(expected);
    });

    it('covers by rule: every open model is covered and exactly the four vendor models are not', () => {
      const excluded = catalog
        .listModels()
        .filter(
          (m) => decide({ entitlement: active(), model: m }).reason === 'vendor_model_excluded',
        )
        .map((m) => m.id)
        .sort();
      expect(excluded).toEqual([
        'gpt-image-2',
        'happyhorse-1-1',
        'seedance-2-0',
        'seedance-2-0-fast',
      ]);
    });
  });

  describe('precedence (SPEC §6)', () => {
    it('lists the reasons in the order of the SPEC table', () => {
      expect(COVERAGE_REASONS).toEqual([
        'unknown_model',
        'vendor_model_excluded',
        'no_subscription',
        'expired',
        'revoked',
        'past_due',
        'paused',
        'incomplete',
        'suspended',
        'worker_targeting_not_covered',
        'trial_limit',
        'concurrency_limit',
        'covered',
      ]);
    });

    it('unknown_model beats everything, and has no price to fall back on', () => {
      const d = decide({ entitlement: entitlementAt('suspended', 'unlimited', NOW), model: null });
      expect(d).toMatchObject({
        covered: false,
        reason: 'unknown_model',
        fallback: null,
        jobClass: null,
      });
    });

    it('vendor_model_excluded beats a missing subscription and worker targeting', () => {
      const d = decide({
        entitlement: entitlementAt('no_subscription', 'unlimited', NOW),
        model: model('seedance-2-0'),
        targetWorkerId: 'worker-7',
      });
      expect(d.reason).toBe('vendor_model_excluded');
    });

    it('a subscription reason beats worker targeting', () => {
      const d = decide({
        entitlement: entitlementAt('past_due', 'unlimited', NOW),
        targetWorkerId: 'w',
      });
      expect(d.reason).toBe('past_due');
    });

    it('worker targeting beats the trial limits', () => {
      const d = decide({ entitlement: trial(), channel: 'api', targetWorkerId: 'w' });
      expect(d.reason).toBe('worker_targeting_not_covered');
    });

    it('a trial limit beats the concurrency limit', () => {
      const d = decide({
        entitlement: trial(),
        channel: 'api',
        running: { byClass: { image: 4 }, renderSpark: 4 },
      });
      expect(d.reason).toBe('trial_limit');
    });

    it('concurrency_limit is covered but not admitted; below the cap the job is admitted', () => {
      const full = decide({
        entitlement: active(),
        running: { byClass: { image: 4 }, renderSpark: 0 },
      });
      expect(full).toMatchObject({
        covered: true,
        admit: false,
        reason: 'concurrency_limit',
        concurrency: { limit: 4, running: 4 },
        priority: 'subscription',
        fallback: null,
      });
      const free = decide({
        entitlement: active(),
        running: { byClass: { image: 3 }, renderSpark: 0 },
      });
      expect(free).toMatchObject({ covered: true, admit: true, reason: 'covered' });
    });

    it('a suspended account is not covered even with an active subscription', () => {
      const d = decide({ entitlement: entitlementAt('suspended', 'unlimited_pro', NOW) });
      expect(d).toMatchObject({ covered: false, reason: 'suspended', state: 'suspended' });
    });

    it('only running jobs of the same class count against its cap', () => {
      const d = decide({
        entitlement: active(),
        model: model('wan-2-2-14b-lightx2v'),
        running: { byClass: { image: 4 }, renderSpark: 0 },
      });
      expect(d).toMatchObject({ reason: 'covered', concurrency: { limit: 1, running: 0 } });
    });
  });

  describe('plan concurrency', () => {
    it.each([
      ['unlimited', 'sdxl-1024', 4],
      ['unlimited', 'ltx-2-3-22b-distilled', 1],
      ['unlimited_pro', 'sdxl-1024', 16],
      ['unlimited_pro', 'ltx-2-3-22b-distilled', 4],
    ] as const)('%s caps %s at %i', (plan, id, limit) => {
      const under = decide({
        entitlement: active(plan),
        model: model(id),
        running: { byClass: { [model(id).class]: limit - 1 }, renderSpark: 0 },
      });
      expect(under).toMatchObject({
        reason: 'covered',
        concurrency: { limit, running: limit - 1 },
      });
      const at = decide({
        entitlement: active(plan),
        model: model(id),
        running: { byClass: { [model(id).class]: limit }, renderSpark: 0 },
      });
      expect(at.reason).toBe('concurrency_limit');
    });

    it.each(['ace-step-v1-5-xl-sft', 'qwen3-6-35b-a3b', 'creative-agent'])(
      '%s has no concurrency cap (fair use only)',
      (id) => {
        const d = decide({
          entitlement: active(),
          model: model(id),
          running: { byClass: { [model(id).class]: 500 }, renderSpark: 0 },
          usage: { ...NO_USAGE, renderSparkToday: 100_000 },
        });
        expect(d).toMatchObject({
          reason: 'covered',
          admit: true,
          priority: 'subscription_throttled',
          concurrency: { limit: null, running: 500 },
        });
      },
    );
  });

  describe('fair use', () => {
    const at = (plan: PlanId, renderSparkToday: number, image = 0, video = 0, id = 'sdxl-1024') =>
      decide({
        entitlement: active(plan),
        model: model(id),
        usage: { ...NO_USAGE, renderSparkToday },
        running: { byClass: { image, video }, renderSpark: 0 },
      });

    it('throttles the priority at the plan threshold, not before', () => {
      expect(at('unlimited', 1999.99).priority).toBe('subscription');
      expect(at('unlimited', 2000).priority).toBe('subscription_throttled');
      expect(at('unlimited_pro', 5999.99).priority).toBe('subscription');
      expect(at('unlimited_pro', 6000).priority).toBe('subscription_throttled');
    });

    it('reports the thresholds and the next 00:00 UTC reset', () => {
      expect(at('unlimited_pro', 12.5).fairUse).toEqual({
        renderSparkToday: 12.5,
        throttleAt: 6000,
        reducedAt: 12000,
        resetsAt: new Date('2026-03-11T00:00:00Z'),
      });
    });

    it('halves the effective concurrency at the second threshold', () => {
      expect(at('unlimited', 3999.99).concurrency.limit).toBe(4);
      expect(at('unlimited', 4000).concurrency.limit).toBe(2);
      expect(at('unlimited', 4000, 2).reason).toBe('concurrency_limit');
      expect(at('unlimited', 4000, 1).reason).toBe('covered');
      expect(at('unlimited_pro', 11999).concurrency.limit).toBe(16);
      expect(at('unlimited_pro', 12000).concurrency.limit).toBe(8);
      expect(at('unlimited_pro', 12000, 0, 0, 'wan-2-2-14b-full').concurrency.limit).toBe(2);
    });

    it('never halves below one', () => {
      const d = at('unlimited', 50_000, 0, 0, 'wan-2-2-14b-full');
      expect(d).toMatchObject({ reason: 'covered', concurrency: { limit: 1, running: 0 } });
      expect(at('unlimited', 50_000, 0, 1, 'wan-2-2-14b-full').reason).toBe('concurrency_limit');
    });

    it('uses the configured thresholds', () => {
      const policy: CoveragePolicy = {
        ...DEFAULT_COVERAGE_POLICY,
        fairUse: {
          ...DEFAULT_COVERAGE_POLICY.fairUse,
          unlimited: { throttleAtSpark: 10, reduceAtSpark: 20 },
        },
      };
      const d = decide({
        entitlement: active(),
        usage: { ...NO_USAGE, renderSparkToday: 20 },
        policy,
      });
      expect(d).toMatchObject({ priority: 'subscription_throttled', concurrency: { limit: 2 } });
    });
  });

  describe('the UTC day', () => {
    it('resets at the next 00:00 UTC, whatever the time of day', () => {
      expect(nextUtcMidnight(new Date('2026-03-10T23:59:59.999Z'))).toEqual(
        new Date('2026-03-11T00:00:00Z'),
      );
      expect(nextUtcMidnight(new Date('2026-03-11T00:00:00Z'))).toEqual(
        new Date('2026-03-12T00:00:00Z'),
      );
      expect(utcDay(new Date('2026-03-10T23:59:59.999Z'))).toBe('2026-03-10');
      expect(utcDay(new Date('2026-03-11T00:00:00.000Z'))).toBe('2026-03-11');
    });

    it('a decision just before midnight reports that midnight', () => {
      const late = new Date('2026-12-31T23:59:59Z');
      const d = decide({ entitlement: active('unlimited', late), now: late });
      expect(d.fairUse.resetsAt).toEqual(new Date('2027-01-01T00:00:00Z'));
    });
  });

  describe('downgrade effectiveAt (injected clock)', () => {
    const effectiveAt = new Date('2026-03-20T00:00:00Z');
    const pendingChange = { plan: 'unlimited' as const, interval: 'month' as const, effectiveAt };
    const entitlement = (now: Date) =>
      entitlementAt('active', 'unlimited_pro', now, {
        observedAt: new Date('2026-03-01T00:00:00Z'),
        periodEnd: new Date('2026-04-20T00:00:00Z'),
        pendingChange,
      });

    it('keeps the higher plan limits until effectiveAt, then applies the lower plan', () => {
      const before = new Date(effectiveAt.getTime() - 1);
      const running = { byClass: { image: 8 }, renderSpark: 0 };
      const b = decide({ entitlement: entitlement(before), now: before, running });
      expect(b).toMatchObject({
        plan: 'unlimited_pro',
        reason: 'covered',
        concurrency: { limit: 16 },
      });
      expect(b.fairUse.throttleAt).toBe(6000);
      const a = decide({ entitlement: entitlement(effectiveAt), now: effectiveAt, running });
      expect(a).toMatchObject({
        plan: 'unlimited',
        reason: 'concurrency_limit',
        concurrency: { limit: 4 },
      });
      expect(a.fairUse.throttleAt).toBe(2000);
    });
  });

  describe('trial limits', () => {
    const t = (overrides: Partial<CoverageInput> = {}) =>
      decide({ entitlement: trial(), ...overrides });

    it('a trial within its limits is covered, at subscription priority', () => {
      expect(t()).toMatchObject({
        covered: true,
        reason: 'covered',
        trial: true,
        priority: 'subscription',
      });
    });

    it('refuses the API channel during a trial (unless configured), not after it', () => {
      expect(t({ channel: 'api' })).toMatchObject({
        reason: 'trial_limit',
        trialLimit: 'api_channel',
      });
      const policy = {
        ...DEFAULT_COVERAGE_POLICY,
        trial: { ...DEFAULT_COVERAGE_POLICY.trial, apiAllowed: true },
      };
      expect(t({ channel: 'api', policy }).reason).toBe('covered');
      expect(decide({ entitlement: active(), channel: 'api' }).reason).toBe('covered');
    });

    it.each([
      [{ width: 1536, height: 1024 }, null],
      [{ width: 1536, height: 1536 }, 'image_size'],
      [{ width: 2048, height: 512 }, 'image_size'],
      [{ width: 1024, height: 1024 }, null],
    ])('image %j → %s', (size, limit) => {
      const d = t({ params: size });
      expect(d.trialLimit).toBe(limit);
      expect(d.reason).toBe(limit === null ? 'covered' : 'trial_limit');
    });

    it('the same large image is covered outside a trial', () => {
      expect(decide({ entitlement: active(), params: { width: 2048, height: 2048 } }).reason).toBe(
        'covered',
      );
    });

    it.each([
      ['wan-2-2-14b-lightx2v', {}, null],
      ['wan-2-2-14b-lightx2v', { resolution: '1080p' }, 'video_size'],
      ['ltx-2-3-22b-distilled', { width: 1920, height: 1088 }, 'video_size'],
      ['ltx-2-3-22b-distilled', { durationSeconds: 5 }, null],
      ['ltx-2-3-22b-distilled', { durationSeconds: 8 }, 'video_duration'],
      ['wan-2-2-14b-full', { frames: 97 }, 'video_duration'],
      ['wan-2-2-14b-full', { frames: 81 }, null],
    ] as const)('%s %j → %s', (id, params, limit) => {
      expect(t({ model: model(id), params }).trialLimit).toBe(limit);
    });

    it('caps the completed plus running jobs of the UTC day', () => {
      const cap = DEFAULT_COVERAGE_POLICY.trial.dailyJobCap;
      expect(t({ usage: { ...NO_USAGE, trialJobsToday: cap - 1 } }).reason).toBe('covered');
      expect(t({ usage: { ...NO_USAGE, trialJobsToday: cap } })).toMatchObject({
        reason: 'trial_limit',
        trialLimit: 'daily_jobs',
      });
      const running = { byClass: { image: 1, audio: 1 }, renderSpark: 2 };
      expect(t({ usage: { ...NO_USAGE, trialJobsToday: cap - 2 }, running }).trialLimit).toBe(
        'daily_jobs',
      );
    });

    it('keeps the whole trial within its render allowance, counting this job and running ones', () => {
      const allowance = DEFAULT_COVERAGE_POLICY.trial.renderSparkAllowance;
      const job = estimateSpark(model('z-image')).spark;
      const m = model('z-image');
      expect(
        t({ model: m, usage: { ...NO_USAGE, trialRenderSparkTotal: allowance - job } }).reason,
      ).toBe('covered');
      expect(
        t({ model: m, usage: { ...NO_USAGE, trialRenderSparkTotal: allowance - job + 0.01 } })
          .trialLimit,
      ).toBe('render_allowance');
      expect(
        t({
          model: m,
          usage: { ...NO_USAGE, trialRenderSparkTotal: allowance - job - 10 },
          running: { byClass: { image: 1 }, renderSpark: 10.01 },
        }).trialLimit,
      ).toBe('render_allowance');
    });

    it('a trial-limited job falls back to Premium Spark without credit-card coverage', () => {
      expect(t({ channel: 'api' }).fallback).toEqual({
        payWith: 'premium_spark',
        estimatedSpark: 1,
        creditCardCoverageRequired: false,
      });
    });
  });

  describe('fallback', () => {
    it.each(['gpt-image-2', 'seedance-2-0', 'seedance-2-0-fast', 'happyhorse-1-1'])(
      '%s: Premium Spark with credit-card coverage, at the estimator price of the job',
      (id) => {
        const params =
          id === 'gpt-image-2' ? { quality: 'high', count: 2 } : { durationSeconds: 10 };
        const d = decide({ entitlement: active('unlimited_pro'), model: model(id), params });
        expect(d.fallback).toEqual({
          payWith: 'premium_spark',
          estimatedSpark: estimateSpark(model(id), params).spark,
          creditCardCoverageRequired: true,
        });
        expect(d.fallback?.estimatedSpark).toBeGreaterThan(estimateSpark(model(id)).spark);
      },
    );

    it('an open model outside the subscription falls back without credit-card coverage', () => {
      const d = decide({
        entitlement: entitlementAt('expired', 'unlimited', NOW),
        model: model('flux-1-schnell'),
        params: { speed: 'relaxed' },
      });
      expect(d.fallback).toEqual({
        payWith: 'premium_spark',
        estimatedSpark: 0.4,
        creditCardCoverageRequired: false,
      });
    });
  });

  describe('worker targeting', () => {
    it('a subscription job cannot target a worker; an empty id targets none', () => {
      expect(decide({ entitlement: active(), targetWorkerId: 'worker-1' })).toMatchObject({
        covered: false,
        reason: 'worker_targeting_not_covered',
        fallback: {
          payWith: 'premium_spark',
          estimatedSpark: 1,
          creditCardCoverageRequired: false,
        },
      });
      expect(decide({ entitlement: active(), targetWorkerId: '' }).reason).toBe('covered');
    });
  });

  it('bad job parameters are the caller’s mistake, named by the estimator', () => {
    expect(() => decide({ entitlement: active(), params: { width: 1001 } })).toThrow(
      JobParameterError,
    );
  });
});
