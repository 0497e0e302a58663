import type { MigrationInterface } from 'typeorm';

/**
 * Every migration, in order. Listed explicitly (not globbed) so the app, the CLI, the drift check and
 * the tests load the same classes whether compiled or run from TypeScript.
 */
export const MIGRATIONS: (new () => MigrationInterface)[] = [];
