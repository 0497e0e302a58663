import type { ColumnOptions } from 'typeorm';

/**
 * A `numeric(14,4)` Spark amount read back as a number (the driver returns numerics as strings to
 * keep their precision; four decimals are the estimator's precision).
 */
export function numericColumn(name: string, withDefault = false): ColumnOptions {
  return {
    name,
    type: 'numeric',
    precision: 14,
    scale: 4,
    ...(withDefault ? { default: 0 } : {}),
    transformer: {
      to: (value: number | null | undefined) => value,
      from: (value: string | null) => (value === null ? null : Number(value)),
    },
  };
}
