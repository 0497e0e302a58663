import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock';
import { StripeCustomerEntity } from './stripe-customer.entity';

export type CustomerLinkSource = 'checkout' | 'subscription_metadata' | 'customer_metadata';

/** Account ↔ Stripe customer: learned at Checkout and from metadata; the newest link wins. */
@Injectable()
export class StripeCustomerLinks {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /** Records that `customerId` belongs to `accountId` as of `observedAt`; true when it changed. */
  async link(
    customerId: string,
    accountId: string,
    source: CustomerLinkSource,
    observedAt: Date,
  ): Promise<boolean> {
    const rows: Array<{ customer_id: string }> = await this.dataSource.query(
      `INSERT INTO "stripe_customers" ("customer_id", "account_id", "source", "observed_at", "updated_at")
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ("customer_id") DO UPDATE
         SET "account_id" = EXCLUDED."account_id", "source" = EXCLUDED."source",
             "observed_at" = EXCLUDED."observed_at", "updated_at" = EXCLUDED."updated_at"
       WHERE "stripe_customers"."account_id" <> EXCLUDED."account_id"
         AND ("stripe_customers"."observed_at" < EXCLUDED."observed_at"
              OR ("stripe_customers"."observed_at" = EXCLUDED."observed_at"
                  AND "stripe_customers"."account_id" < EXCLUDED."account_id"))
       RETURNING "customer_id"`,
      [customerId, accountId, source, observedAt, this.clock.now()],
    );
    return rows.length > 0;
  }

  async accountFor(customerId: string): Promise<string | null> {
    const row = await this.dataSource.getRepository(StripeCustomerEntity).findOneBy({ customerId });
    return row?.accountId ?? null;
  }

  /** The account's most recently linked customer. */
  async customerFor(accountId: string): Promise<string | null> {
    const row = await this.dataSource.getRepository(StripeCustomerEntity).findOne({
      where: { accountId },
      order: { observedAt: 'DESC', customerId: 'ASC' },
    });
    return row?.customerId ?? null;
  }
}
