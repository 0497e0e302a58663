import type { MigrationInterface } from 'typeorm';
import { CreateAccountTables1795300000000 } from './1795300000000-CreateAccountTables';
import { CreateInboxTables1795300000001 } from './1795300000001-CreateInboxTables';
import { CreateEntitlementTables1795300000002 } from './1795300000002-CreateEntitlementTables';
import { CreateCoverageTables1795300000010 } from './1795300000010-CreateCoverageTables';
import { CreateStripeTables1795300000300 } from './1795300000300-CreateStripeTables';
import { CreateAdmissionReadFunction1795300000400 } from './1795300000400-CreateAdmissionReadFunction';
import { CreateAdmissionReadManyFunction1795300000500 } from './1795300000500-CreateAdmissionReadManyFunction';
import { AdmissionReadIndexPlans1795300000600 } from './1795300000600-AdmissionReadIndexPlans';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the app, the CLI, the drift check and
 * the tests load the same classes whether compiled or run from TypeScript.
 */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  CreateAccountTables1795300000000,
  CreateInboxTables1795300000001,
  CreateEntitlementTables1795300000002,
  CreateCoverageTables1795300000010,
  CreateStripeTables1795300000300,
  CreateAdmissionReadFunction1795300000400,
  CreateAdmissionReadManyFunction1795300000500,
  AdmissionReadIndexPlans1795300000600,
];
