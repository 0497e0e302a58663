import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Client, type Notification, type Pool, type PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { ENTITLEMENT_CHANGED_CHANNEL } from '../entitlements/entitlement-history.writer';
import { COUNTERS_CHANGED_CHANNEL } from './coverage-counters';
import { CoverageCountersCache } from './coverage-counters-cache';
import { EntitlementCache } from './entitlement-cache';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;
const CHANNELS = [ENTITLEMENT_CHANGED_CHANNEL, COUNTERS_CHANGED_CHANNEL];
const LISTEN = CHANNELS.map((channel) => `LISTEN ${channel}`).join('; ');

/**
 * Keeps this instance's coverage caches correct across instances, on one connection: `LISTEN
 * entitlement_changed` (the entitlement cache) and `LISTEN coverage_counters_changed` (the
 * counters cache), dropping the account named by each notification.
 *
 * - Postgres server: a dedicated connection (never one of the pool's). When it fails both caches
 *   are bypassed, and it reconnects with backoff; once listening again they are flushed whole
 *   (changes made while deaf were not heard).
 * - Embedded PGlite (one process, one database session): the pool's clients share that session,
 *   so the app's own connection hears the notifications; every client the pool opens is listened
 *   to.
 */
@Injectable()
export class EntitlementChangeListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(EntitlementChangeListener.name);
  private client: Client | null = null;
  private stopped = false;
  private reconnectDelayMs = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private readonly heard = new WeakSet<object>();
  private readonly dead = new WeakSet<Client>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
    private readonly cache: EntitlementCache,
    private readonly counters: CoverageCountersCache,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.database.url === undefined) {
      await this.listenEmbedded();
    } else {
      await this.connect();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.setLive(false);
    const client = this.client;
    this.client = null;
    if (client !== null) await client.end().catch(() => undefined);
  }

  /** Listening now (the cache may serve from memory). */
  isListening(): boolean {
    return this.cache.isLive();
  }

  private onNotification = (message: Notification): void => {
    const cache =
      message.channel === ENTITLEMENT_CHANGED_CHANNEL
        ? this.cache
        : message.channel === COUNTERS_CHANGED_CHANNEL
          ? this.counters
          : null;
    if (cache === null) return;
    if (message.payload === undefined || message.payload === '') {
      cache.flush();
    } else {
      // One account, or several comma-separated (`CountersChangeAnnouncer` batches them).
      for (const accountId of message.payload.split(',')) cache.invalidate(accountId);
    }
  };

  /** Both caches follow the one connection: they serve from memory only while it listens. */
  private setLive(live: boolean): void {
    this.cache.setLive(live);
    this.counters.setLive(live);
  }

  private async connect(): Promise<void> {
    const url = this.config.database.url;
    if (url === undefined || this.stopped) return;
    const client = new Client({
      connectionString: url,
      application_name: 'entitlement-service-listener',
      keepAlive: true,
      connectionTimeoutMillis: 5000,
    });
    client.on('notification', this.onNotification);
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(LISTEN);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.reconnectDelayMs = RECONNECT_MIN_MS;
    // Whatever changed while nobody listened is unknown: start from empty caches.
    this.setLive(true);
  }

  /** Each client is lost once (its error and end events both land here): one reconnect each. */
  private lost(client: Client, err?: unknown): void {
    if (this.dead.has(client)) return;
    this.dead.add(client);
    if (this.client === client) this.client = null;
    this.setLive(false);
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(
      { err },
      `entitlement change listener disconnected; retrying in ${this.reconnectDelayMs} ms`,
    );
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(RECONNECT_MAX_MS, delay * 2);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }

  private async listenEmbedded(): Promise<void> {
    const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
    const hear = (client: PoolClient): void => {
      if (this.heard.has(client)) return;
      this.heard.add(client);
      client.on('notification', this.onNotification);
    };
    pool.on('connect', hear);
    const client = await pool.connect();
    try {
      hear(client);
      await client.query(LISTEN);
    } finally {
      client.release();
    }
    this.setLive(true);
  }
}
