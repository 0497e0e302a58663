import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/app-config';
import { createApp } from './bootstrap';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`${e.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const app = await createApp(config);
  await app.listen({ port: config.port, host: '0.0.0.0' });

  // Graceful shutdown: stop accepting, let in-flight requests finish, stop the workers, close the
  // pool, then exit 0. A second signal while closing exits at once.
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) process.exit(1);
      closing = true;
      app
        .close()
        .then(() => process.exit(0))
        .catch((e: unknown) => {
          console.error('shutdown failed:', e instanceof Error ? e.message : e);
          process.exit(1);
        });
    });
  }
}

main().catch((e: unknown) => {
  console.error('fatal: the service could not start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
