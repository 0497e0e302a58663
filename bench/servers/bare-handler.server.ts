/**
 * The ceiling: a bare Fastify server with one handler that parses a JSON body and answers a small
 * JSON, nothing else (no logging, no validation, no database). Any Node endpoint on this machine
 * is measured against it. Runs as a process of its own; prints its port when listening.
 */
import Fastify from 'fastify';

async function main(): Promise<void> {
  const app = Fastify({ logger: false });
  app.post('/bare', async () => ({ ok: true, covered: true }));
  app.get('/bare', async () => ({ ok: true, covered: true }));
  const port = Number(process.env.PORT ?? 0);
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(
    `listening ${typeof address === 'object' && address ? address.port : port}\n`,
  );
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
