import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig, type ApiScope } from '../../config/app-config';
import { commonError, CommonErrorCode } from '../errors/common-errors';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Distinct accepted headers remembered (a key's header may vary in case and spacing). */
const MAX_REMEMBERED = 64;

/**
 * The configured API keys. A presented key is compared as a SHA-256 digest with
 * `timingSafeEqual` against every configured key, so the time taken says nothing about which key
 * nearly matched. Used by the global `ApiKeyGuard` and by the gateway routes Fastify serves
 * directly.
 *
 * A header that was accepted once is remembered with its key's scope (the gateway presents the
 * same header thousands of times a second): only accepted headers, so what is remembered is
 * bounded by the configured keys (and `MAX_REMEMBERED`), and a refused header always takes the
 * digest path. Looking a header up tells nothing about a key it does not equal: the map hashes
 * the whole header and compares strings only on an equal hash.
 */
@Injectable()
export class ApiKeys {
  private readonly keys: { scope: ApiScope; digest: Buffer }[];
  private readonly accepted = new Map<string, ApiScope>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = config.apiKeys.map((k) => ({ scope: k.scope, digest: digest(k.secret) }));
  }

  /**
   * The scope of the key in an `Authorization: Bearer …` header, when it is one of `allowed`;
   * else 401 (no key, not a key of ours) or 403 (a key of another scope).
   */
  authorize(header: string | string[] | undefined, allowed: readonly ApiScope[]): ApiScope {
    const scope =
      (typeof header === 'string' && this.accepted.get(header)) || this.identify(header);
    if (!allowed.includes(scope)) {
      throw commonError(
        CommonErrorCode.Forbidden,
        `This endpoint needs a key with scope ${allowed.join(' or ')}.`,
      );
    }
    return scope;
  }

  /** The scope of the header's key, compared digest to digest; remembered when it is a key of ours. */
  private identify(header: string | string[] | undefined): ApiScope {
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw commonError(CommonErrorCode.Unauthenticated);
    const accepted = match.input;

    const presented = digest(match[1]);
    let scope: ApiScope | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest) && scope === undefined) scope = key.scope;
    }
    if (scope === undefined) {
      throw commonError(CommonErrorCode.Unauthenticated, 'The API key is not valid.');
    }
    if (this.accepted.size < MAX_REMEMBERED) this.accepted.set(accepted, scope);
    return scope;
  }
}
