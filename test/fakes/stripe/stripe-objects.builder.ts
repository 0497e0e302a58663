/**
 * Typed builders of Stripe API objects in the shapes of the SDK's current API version
 * (`Stripe.API_VERSION`): every required field present, names copied from the SDK's types.
 * Used by the Stripe API fake and by unit specs of the adapter.
 */
import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';

export const FAKE_API_VERSION: string = Stripe.API_VERSION;

let counter = 0;
/** A Stripe-looking id: prefix + 24 url-safe characters, unique within the process. */
export function stripeId(prefix: string): string {
  counter += 1;
  const tail = `${counter.toString(36).padStart(6, '0')}${randomBytes(12).toString('hex')}`;
  return `${prefix}_${tail.slice(0, 24)}`;
}

export function unix(date: Date | number): number {
  return typeof date === 'number' ? date : Math.floor(date.getTime() / 1000);
}

/** A deep copy that is exactly what the wire would carry. */
export function wireCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function apiList<T>(data: T[], url: string): Stripe.ApiList<T> {
  return { object: 'list', data, has_more: false, url };
}

const DAY = 86_400;

/** Calendar arithmetic in UTC, as Stripe bills: month-end anchors clamp to the shorter month. */
export function addInterval(start: number, interval: 'month' | 'year', count = 1): number {
  const d = new Date(start * 1000);
  const day = d.getUTCDate();
  const target = new Date(d.getTime());
  target.setUTCDate(1);
  if (interval === 'month') target.setUTCMonth(target.getUTCMonth() + count);
  else target.setUTCFullYear(target.getUTCFullYear() + count);
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return unix(target);
}

export function addDays(start: number, days: number): number {
  return start + days * DAY;
}

// ---------------------------------------------------------------------------------------------

export interface ProductInput {
  id?: string;
  name: string;
  created: number;
  livemode?: boolean;
}

export function buildProduct(input: ProductInput): Stripe.Product {
  return {
    id: input.id ?? stripeId('prod'),
    object: 'product',
    active: true,
    created: input.created,
    default_price: null,
    description: null,
    images: [],
    livemode: input.livemode ?? false,
    marketing_features: [],
    metadata: {},
    name: input.name,
    package_dimensions: null,
    shippable: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    updated: input.created,
    url: null,
  };
}

export interface PriceInput {
  id?: string;
  product: string;
  lookupKey: string | null;
  unitAmount: number;
  interval: 'month' | 'year';
  created: number;
  livemode?: boolean;
  nickname?: string | null;
}

export function buildPrice(input: PriceInput): Stripe.Price {
  return {
    id: input.id ?? stripeId('price'),
    object: 'price',
    active: true,
    billing_scheme: 'per_unit',
    created: input.created,
    currency: 'usd',
    custom_unit_amount: null,
    livemode: input.livemode ?? false,
    lookup_key: input.lookupKey,
    metadata: {},
    nickname: input.nickname ?? null,
    product: input.product,
    recurring: {
      interval: input.interval,
      interval_count: 1,
      meter: null,
      trial_period_days: null,
      usage_type: 'licensed',
    },
    tax_behavior: 'exclusive',
    tiers_mode: null,
    transform_quantity: null,
    type: 'recurring',
    unit_amount: input.unitAmount,
    unit_amount_decimal: Stripe.Decimal.from(String(input.unitAmount)),
  };
}

/** The legacy `plan` mirror Stripe still embeds in every subscription item. */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  const interval = price.recurring?.interval ?? 'month';
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: 'per_unit',
    created: price.created,
    currency: price.currency,
    interval: interval === 'year' ? 'year' : 'month',
    interval_count: 1,
    livemode: price.livemode,
    metadata: {},
    meter: null,
    nickname: price.nickname,
    product: typeof price.product === 'string' ? price.product : price.product.id,
    tiers_mode: null,
    transform_usage: null,
    trial_period_days: null,
    usage_type: 'licensed',
  };
}

export interface CustomerInput {
  id?: string;
  created: number;
  email?: string | null;
  metadata?: Record<string, string>;
  defaultPaymentMethod?: string | null;
  livemode?: boolean;
}

export function buildCustomer(input: CustomerInput): Stripe.Customer {
  return {
    id: input.id ?? stripeId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: input.created,
    currency: null,
    customer_account: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: input.email ?? null,
    invoice_prefix: randomBytes(4).toString('hex').toUpperCase(),
    invoice_settings: {
      custom_fields: null,
      default_payment_method: input.defaultPaymentMethod ?? null,
      footer: null,
      rendering_options: null,
    },
    livemode: input.livemode ?? false,
    metadata: input.metadata ?? {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

export interface CardInput {
  id?: string;
  customer: string | null;
  fingerprint: string;
  last4?: string;
  brand?: string;
  created: number;
  livemode?: boolean;
}

export function buildCardPaymentMethod(input: CardInput): Stripe.PaymentMethod {
  return {
    id: input.id ?? stripeId('pm'),
    object: 'payment_method',
    allow_redisplay: 'unspecified',
    billing_details: {
      address: {
        city: null,
        country: 'US',
        line1: null,
        line2: null,
        postal_code: '94107',
        state: null,
      },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    card: {
      brand: input.brand ?? 'visa',
      checks: { address_line1_check: null, address_postal_code_check: 'pass', cvc_check: 'pass' },
      country: 'US',
      display_brand: input.brand ?? 'visa',
      exp_month: 12,
      exp_year: 2034,
      fingerprint: input.fingerprint,
      funding: 'credit',
      generated_from: null,
      last4: input.last4 ?? '4242',
      networks: { available: [input.brand ?? 'visa'], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: input.created,
    customer: input.customer,
    customer_account: null,
    livemode: input.livemode ?? false,
    metadata: {},
    type: 'card',
  };
}

export interface SubscriptionItemInput {
  id?: string;
  subscription: string;
  price: Stripe.Price;
  periodStart: number;
  periodEnd: number;
  created: number;
}

export function buildSubscriptionItem(input: SubscriptionItemInput): Stripe.SubscriptionItem {
  return {
    id: input.id ?? stripeId('si'),
    object: 'subscription_item',
    billing_thresholds: null,
    created: input.created,
    current_period_end: input.periodEnd,
    current_period_start: input.periodStart,
    current_trial: null,
    discounts: [],
    metadata: {},
    plan: planFromPrice(input.price),
    price: input.price,
    quantity: 1,
    subscription: input.subscription,
    tax_rates: [],
  };
}

export type BillingModeType = 'classic' | 'flexible';

export interface SubscriptionInput {
  id?: string;
  customer: string;
  price: Stripe.Price;
  status: Stripe.Subscription.Status;
  created: number;
  periodStart: number;
  periodEnd: number;
  trialStart?: number | null;
  trialEnd?: number | null;
  metadata?: Record<string, string>;
  billingMode?: BillingModeType;
  cancelAtPeriodEnd?: boolean;
  cancelAt?: number | null;
  canceledAt?: number | null;
  endedAt?: number | null;
  schedule?: string | null;
  latestInvoice?: string | null;
  defaultPaymentMethod?: string | null;
  livemode?: boolean;
  pauseCollection?: Stripe.Subscription.PauseCollection | null;
}

export function buildSubscription(input: SubscriptionInput): Stripe.Subscription {
  const id = input.id ?? stripeId('sub');
  const item = buildSubscriptionItem({
    subscription: id,
    price: input.price,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    created: input.created,
  });
  const billingMode = input.billingMode ?? 'classic';
  return {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: input.periodStart,
    billing_cycle_anchor_config: null,
    billing_mode:
      billingMode === 'flexible'
        ? {
            flexible: { proration_discounts: 'included' },
            type: 'flexible',
            updated_at: input.created,
          }
        : { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: input.cancelAt ?? null,
    cancel_at_period_end: input.cancelAtPeriodEnd ?? false,
    canceled_at: input.canceledAt ?? null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: 'charge_automatically',
    created: input.created,
    currency: 'usd',
    customer: input.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: input.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    ended_at: input.endedAt ?? null,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: apiList([item], `/v1/subscription_items?subscription=${id}`),
    latest_invoice: input.latestInvoice ?? null,
    livemode: input.livemode ?? false,
    managed_payments: null,
    metadata: input.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: input.pauseCollection ?? null,
    payment_settings: {
      payment_method_options: null,
      payment_method_types: null,
      save_default_payment_method: 'off',
    },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: input.schedule ?? null,
    start_date: input.created,
    status: input.status,
    test_clock: null,
    transfer_data: null,
    trial_end: input.trialEnd ?? null,
    trial_settings: {
      end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' },
    },
    trial_start: input.trialStart ?? null,
  };
}

export interface SchedulePhaseInput {
  price: string | Stripe.Price;
  start: number;
  end: number;
  trialEnd?: number | null;
}

function buildPhase(phase: SchedulePhaseInput): Stripe.SubscriptionSchedule.Phase {
  const priceId = typeof phase.price === 'string' ? phase.price : phase.price.id;
  return {
    add_invoice_items: [],
    application_fee_percent: null,
    billing_cycle_anchor: null,
    billing_thresholds: null,
    collection_method: null,
    currency: 'usd',
    default_payment_method: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    end_date: phase.end,
    invoice_settings: null,
    // Webhook payloads carry phase prices as ids (not expanded).
    items: [
      {
        billing_thresholds: null,
        discounts: [],
        metadata: {},
        plan: priceId,
        price: phase.price,
        quantity: 1,
        tax_rates: [],
      },
    ],
    metadata: {},
    on_behalf_of: null,
    proration_behavior: 'create_prorations',
    start_date: phase.start,
    transfer_data: null,
    trial_end: phase.trialEnd ?? null,
  };
}

export interface ScheduleInput {
  id?: string;
  customer: string;
  subscription: string | null;
  status: Stripe.SubscriptionSchedule.Status;
  phases: SchedulePhaseInput[];
  created: number;
  currentPhase?: { start: number; end: number } | null;
  releasedAt?: number | null;
  releasedSubscription?: string | null;
  canceledAt?: number | null;
  completedAt?: number | null;
  billingMode?: BillingModeType;
  livemode?: boolean;
}

export function buildSchedule(input: ScheduleInput): Stripe.SubscriptionSchedule {
  const billingMode = input.billingMode ?? 'classic';
  return {
    id: input.id ?? stripeId('sub_sched'),
    object: 'subscription_schedule',
    application: null,
    billing_mode:
      billingMode === 'flexible'
        ? {
            flexible: { proration_discounts: 'included' },
            type: 'flexible',
            updated_at: input.created,
          }
        : { flexible: null, type: 'classic' },
    canceled_at: input.canceledAt ?? null,
    completed_at: input.completedAt ?? null,
    created: input.created,
    current_phase: input.currentPhase
      ? { start_date: input.currentPhase.start, end_date: input.currentPhase.end }
      : null,
    customer: input.customer,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: 'charge_automatically',
      default_payment_method: null,
      description: null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: 'release',
    livemode: input.livemode ?? false,
    metadata: {},
    pause_schedules: [],
    phases: input.phases.map(buildPhase),
    released_at: input.releasedAt ?? null,
    released_subscription: input.releasedSubscription ?? null,
    status: input.status,
    subscription: input.subscription,
    test_clock: null,
  };
}

export interface InvoiceInput {
  id?: string;
  customer: string;
  subscription: string;
  subscriptionItem: string;
  subscriptionMetadata?: Record<string, string>;
  price: Stripe.Price;
  amount: number;
  periodStart: number;
  periodEnd: number;
  created: number;
  status: 'draft' | 'open' | 'paid' | 'uncollectible' | 'void';
  billingReason: Stripe.Invoice.BillingReason;
  attemptCount?: number;
  nextPaymentAttempt?: number | null;
  paidAt?: number | null;
  livemode?: boolean;
}

export function buildInvoice(input: InvoiceInput): Stripe.Invoice {
  const id = input.id ?? stripeId('in');
  const paid = input.status === 'paid';
  const line: Stripe.InvoiceLineItem = {
    id: stripeId('il'),
    object: 'line_item',
    amount: input.amount,
    currency: 'usd',
    description: `1 × ${input.price.nickname ?? input.price.lookup_key ?? input.price.id}`,
    discount_amounts: [],
    discountable: true,
    discounts: [],
    invoice: id,
    livemode: input.livemode ?? false,
    metadata: {},
    parent: {
      invoice_item_details: null,
      subscription_item_details: {
        invoice_item: null,
        proration: false,
        proration_details: { credited_items: null },
        subscription: input.subscription,
        subscription_item: input.subscriptionItem,
      },
      type: 'subscription_item_details',
    },
    period: { end: input.periodEnd, start: input.periodStart },
    pretax_credit_amounts: [],
    pricing: {
      price_details: { price: input.price.id, product: String(input.price.product) },
      type: 'price_details',
      unit_amount_decimal: Stripe.Decimal.from(String(input.amount)),
    },
    quantity: 1,
    quantity_decimal: Stripe.Decimal.from('1'),
    subscription: input.subscription,
    subtotal: input.amount,
    taxes: [],
  };
  return {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: 'Sogni',
    account_tax_ids: null,
    amount_due: input.amount,
    amount_overpaid: 0,
    amount_paid: paid ? input.amount : 0,
    amount_remaining: paid ? 0 : input.amount,
    amount_shipping: 0,
    application: null,
    attempt_count: input.attemptCount ?? (paid ? 1 : 0),
    attempted: (input.attemptCount ?? (paid ? 1 : 0)) > 0,
    auto_advance: !paid,
    automatic_tax: {
      disabled_reason: null,
      enabled: false,
      liability: null,
      provider: null,
      status: null,
    },
    automatically_finalizes_at: null,
    billing_reason: input.billingReason,
    collection_method: 'charge_automatically',
    created: input.created,
    currency: 'usd',
    custom_fields: null,
    customer: input.customer,
    customer_account: null,
    customer_address: null,
    customer_email: null,
    customer_name: null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: input.created,
    ending_balance: 0,
    footer: null,
    from_invoice: null,
    hosted_invoice_url: `https://invoice.stripe.com/i/${id}`,
    invoice_pdf: `https://pay.stripe.com/invoice/${id}/pdf`,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: apiList([line], `/v1/invoices/${id}/lines`),
    livemode: input.livemode ?? false,
    metadata: {},
    next_payment_attempt: input.nextPaymentAttempt ?? null,
    number: `${randomBytes(4).toString('hex').toUpperCase()}-0001`,
    on_behalf_of: null,
    parent: {
      quote_details: null,
      subscription_details: {
        metadata: input.subscriptionMetadata ?? {},
        subscription: input.subscription,
      },
      type: 'subscription_details',
    },
    payment_settings: {
      default_mandate: null,
      payment_method_options: null,
      payment_method_types: null,
    },
    // Stripe's invoice-level period is the *previous* period for renewals; lines carry the service period.
    period_end: input.created,
    period_start: input.created,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: null,
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: input.status,
    status_transitions: {
      finalized_at: input.created,
      marked_uncollectible_at: null,
      paid_at: paid ? (input.paidAt ?? input.created) : null,
      voided_at: null,
    },
    subtotal: input.amount,
    subtotal_excluding_tax: input.amount,
    test_clock: null,
    total: input.amount,
    total_discount_amounts: [],
    total_excluding_tax: input.amount,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: input.created,
  };
}

export interface InvoicePaymentInput {
  id?: string;
  invoice: string;
  paymentIntent: string;
  amount: number;
  created: number;
  livemode?: boolean;
}

export function buildInvoicePayment(input: InvoicePaymentInput): Stripe.InvoicePayment {
  return {
    id: input.id ?? stripeId('inpay'),
    object: 'invoice_payment',
    amount_paid: input.amount,
    amount_requested: input.amount,
    created: input.created,
    currency: 'usd',
    invoice: input.invoice,
    is_default: true,
    livemode: input.livemode ?? false,
    payment: { payment_intent: input.paymentIntent, type: 'payment_intent' },
    status: 'paid',
    status_transitions: { canceled_at: null, paid_at: input.created },
  };
}

export interface ChargeInput {
  id?: string;
  customer: string;
  paymentIntent: string;
  paymentMethod: string | null;
  fingerprint?: string | null;
  amount: number;
  amountRefunded?: number;
  created: number;
  description?: string | null;
  disputed?: boolean;
  livemode?: boolean;
}

export function buildCharge(input: ChargeInput): Stripe.Charge {
  const id = input.id ?? stripeId('ch');
  const refundedAmount = input.amountRefunded ?? 0;
  return {
    id,
    object: 'charge',
    amount: input.amount,
    amount_captured: input.amount,
    amount_refunded: refundedAmount,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: stripeId('txn'),
    billing_details: {
      address: {
        city: null,
        country: 'US',
        line1: null,
        line2: null,
        postal_code: '94107',
        state: null,
      },
      email: null,
      name: null,
      phone: null,
      tax_id: null,
    },
    calculated_statement_descriptor: 'SOGNI',
    captured: true,
    created: input.created,
    currency: 'usd',
    customer: input.customer,
    description: input.description ?? 'Subscription update',
    disputed: input.disputed ?? false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: input.livemode ?? false,
    metadata: {},
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: 'approved_by_network',
      reason: null,
      risk_level: 'normal',
      risk_score: 32,
      seller_message: 'Payment complete.',
      type: 'authorized',
    },
    paid: true,
    payment_intent: input.paymentIntent,
    payment_method: input.paymentMethod,
    payment_method_details: null,
    receipt_email: null,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/${id}`,
    refunded: refundedAmount >= input.amount && input.amount > 0,
    refunds: apiList<Stripe.Refund>([], `/v1/charges/${id}/refunds`),
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

export interface DisputeInput {
  id?: string;
  charge: string;
  paymentIntent: string | null;
  amount: number;
  status: Stripe.Dispute.Status;
  created: number;
  reason?: string;
  livemode?: boolean;
}

export function buildDispute(input: DisputeInput): Stripe.Dispute {
  return {
    id: input.id ?? stripeId('du'),
    object: 'dispute',
    amount: input.amount,
    balance_transactions: [],
    charge: input.charge,
    created: input.created,
    currency: 'usd',
    enhanced_eligibility_types: [],
    evidence: {
      access_activity_log: null,
      billing_address: null,
      cancellation_policy: null,
      cancellation_policy_disclosure: null,
      cancellation_rebuttal: null,
      customer_communication: null,
      customer_email_address: null,
      customer_name: null,
      customer_purchase_ip: null,
      customer_signature: null,
      duplicate_charge_documentation: null,
      duplicate_charge_explanation: null,
      duplicate_charge_id: null,
      enhanced_evidence: {},
      product_description: null,
      receipt: null,
      refund_policy: null,
      refund_policy_disclosure: null,
      refund_refusal_explanation: null,
      service_date: null,
      service_documentation: null,
      shipping_address: null,
      shipping_carrier: null,
      shipping_date: null,
      shipping_documentation: null,
      shipping_tracking_number: null,
      uncategorized_file: null,
      uncategorized_text: null,
    },
    evidence_details: {
      due_by: addDays(input.created, 7),
      enhanced_eligibility: {},
      has_evidence: false,
      past_due: false,
      submission_count: 0,
      submission_method: 'not_submitted',
    },
    intended_submission_method: null,
    is_charge_refundable: false,
    livemode: input.livemode ?? false,
    metadata: {},
    payment_intent: input.paymentIntent,
    reason: input.reason ?? 'fraudulent',
    status: input.status,
  };
}
