import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './auth/api-key.guard';
import { Clock, SystemClock } from './clock';
import { HttpExceptionFilter } from './errors/http-exception.filter';

@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
  ],
  exports: [Clock],
})
export class CommonModule {}
