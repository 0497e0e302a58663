/**
 * A stateful fake of the Google Play Developer API (androidpublisher v3) on loopback, speaking
 * Google's paths and JSON:
 *
 *   GET  /androidpublisher/v3/applications/{packageName}/purchases/subscriptionsv2/tokens/{token}
 *   POST /androidpublisher/v3/applications/{packageName}/purchases/subscriptions/{subscriptionId}/tokens/{token}:acknowledge
 *
 * Errors use Google's body `{"error": {"code", "message", "errors": [{message, domain, reason}], "status"}}`.
 * Tests store resources (`put`/`update`), script failures (500/503/429/404/410/400, hangs), and
 * read the request log. The service under test reaches it through `GOOGLE_PLAY_API_URL = fake.rootUrl`
 * with `GOOGLE_PLAY_ACCESS_TOKEN = fake.accessToken`.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SubscriptionPurchaseV2 } from './subscription-purchase.builder';

export type PlayApiCall = 'subscriptionsv2.get' | 'subscriptions.acknowledge';

export interface PlayApiRequestRecord {
  call: PlayApiCall | 'unknown';
  method: string;
  path: string;
  packageName: string | null;
  token: string | null;
  subscriptionId: string | null;
  authorization: string | null;
  status: number;
}

export interface ScriptedFailure {
  /** Which call fails (any when omitted). */
  call?: PlayApiCall;
  /** Only for this purchase token (any when omitted). */
  token?: string;
  /** The HTTP status to answer, or `hang` to never answer (the client must time out). */
  status: 400 | 401 | 403 | 404 | 410 | 429 | 500 | 502 | 503 | 'hang';
  /** How many matching requests fail (default 1). */
  times?: number;
}

interface GoogleErrorShape {
  message: string;
  status: string;
  reason: string;
  domain?: string;
}

const ERRORS: Record<number, GoogleErrorShape> = {
  400: { message: 'Invalid Value', status: 'INVALID_ARGUMENT', reason: 'invalid' },
  401: {
    message:
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    status: 'UNAUTHENTICATED',
    reason: 'required',
  },
  403: {
    message: 'The current user has insufficient permissions to perform the requested operation.',
    status: 'PERMISSION_DENIED',
    reason: 'permissionDenied',
    domain: 'androidpublisher',
  },
  404: {
    message: 'The purchase token was not found.',
    status: 'NOT_FOUND',
    reason: 'purchaseTokenNotFound',
    domain: 'androidpublisher',
  },
  410: {
    message:
      'The subscription purchase is no longer available for query because it has been expired for too long.',
    status: 'NOT_FOUND',
    reason: 'subscriptionPurchaseNoLongerAvailable',
    domain: 'androidpublisher',
  },
  429: {
    message:
      "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute' of service 'androidpublisher.googleapis.com'.",
    status: 'RESOURCE_EXHAUSTED',
    reason: 'rateLimitExceeded',
  },
  500: { message: 'Internal error encountered.', status: 'INTERNAL', reason: 'backendError' },
  502: { message: 'Bad Gateway', status: 'UNAVAILABLE', reason: 'backendError' },
  503: {
    message: 'The service is currently unavailable.',
    status: 'UNAVAILABLE',
    reason: 'backendError',
  },
};

const GET_PATH =
  /^\/androidpublisher\/v3\/applications\/([^/]+)\/purchases\/subscriptionsv2\/tokens\/([^/]+)$/;
const ACK_PATH =
  /^\/androidpublisher\/v3\/applications\/([^/]+)\/purchases\/subscriptions\/([^/]+)\/tokens\/([^/]+):acknowledge$/;

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export class FakePlayDeveloperApi {
  /** Every request, in arrival order. */
  readonly requests: PlayApiRequestRecord[] = [];

  private readonly purchases = new Map<string, SubscriptionPurchaseV2>();
  private failures: (ScriptedFailure & { remaining: number })[] = [];
  private readonly hanging = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly rootUrl: string,
    /** The bearer token the fake accepts; null accepts any request (no check). */
    readonly accessToken: string | null,
  ) {}

  static async start(options: { accessToken?: string | null } = {}): Promise<FakePlayDeveloperApi> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const token =
      options.accessToken === undefined ? 'ya29.fake-play-access-token' : options.accessToken;
    const fake = new FakePlayDeveloperApi(server, `http://127.0.0.1:${port}`, token);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void fake.handle(req, res);
    });
    return fake;
  }

  /** Stores (replaces) the resource of a purchase token. */
  put(packageName: string, token: string, resource: SubscriptionPurchaseV2): void {
    this.purchases.set(this.key(packageName, token), clone(resource));
  }

  /** Changes a stored resource in place. */
  update(packageName: string, token: string, change: (r: SubscriptionPurchaseV2) => void): void {
    const current = this.purchases.get(this.key(packageName, token));
    if (!current) throw new Error(`No purchase ${token} in the fake`);
    change(current);
  }

  /** The stored resource (a copy), or undefined. */
  get(packageName: string, token: string): SubscriptionPurchaseV2 | undefined {
    const r = this.purchases.get(this.key(packageName, token));
    return r ? clone(r) : undefined;
  }

  remove(packageName: string, token: string): void {
    this.purchases.delete(this.key(packageName, token));
  }

  /** Makes the next matching request(s) fail. Rules are consumed in the order given. */
  fail(failure: ScriptedFailure): void {
    this.failures.push({ ...failure, remaining: failure.times ?? 1 });
  }

  clearFailures(): void {
    this.failures = [];
  }

  /** Requests of one call (optionally for one token). */
  calls(call: PlayApiCall, token?: string): PlayApiRequestRecord[] {
    return this.requests.filter(
      (r) => r.call === call && (token === undefined || r.token === token),
    );
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private key(packageName: string, token: string): string {
    return `${packageName}\u0000${token}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Drain the body (acknowledge sends `{}` or a developerPayload).
    for await (const chunk of req) void chunk;
    const url = new URL(req.url ?? '/', this.rootUrl);
    const path = url.pathname;
    const record: PlayApiRequestRecord = {
      call: 'unknown',
      method: req.method ?? '',
      path,
      packageName: null,
      token: null,
      subscriptionId: null,
      authorization: req.headers.authorization ?? null,
      status: 0,
    };
    this.requests.push(record);

    const get = req.method === 'GET' ? GET_PATH.exec(path) : null;
    const ack = req.method === 'POST' ? ACK_PATH.exec(path) : null;
    if (get) {
      record.call = 'subscriptionsv2.get';
      record.packageName = decodeURIComponent(get[1]);
      record.token = decodeURIComponent(get[2]);
    } else if (ack) {
      record.call = 'subscriptions.acknowledge';
      record.packageName = decodeURIComponent(ack[1]);
      record.subscriptionId = decodeURIComponent(ack[2]);
      record.token = decodeURIComponent(ack[3]);
    } else {
      this.sendError(res, record, 404, {
        message: 'Method not found.',
        status: 'NOT_FOUND',
        reason: 'notFound',
      });
      return;
    }

    if (this.accessToken !== null && record.authorization !== `Bearer ${this.accessToken}`) {
      const shape = record.authorization
        ? {
            ...ERRORS[401],
            message:
              'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
            reason: 'authError',
          }
        : ERRORS[401];
      this.sendError(res, record, 401, shape, {
        'www-authenticate': 'Bearer realm="https://accounts.google.com/"',
      });
      return;
    }

    const failure = this.failures.find(
      (f) =>
        f.remaining > 0 &&
        (!f.call || f.call === record.call) &&
        (!f.token || f.token === record.token),
    );
    if (failure) {
      failure.remaining -= 1;
      this.failures = this.failures.filter((f) => f.remaining > 0);
      if (failure.status === 'hang') {
        record.status = -1;
        this.hanging.add(res);
        res.on('close', () => this.hanging.delete(res));
        return;
      }
      this.sendError(res, record, failure.status, ERRORS[failure.status]);
      return;
    }

    const resource = this.purchases.get(this.key(record.packageName!, record.token!));
    if (!resource) {
      this.sendError(res, record, 404, ERRORS[404]);
      return;
    }

    if (record.call === 'subscriptionsv2.get') {
      this.send(res, record, 200, JSON.stringify(resource, null, 2));
      return;
    }

    // acknowledge
    const owns = (resource.lineItems ?? []).some((i) => i.productId === record.subscriptionId);
    const state = resource.subscriptionState;
    if (
      !owns ||
      state === 'SUBSCRIPTION_STATE_PENDING' ||
      state === 'SUBSCRIPTION_STATE_PENDING_PURCHASE_CANCELED' ||
      state === 'SUBSCRIPTION_STATE_EXPIRED'
    ) {
      this.sendError(res, record, 400, ERRORS[400]);
      return;
    }
    resource.acknowledgementState = 'ACKNOWLEDGEMENT_STATE_ACKNOWLEDGED';
    // Google answers an empty body on success.
    this.send(res, record, 200, '');
  }

  private send(
    res: ServerResponse,
    record: PlayApiRequestRecord,
    status: number,
    body: string,
  ): void {
    record.status = status;
    const headers: Record<string, string> = { vary: 'Origin, X-Origin, Referer' };
    if (body.length > 0) headers['content-type'] = 'application/json; charset=UTF-8';
    res.writeHead(status, headers).end(body);
  }

  private sendError(
    res: ServerResponse,
    record: PlayApiRequestRecord,
    code: number,
    shape: GoogleErrorShape,
    headers: Record<string, string> = {},
  ): void {
    record.status = code;
    const body = {
      error: {
        code,
        message: shape.message,
        errors: [
          { message: shape.message, domain: shape.domain ?? 'global', reason: shape.reason },
        ],
        status: shape.status,
      },
    };
    res
      .writeHead(code, { 'content-type': 'application/json; charset=UTF-8', ...headers })
      .end(JSON.stringify(body, null, 2));
  }
}
