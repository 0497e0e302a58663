import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CoverageDecision } from '../domain';
import {
  DECISION_BODY_SCHEMA,
  toDecisionBody,
  type CoverageDecisionDto,
} from './coverage-decision.dto';

const number = fc.double({ noNaN: true, noDefaultInfinity: true });
const text = fc.string({ unit: 'grapheme' });
const orNull = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

const decisionBody: fc.Arbitrary<CoverageDecisionDto> = fc.record({
  covered: fc.boolean(),
  reason: text,
  plan: orNull(text),
  state: text,
  jobClass: text,
  priority: orNull(text),
  concurrency: fc.record({ limit: orNull(fc.integer()), running: fc.nat() }),
  fairUse: fc.record({
    renderSparkToday: number,
    throttleAt: orNull(number),
    reducedAt: orNull(number),
    resetsAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  }),
  fallback: orNull(
    fc.record({
      payWith: fc.constant('premium_spark' as const),
      estimatedSpark: number,
      creditCardCoverageRequired: fc.boolean(),
    }),
  ),
  trialLimit: orNull(text),
  estimatedSpark: number,
}) as fc.Arbitrary<CoverageDecisionDto>;

describe('DECISION_BODY_SCHEMA (the coverage route’s compiled serializer)', () => {
  let app: FastifyInstance;
  let next: CoverageDecisionDto;

  beforeAll(async () => {
    // Compiled by Fastify itself, as on the coverage route.
    app = Fastify();
    app.post('/', { schema: { response: { 200: DECISION_BODY_SCHEMA } } }, async () => next);
    await app.ready();
  });
  afterAll(() => app.close());

  it('writes every decision body byte for byte as JSON.stringify does', async () => {
    await fc.assert(
      fc.asyncProperty(decisionBody, async (body) => {
        next = body;
        const res = await app.inject({ method: 'POST', url: '/' });
        expect(res.body).toBe(JSON.stringify(body));
      }),
      { numRuns: 500 },
    );
  });

  it('names every field of the body toDecisionBody builds, nested ones included', async () => {
    const decision: CoverageDecision = {
      covered: false,
      admit: false,
      reason: 'vendor_model_excluded',
      plan: 'unlimited',
      state: 'active',
      jobClass: 'image',
      priority: null,
      concurrency: { limit: 4, running: 1 },
      fairUse: { renderSparkToday: 12.5, throttleAt: 2000, reducedAt: 4000, resetsAt: new Date() },
      fallback: {
        payWith: 'premium_spark',
        estimatedSpark: 3.25,
        creditCardCoverageRequired: true,
      },
      trialLimit: null,
      estimatedSpark: 3.25,
      trial: false,
    };
    next = toDecisionBody(decision);
    const keysOf = (value: object): unknown =>
      Object.entries(value).map(([k, v]) => [
        k,
        v !== null && typeof v === 'object' ? keysOf(v) : 0,
      ]);
    const schemaKeys = (schema: { properties?: object }): unknown =>
      Object.entries(schema.properties ?? {}).map(([k, v]) => [
        k,
        (v as { properties?: object }).properties ? schemaKeys(v) : 0,
      ]);
    expect(schemaKeys(DECISION_BODY_SCHEMA)).toEqual(keysOf(next));
    const res = await app.inject({ method: 'POST', url: '/' });
    expect(res.body).toBe(JSON.stringify(next));
  });
});
