import { Injectable } from '@nestjs/common';
import type Stripe from 'stripe';
import { DataSource, EntityManager } from 'typeorm';
import { Clock } from '../../common/clock';
import { invoiceSubscriptionId, refId } from './stripe-event.adapter';
import { StripeObjectEntity } from './stripe-object.entity';
import { compareObjectVersions, type ObjectVersion } from './stripe-object-versions';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Postgres cannot store U+0000 in jsonb; a string carrying one keeps a visible stand-in. */
function jsonbText(data: unknown): string {
  return JSON.stringify(data, (_key, value: unknown) =>
    typeof value === 'string' ? value.replaceAll(String.fromCharCode(0), '\uFFFD') : value,
  );
}

interface Keys {
  id: string;
  object: string;
  subscriptionId: string | null;
  lookupRef: string | null;
}

function keysOf(data: Record<string, unknown>): Keys | null {
  const id = typeof data.id === 'string' ? data.id : null;
  const object = typeof data.object === 'string' ? data.object : null;
  if (!id || !object) return null;
  switch (object) {
    case 'subscription':
      return { id, object, subscriptionId: id, lookupRef: refId(data.customer) };
    case 'subscription_schedule': {
      const sub = refId(data.subscription) ?? refId(data.released_subscription);
      return { id, object, subscriptionId: sub, lookupRef: refId(data.customer) };
    }
    case 'invoice': {
      const sub = invoiceSubscriptionId(data as unknown as Stripe.Invoice);
      return { id, object, subscriptionId: sub, lookupRef: refId(data.customer) };
    }
    case 'invoice_payment': {
      const payment = isRecord(data.payment) ? data.payment : {};
      return { id, object, subscriptionId: null, lookupRef: refId(payment.payment_intent) };
    }
    case 'payment_method':
      return { id, object, subscriptionId: null, lookupRef: refId(data.customer) };
    default:
      return { id, object, subscriptionId: null, lookupRef: null };
  }
}

/**
 * The newest version of every Stripe object the service has seen (webhook payloads and API reads),
 * kept under a total order (`compareObjectVersions`) so the result does not depend on delivery
 * order. Subscriptions also record the prices of their items (schedules name prices by id only).
 */
@Injectable()
export class StripeObjectMirror {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Records a version; true when it became the newest one. */
  async put(data: Record<string, unknown>, observedAt: Date): Promise<boolean> {
    return this.dataSource.transaction((m) => this.putWith(m, data, observedAt));
  }

  private async putWith(
    m: EntityManager,
    given: Record<string, unknown>,
    observedAt: Date,
  ): Promise<boolean> {
    // Keep and compare the wire form (SDK objects carry Decimal instances).
    const data = JSON.parse(jsonbText(given)) as Record<string, unknown>;
    const keys = keysOf(data);
    if (!keys) return false;
    if (keys.object === 'subscription') {
      const items = isRecord(data.items) && Array.isArray(data.items.data) ? data.items.data : [];
      for (const item of items) {
        if (isRecord(item) && isRecord(item.price)) await this.putWith(m, item.price, observedAt);
      }
    }
    const now = this.clock.now();
    const params = [
      keys.id,
      keys.object,
      keys.subscriptionId,
      keys.lookupRef,
      observedAt,
      jsonbText(data),
      now,
    ];
    const inserted: unknown[] = await m.query(
      `INSERT INTO "stripe_objects" ("id", "object", "subscription_id", "lookup_ref", "observed_at", "data", "updated_at")
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
       ON CONFLICT ("id") DO NOTHING
       RETURNING "id"`,
      params,
    );
    if (inserted.length > 0) return true;
    const existing = await m
      .getRepository(StripeObjectEntity)
      .createQueryBuilder('o')
      .setLock('pessimistic_write')
      .where('o.id = :id', { id: keys.id })
      .getOne();
    if (!existing) return false;
    const order = compareObjectVersions(
      { observedAt, data },
      { observedAt: existing.observedAt, data: existing.data },
    );
    if (order <= 0) return false;
    await m.query(
      `UPDATE "stripe_objects"
          SET "object" = $2, "subscription_id" = $3, "lookup_ref" = $4, "observed_at" = $5,
              "data" = $6::jsonb, "updated_at" = $7
        WHERE "id" = $1`,
      params,
    );
    return true;
  }

  async get(id: string): Promise<ObjectVersion | null> {
    const row = await this.dataSource.getRepository(StripeObjectEntity).findOneBy({ id });
    return row ? { observedAt: row.observedAt, data: row.data } : null;
  }

  /** The newest schedule that governs or governed this subscription. */
  async latestSchedule(subscriptionId: string): Promise<ObjectVersion | null> {
    const rows = await this.dataSource
      .getRepository(StripeObjectEntity)
      .findBy({ subscriptionId, object: 'subscription_schedule' });
    let best: ObjectVersion | null = null;
    for (const r of rows) {
      const v = { observedAt: r.observedAt, data: r.data };
      if (!best || compareObjectVersions(v, best) > 0) best = v;
    }
    return best;
  }

  /** The invoice a PaymentIntent paid, learned from `invoice_payment.paid`. */
  async invoiceForPaymentIntent(paymentIntentId: string): Promise<ObjectVersion | null> {
    const payments = await this.dataSource
      .getRepository(StripeObjectEntity)
      .findBy({ object: 'invoice_payment', lookupRef: paymentIntentId });
    for (const p of payments) {
      const invoiceId = refId(p.data.invoice);
      if (!invoiceId) continue;
      const invoice = await this.get(invoiceId);
      if (invoice) return invoice;
    }
    return null;
  }

  /** Ids of the subscriptions of a customer known here. */
  async subscriptionIdsOfCustomer(customerId: string): Promise<string[]> {
    const rows = await this.dataSource
      .getRepository(StripeObjectEntity)
      .findBy({ object: 'subscription', lookupRef: customerId });
    return rows.map((r) => r.id).sort();
  }
}
