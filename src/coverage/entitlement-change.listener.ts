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
import { EntitlementCache } from './entitlement-cache';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/**
 * Keeps the entitlement cache of this instance correct across instances: `LISTEN
 * entitlement_changed` and drop the account named by each notification.
 *
 * - Postgres server: a dedicated connection (never one of the pool's). When it fails the cache is
 *   bypassed, and it reconnects with backoff; once listening again the whole cache is flushed
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
    this.cache.setLive(false);
    const client = this.client;
    this.client = null;
    if (client !== null) await client.end().catch(() => undefined);
  }

  /** Listening now (the cache may serve from memory). */
  isListening(): boolean {
    return this.cache.isLive();
  }

  private onNotification = (message: Notification): void => {
    if (message.channel !== ENTITLEMENT_CHANGED_CHANNEL) return;
    if (message.payload === undefined || message.payload === '') {
      this.cache.flush();
    } else {
      this.cache.invalidate(message.payload);
    }
  };

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
      await client.query(`LISTEN ${ENTITLEMENT_CHANGED_CHANNEL}`);
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
    // Whatever changed while nobody listened is unknown: start from an empty cache.
    this.cache.setLive(true);
  }

  /** Each client is lost once (its error and end events both land here): one reconnect each. */
  private lost(client: Client, err?: unknown): void {
    if (this.dead.has(client)) return;
    this.dead.add(client);
    if (this.client === client) this.client = null;
    this.cache.setLive(false);
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
      await client.query(`LISTEN ${ENTITLEMENT_CHANGED_CHANNEL}`);
    } finally {
      client.release();
    }
    this.cache.setLive(true);
  }
}
