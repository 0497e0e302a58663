/** The pure entitlement domain: snapshots in, stored state, transitions and entitlement out. */
export * from './subscription-snapshot';
export * from './entitlement-policy';
export * from './subscription-state';
export * from './effective-state';
export * from './transition';
export * from './derive-entitlement';
