import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeys } from './auth/api-keys';
import { Clock, SystemClock } from './clock';
import { HttpExceptionFilter } from './errors/http-exception.filter';

@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    ApiKeys,
    HttpExceptionFilter,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useExisting: HttpExceptionFilter },
  ],
  exports: [Clock, ApiKeys, HttpExceptionFilter],
})
export class CommonModule {}
