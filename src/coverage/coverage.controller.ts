import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '../common/auth/require-scopes.decorator';
import { CoverageGuard } from './coverage.guard';
import { CoverageService } from './coverage.service';
import {
  CoverageDecisionDto,
  FinishResponseDto,
  HeartbeatResponseDto,
  JobDecisionDto,
} from './dto/coverage-decision.dto';
import { FinishJobDto } from './dto/finish-job.dto';
import { CoverageRequestDto, JobRequestDto } from './dto/job-request.dto';
import { JobAdmissionService } from './job-admission.service';
import { JobLeaseService } from './job-lease.service';
import { JobIdParamDto } from './dto/job-id-param.dto';

@ApiTags('coverage')
@ApiBearerAuth()
@RequireScopes('gateway')
@Controller('v1')
export class CoverageController {
  constructor(
    private readonly coverage: CoverageService,
    private readonly admission: JobAdmissionService,
    private readonly leases: JobLeaseService,
    private readonly guard: CoverageGuard,
  ) {}

  @Post('coverage')
  @ApiOperation({ summary: 'Is this job covered, at what priority (decision only, no slot)' })
  @ApiOkResponse({ type: CoverageDecisionDto })
  @ApiUnprocessableEntityResponse({ description: 'unknown_model' })
  async check(@Body() body: CoverageRequestDto, @Res() reply: FastifyReply): Promise<void> {
    this.guard.send(reply, await this.coverage.check(body));
  }

  @Post('jobs')
  @ApiOperation({ summary: 'Admit a job: the decision plus a lease (idempotent by jobId)' })
  @ApiCreatedResponse({ type: JobDecisionDto, description: 'Covered: a slot is held.' })
  @ApiOkResponse({ type: JobDecisionDto, description: 'Not covered: pay with the fallback.' })
  @ApiTooManyRequestsResponse({
    type: JobDecisionDto,
    description: 'Covered, but the plan’s concurrency is used up: retry after Retry-After.',
  })
  @ApiUnprocessableEntityResponse({ description: 'unknown_model' })
  @ApiConflictResponse({ description: 'job_id_conflict: the jobId was used for another request' })
  async admit(@Body() body: JobRequestDto, @Res() reply: FastifyReply): Promise<void> {
    this.guard.send(reply, await this.admission.admit(body));
  }

  @Post('jobs/:jobId/heartbeat')
  @HttpCode(200)
  @ApiOperation({ summary: 'Extend a running job’s lease' })
  @ApiOkResponse({ type: HeartbeatResponseDto })
  @ApiNotFoundResponse({ description: 'job_not_found' })
  @ApiConflictResponse({ description: 'job_finished or lease_expired' })
  heartbeat(@Param() params: JobIdParamDto): Promise<HeartbeatResponseDto> {
    return this.leases.heartbeat(params.jobId);
  }

  @Post('jobs/:jobId/finish')
  @HttpCode(200)
  @ApiOperation({ summary: 'Report a job’s outcome and free its slot' })
  @ApiOkResponse({ type: FinishResponseDto })
  @ApiNotFoundResponse({ description: 'job_not_found' })
  @ApiConflictResponse({ description: 'job_finished or lease_expired' })
  finish(@Param() params: JobIdParamDto, @Body() body: FinishJobDto): Promise<FinishResponseDto> {
    return this.leases.finish(params.jobId, body.outcome);
  }
}
