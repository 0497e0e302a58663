/**
 * Without STRIPE_SECRET_KEY the event payloads are the only picture of a subscription. The same
 * Customer Portal flows are simulated once, then delivered in time order (checking the dashboard
 * after each step) and, into fresh services, shuffled with duplicates: every account must end with
 * the same answers.
 */
import { InboxWorker } from '../../../src/inbox/inbox.worker';
import { StripeApiFake } from '../../fakes/stripe/stripe-api.fake';
import { buildStripeEvent, type StripeEventJson } from '../../fakes/stripe/stripe-events.builder';
import { StripeHarness } from './stripe-e2e.harness';
import {
  finalAnswer,
  SCENARIOS,
  type Expectation,
  type ScenarioDriver,
} from './stripe-portal.scenarios';
import { shuffledWithDuplicates } from './stripe-shuffle';

interface RecordedStep {
  scenario: string;
  account: string;
  name: string;
  events: StripeEventJson[];
  at: number;
  expect: Expectation;
}

class RecordingDriver implements ScenarioDriver {
  constructor(
    readonly fake: StripeApiFake,
    private readonly scenario: string,
    private readonly account: string,
    private readonly steps: RecordedStep[],
  ) {}

  step(name: string, events: StripeEventJson[], expect: Expectation): Promise<void> {
    this.steps.push({
      scenario: this.scenario,
      account: this.account,
      name,
      events,
      at: this.fake.now,
      expect,
    });
    return Promise.resolve();
  }
}

const fake = new StripeApiFake(new Date('2026-03-02T08:00:00Z'));
const steps: RecordedStep[] = [];
const accounts: string[] = [];
const finals = new Map<string, Record<string, unknown>>();
let endAt: Date;

beforeAll(async () => {
  fake.seedCatalog();
  for (const [i, scenario] of SCENARIOS.entries()) {
    const account = `acct_order_${i}`;
    accounts.push(account);
    await scenario.run(new RecordingDriver(fake, scenario.name, account, steps), account);
  }
  endAt = new Date((fake.now + 60) * 1000);
});

describe('Customer Portal flows from event payloads only, in time order', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await StripeHarness.start({ fake, withKey: false, start: new Date(steps[0].at * 1000) });
  });
  afterAll(async () => {
    for (const account of accounts)
      finals.set(account, finalAnswer(await h.entitlementAt(account, endAt)));
    await h.close();
  });

  it('answers as expected after every step of every flow', async () => {
    for (const step of steps) {
      if (step.at * 1000 > h.clock.now().getTime()) h.clock.set(new Date(step.at * 1000));
      await h.deliver(step.events);
      await h.settle();
      const body = await h.entitlement(step.account);
      try {
        step.expect(body, { fake });
      } catch (error) {
        throw new Error(
          `${step.scenario} / ${step.name}: ${(error as Error).message}\n${JSON.stringify(body, null, 2)}`,
        );
      }
    }
    const failed = (await h.inboxRows()).filter((r) => r.status === 'failed');
    expect(failed).toEqual([]);
  });
});

describe.each([20260302, 7, 424242])(
  'the same events shuffled and duplicated (seed %d)',
  (seed) => {
    let h: StripeHarness;
    beforeAll(async () => {
      h = await StripeHarness.start({ fake, withKey: false, start: endAt });
    });
    afterAll(() => h.close());

    it('end with the same answers for every account', async () => {
      expect(finals.size).toBe(SCENARIOS.length);
      await h.deliver(shuffledWithDuplicates(fake.events, seed));
      await h.settle();
      expect((await h.inboxRows()).filter((r) => r.status === 'failed')).toEqual([]);
      const answers: Record<string, unknown> = {};
      for (const account of accounts)
        answers[account] = finalAnswer(await h.entitlementAt(account, endAt));
      expect(answers).toEqual(Object.fromEntries(finals));
    });
  },
);

describe('links and related objects that arrive late (no API key)', () => {
  let h: StripeHarness;
  beforeAll(async () => {
    h = await StripeHarness.start({ withKey: false });
  });
  afterAll(() => h.close());

  it('a subscription seen before its customer is linked once the customer event names the account', async () => {
    const customer = h.fake.addCustomer();
    const { events } = h.fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_monthly',
    });
    await h.deliverAndSettle(events);
    expect((await h.entitlement('acct_late_link')).covered).toBe(false);
    customer.metadata = { account_id: 'acct_late_link' };
    const updated = buildStripeEvent('customer.updated', customer, {
      created: h.fake.now + 5,
      previousAttributes: { metadata: {} },
    });
    await h.deliverAndSettle([updated]);
    expect(await h.entitlement('acct_late_link')).toMatchObject({
      covered: true,
      plan: 'unlimited',
    });
  });

  it('a refund that arrives before the payment it refunds waits, then revokes', async () => {
    const customer = h.fake.addCustomer({ metadata: { account_id: 'acct_early_refund' } });
    const { subscription, events } = h.fake.startSubscription({
      customer: customer.id,
      lookupKey: 'unlimited_annual',
      metadata: { account_id: 'acct_early_refund' },
    });
    const refund = h.fake.refundLatestCharge(subscription.id);
    const created = events.filter((e) => e.type === 'customer.subscription.created');
    const payments = events.filter((e) => e.type !== 'customer.subscription.created');
    await h.deliverAndSettle([...created]);
    h.syncClock();
    await h.deliver(refund);
    // Processed once: it waits for the invoice payment (pending, with the reason).
    await h.t.app.get(InboxWorker).drain();
    const waiting = (await h.inboxRows()).find((r) => r.store_event_id === refund[0].id);
    expect(waiting).toMatchObject({ status: 'pending' });
    expect(waiting?.last_error).toMatch(/not known yet/);
    expect((await h.entitlement('acct_early_refund')).covered).toBe(true);
    await h.deliverAndSettle(payments);
    expect(await h.entitlement('acct_early_refund')).toMatchObject({
      covered: false,
      state: 'revoked',
    });
  });
});
