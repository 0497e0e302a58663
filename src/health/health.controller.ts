import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheckError, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../common/auth/require-scopes.decorator';
import { AppException } from '../common/errors/app.exception';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers.' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: the database answers.' })
  async ready(): Promise<{ status: 'ok'; info: unknown }> {
    try {
      const result = await this.health.check([
        () => this.db.pingCheck('database', { timeout: 1500 }),
      ]);
      return { status: 'ok', info: result.info };
    } catch (e) {
      if (
        e instanceof HealthCheckError ||
        (e as { getStatus?: () => number }).getStatus?.() === 503
      ) {
        throw new AppException('not_ready', 503, 'Not ready: the database does not answer.', {
          'retry-after': '1',
        });
      }
      throw e;
    }
  }
}
