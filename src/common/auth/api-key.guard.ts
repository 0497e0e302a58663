import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig, ApiScope } from '../../config/app-config';
import { commonError, CommonErrorCode } from '../errors/common-errors';
import { PUBLIC_KEY, SCOPES_KEY } from './require-scopes.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  apiScope?: ApiScope;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Global guard: every route needs an API key with one of the scopes its `@RequireScopes` names;
 * a route that names none is admin-only (secure by default). `@Public()` routes skip it.
 * Keys are compared as SHA-256 digests with `timingSafeEqual`, over every configured key, so the
 * time taken says nothing about which key nearly matched.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { scope: ApiScope; digest: Buffer }[];

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.keys = config.apiKeys.map((k) => ({ scope: k.scope, digest: digest(k.secret) }));
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const allowed = this.reflector.getAllAndOverride<ApiScope[]>(SCOPES_KEY, targets) ?? ['admin'];

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
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
    request.apiScope = scope;
    return true;
  }
}
