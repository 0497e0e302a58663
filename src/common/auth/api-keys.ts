import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, type AppConfig, type ApiScope } from '../../config/app-config';
import { commonError, CommonErrorCode } from '../errors/common-errors';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The configured API keys. A presented key is compared as a SHA-256 digest with
 * `timingSafeEqual` against every configured key, so the time taken says nothing about which key
 * nearly matched. Used by the global `ApiKeyGuard` and by the gateway routes Fastify serves
 * directly.
 */
@Injectable()
export class ApiKeys {
  private readonly keys: { scope: ApiScope; digest: Buffer }[];

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = config.apiKeys.map((k) => ({ scope: k.scope, digest: digest(k.secret) }));
  }

  /**
   * The scope of the key in an `Authorization: Bearer …` header, when it is one of `allowed`;
   * else 401 (no key, not a key of ours) or 403 (a key of another scope).
   */
  authorize(header: string | string[] | undefined, allowed: readonly ApiScope[]): ApiScope {
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw commonError(CommonErrorCode.Unauthenticated);

    const presented = digest(match[1]);
    let scope: ApiScope | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.digest) && scope === undefined) scope = key.scope;
    }
    if (scope === undefined) {
      throw commonError(CommonErrorCode.Unauthenticated, 'The API key is not valid.');
    }
    if (!allowed.includes(scope)) {
      throw commonError(
        CommonErrorCode.Forbidden,
        `This endpoint needs a key with scope ${allowed.join(' or ')}.`,
      );
    }
    return scope;
  }
}
