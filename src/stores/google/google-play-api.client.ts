import { androidpublisher, auth } from '@googleapis/androidpublisher';
import type { androidpublisher_v3 } from '@googleapis/androidpublisher';
import type { AppConfig } from '../../config/app-config';
import type { SubscriptionPurchaseV2 } from './google-subscription.adapter';

export const ANDROID_PUBLISHER_SCOPE = 'https://www.googleapis.com/auth/androidpublisher';
const DEFAULT_TIMEOUT_MS = 15_000;

export type PlayApiErrorKind =
  | 'not_found'
  | 'gone'
  | 'invalid'
  | 'unauthorized'
  | 'rate_limited'
  | 'unavailable'
  | 'timeout'
  | 'network';

/** A failed Play Developer API call, classified: retry later, or never. */
export class PlayApiError extends Error {
  constructor(
    readonly kind: PlayApiErrorKind,
    readonly status: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'PlayApiError';
  }

  /** 404/410/400 for a token will never change; everything else may (credentials can be fixed too). */
  get retryable(): boolean {
    return !['not_found', 'gone', 'invalid'].includes(this.kind);
  }
}

/** The calls the service makes to the Play Developer API; swapped in tests only through its URL. */
export abstract class PlayDeveloperApi {
  /** `purchases.subscriptionsv2.get`. */
  abstract getSubscription(
    packageName: string,
    purchaseToken: string,
  ): Promise<SubscriptionPurchaseV2>;
  /** `purchases.subscriptions.acknowledge` (subscriptionId = the line item's productId). */
  abstract acknowledgeSubscription(
    packageName: string,
    productId: string,
    purchaseToken: string,
  ): Promise<void>;
}

export interface GooglePlayApiOptions {
  timeoutMs?: number;
}

/**
 * The googleapis Android Publisher client. Credentials, in order: the fixed bearer
 * `GOOGLE_PLAY_ACCESS_TOKEN` (a local fake or an authenticating proxy), the service-account key
 * file `GOOGLE_APPLICATION_CREDENTIALS`, else Application Default Credentials (workload identity).
 * The client's own retries are off: a failed read throws, and the inbox retries with backoff.
 */
export class GooglePlayDeveloperApi extends PlayDeveloperApi {
  private readonly api: androidpublisher_v3.Androidpublisher;

  constructor(config: AppConfig, options: GooglePlayApiOptions = {}) {
    super();
    const { playAccessToken, applicationCredentials, playApiUrl } = config.google;
    let client: androidpublisher_v3.Options['auth'];
    if (playAccessToken) {
      const oauth = new auth.OAuth2();
      oauth.setCredentials({ access_token: playAccessToken, token_type: 'Bearer' });
      client = oauth;
    } else {
      client = new auth.GoogleAuth({
        keyFile: applicationCredentials,
        scopes: [ANDROID_PUBLISHER_SCOPE],
      });
    }
    this.api = androidpublisher({
      version: 'v3',
      auth: client,
      ...(playApiUrl ? { rootUrl: `${playApiUrl}/` } : {}),
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retry: false,
    });
  }

  async getSubscription(
    packageName: string,
    purchaseToken: string,
  ): Promise<SubscriptionPurchaseV2> {
    try {
      const res = await this.api.purchases.subscriptionsv2.get({
        packageName,
        token: purchaseToken,
      });
      if (typeof res.data !== 'object' || res.data === null) {
        throw new PlayApiError(
          'unavailable',
          res.status,
          'subscriptionsv2.get answered without a JSON body',
        );
      }
      return res.data;
    } catch (err) {
      throw toPlayApiError(err, 'subscriptionsv2.get');
    }
  }

  async acknowledgeSubscription(
    packageName: string,
    productId: string,
    purchaseToken: string,
  ): Promise<void> {
    try {
      await this.api.purchases.subscriptions.acknowledge({
        packageName,
        subscriptionId: productId,
        token: purchaseToken,
        requestBody: {},
      });
    } catch (err) {
      throw toPlayApiError(err, 'subscriptions.acknowledge');
    }
  }
}

interface HttpishError {
  status?: unknown;
  code?: unknown;
  name?: unknown;
  message?: unknown;
  response?: { status?: unknown };
}

/** Classifies a gaxios/googleapis failure. The message names the call and the status only. */
export function toPlayApiError(err: unknown, call: string): PlayApiError {
  if (err instanceof PlayApiError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError;
  const status =
    typeof e.status === 'number'
      ? e.status
      : typeof e.response?.status === 'number'
        ? e.response.status
        : null;
  if (status !== null) {
    const kind: PlayApiErrorKind =
      status === 404
        ? 'not_found'
        : status === 410
          ? 'gone'
          : status === 401 || status === 403
            ? 'unauthorized'
            : status === 429
              ? 'rate_limited'
              : status >= 500
                ? 'unavailable'
                : 'invalid';
    return new PlayApiError(kind, status, `${call} failed with HTTP ${status}`);
  }
  const code = typeof e.code === 'string' ? e.code : '';
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (
    name === 'TimeoutError' ||
    code === 'TimeoutError' ||
    code === 'ETIMEDOUT' ||
    name === 'AbortError' ||
    /timeout|timed out|aborted/i.test(message)
  ) {
    return new PlayApiError('timeout', null, `${call} timed out`);
  }
  return new PlayApiError('network', null, `${call} failed: ${code || name || 'network error'}`);
}
