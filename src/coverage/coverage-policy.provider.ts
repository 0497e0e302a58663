import type { AppConfig } from '../config/app-config';
import type { CoveragePolicy } from './domain';

/** The decision's policy from the validated configuration. */
export function coveragePolicyFrom(config: AppConfig): CoveragePolicy {
  const { fairUse, trial } = config.coverage;
  return {
    fairUse: {
      unlimited: { ...fairUse.unlimited },
      unlimited_pro: { ...fairUse.unlimited_pro },
    },
    trial: { ...trial },
  };
}
