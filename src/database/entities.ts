/**
 * Every TypeORM entity of the service, listed once for the app, the CLI and the drift check.
 * Add new entities here (one line each).
 */
export const ENTITIES: (new () => object)[] = [];
