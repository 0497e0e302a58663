import { SetMetadata } from '@nestjs/common';
import type { ApiScope } from '../../config/app-config';

export const SCOPES_KEY = 'auth:scopes';
export const PUBLIC_KEY = 'auth:public';

/** The API-key scopes allowed on a controller or handler (any one of them). */
export const RequireScopes = (...scopes: ApiScope[]) => SetMetadata(SCOPES_KEY, scopes);

/** No API key: health, metrics, docs and store webhooks (they carry their own proof). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);
