import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { ApiScope } from '../../config/app-config';
import { ApiKeys } from './api-keys';
import { PUBLIC_KEY, SCOPES_KEY } from './require-scopes.decorator';

export interface AuthenticatedRequest extends FastifyRequest {
  apiScope?: ApiScope;
}

/**
 * Global guard: every route needs an API key with one of the scopes its `@RequireScopes` names;
 * a route that names none is admin-only (secure by default). `@Public()` routes skip it.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeys,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const allowed = this.reflector.getAllAndOverride<ApiScope[]>(SCOPES_KEY, targets) ?? ['admin'];

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.apiScope = this.keys.authorize(request.headers.authorization, allowed);
    return true;
  }
}
