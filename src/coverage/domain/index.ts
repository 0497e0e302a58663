/** The pure coverage domain: the decision, its policy and the UTC-day helpers. */
export * from './coverage-policy';
export * from './coverage-decision';
