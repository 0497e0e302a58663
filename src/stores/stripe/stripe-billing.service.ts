import { Inject, Injectable, Logger } from '@nestjs/common';
import type Stripe from 'stripe';
import { TrialsService, type TrialEligibility } from '../../accounts/trials.service';
import { Catalog } from '../../catalog/catalog';
import { Clock } from '../../common/clock';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import type { BillingInterval, PlanId } from '../../entitlements/domain/subscription-snapshot';
import type {
  CheckoutSessionResponseDto,
  PortalSessionResponseDto,
} from './dto/stripe-billing.dto';
import { StripeApiClient, StripeApiUnavailableError } from './stripe-api.client';
import { StripeCustomerLinks } from './stripe-customer-links.service';
import { stripeError, StripeErrorCode } from './stripe-error-codes';

/** Seed 001 §7: a 3-day free trial for first-time subscribers. */
export const TRIAL_PERIOD_DAYS = 3;

/** Stripe Checkout and Customer Portal sessions for an account. */
@Injectable()
export class StripeBillingService {
  private readonly logger = new Logger(StripeBillingService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly api: StripeApiClient,
    private readonly links: StripeCustomerLinks,
    private readonly trials: TrialsService,
    private readonly catalog: Catalog,
    private readonly clock: Clock,
  ) {}

  private requireApi(): void {
    if (!this.api.enabled) throw stripeError(StripeErrorCode.ApiNotConfigured);
  }

  private async stripeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof StripeApiUnavailableError) {
        this.logger.error({ err: error }, 'Stripe API call failed');
        throw stripeError(StripeErrorCode.ApiError);
      }
      throw error;
    }
  }

  /**
   * A Checkout Session in subscription mode for the account, with a card always collected and a
   * 3-day trial only when the person never had one (account, saved cards, device).
   */
  async createCheckoutSession(
    accountId: string,
    input: { plan: PlanId; interval: BillingInterval; deviceId?: string },
  ): Promise<CheckoutSessionResponseDto> {
    this.requireApi();
    return this.stripeCall(async () => {
      const price = await this.priceFor(input.plan, input.interval);
      const customerId = await this.customerFor(accountId);
      const eligibility = await this.trialEligibility(accountId, customerId, input.deviceId);
      const trialPeriodDays = eligibility.eligible ? TRIAL_PERIOD_DAYS : null;
      const session = await this.api.createCheckoutSession({
        accountId,
        customerId,
        priceId: price.id,
        trialPeriodDays,
        successUrl: this.config.stripe.checkoutSuccessUrl,
        cancelUrl: this.config.stripe.checkoutCancelUrl,
      });
      if (!session.url) throw new StripeApiUnavailableError('Checkout returned no URL', null, null);
      this.logger.log(
        {
          accountId,
          sessionId: session.id,
          plan: input.plan,
          interval: input.interval,
          trial: trialPeriodDays !== null,
          trialIneligible: eligibility.reason,
        },
        'Stripe Checkout session created',
      );
      return {
        url: session.url,
        sessionId: session.id,
        trial: trialPeriodDays !== null,
        trialPeriodDays,
        trialIneligibleReason: eligibility.reason,
      };
    });
  }

  /** A Customer Portal link for the account's Stripe customer. */
  async createPortalSession(accountId: string): Promise<PortalSessionResponseDto> {
    this.requireApi();
    const customerId = await this.links.customerFor(accountId);
    if (!customerId) throw stripeError(StripeErrorCode.CustomerNotFound);
    return this.stripeCall(async () => {
      const session = await this.api.createPortalSession(
        customerId,
        this.config.stripe.portalReturnUrl,
      );
      return { url: session.url };
    });
  }

  /** The active Stripe price the product map assigns to (plan, interval). */
  private async priceFor(plan: PlanId, interval: BillingInterval): Promise<Stripe.Price> {
    const matching = (await this.api.activeRecurringPrices())
      .filter((p) => {
        if (!p.lookup_key) return false;
        const grant = this.catalog.product('stripe', p.lookup_key);
        return grant !== null && grant.plan === plan && grant.interval === interval;
      })
      .sort((a, b) => b.created - a.created || a.id.localeCompare(b.id));
    if (matching.length === 0) {
      throw stripeError(
        StripeErrorCode.PriceNotFound,
        `No active Stripe price with a lookup_key mapped to ${plan}/${interval}.`,
      );
    }
    return matching[0];
  }

  /** The account's Stripe customer, created (with `metadata.account_id`) on first checkout. */
  private async customerFor(accountId: string): Promise<string> {
    const known = await this.links.customerFor(accountId);
    if (known && (await this.api.retrieveCustomer(known))) return known;
    const customer = await this.api.createCustomer(accountId);
    await this.links.link(customer.id, accountId, 'checkout', this.clock.now());
    return customer.id;
  }

  /** Ineligible when the account, any card already saved on the customer, or the device had a trial. */
  private async trialEligibility(
    accountId: string,
    customerId: string,
    deviceId: string | undefined,
  ): Promise<TrialEligibility> {
    const fingerprints = await this.api.cardFingerprints(customerId);
    const signals = fingerprints.length > 0 ? fingerprints : [null];
    for (const paymentFingerprint of signals) {
      const result = await this.trials.eligibility({
        accountId,
        paymentFingerprint,
        deviceId: deviceId ?? null,
      });
      if (!result.eligible) return result;
    }
    return { eligible: true, reason: null };
  }
}
