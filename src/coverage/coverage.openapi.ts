import { getSchemaPath, type OpenAPIObject } from '@nestjs/swagger';
import {
  CoverageDecisionDto,
  FinishResponseDto,
  HeartbeatResponseDto,
  JobDecisionDto,
} from './dto/coverage-decision.dto';
import { FinishJobDto } from './dto/finish-job.dto';
import { CoverageRequestDto, JobRequestDto } from './dto/job-request.dto';

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['post']>;
interface ResponseObject {
  description: string;
  content?: Record<string, { schema: { $ref: string } }>;
}

/** The DTOs the gateway routes' description refers to (the document must carry their schemas). */
export const COVERAGE_ROUTE_MODELS = [
  CoverageRequestDto,
  JobRequestDto,
  FinishJobDto,
  CoverageDecisionDto,
  JobDecisionDto,
  HeartbeatResponseDto,
  FinishResponseDto,
];

const json = (model: { name: string }) => ({
  'application/json': { schema: { $ref: getSchemaPath(model.name) } },
});

const answer = (description: string, model?: { name: string }): ResponseObject =>
  model === undefined ? { description } : { description, content: json(model) };

const jobIdParameter = {
  name: 'jobId',
  in: 'path' as const,
  required: true,
  schema: { type: 'string' as const, maxLength: 128, example: 'job_01HZX3' },
};

function operation(
  id: string,
  summary: string,
  responses: Record<string, ResponseObject>,
  body?: { name: string },
  withJobId = false,
): OperationObject {
  return {
    operationId: `Coverage_${id}`,
    summary,
    tags: ['coverage'],
    security: [{ bearer: [] }],
    parameters: withJobId ? [jobIdParameter] : [],
    ...(body === undefined ? {} : { requestBody: { required: true, content: json(body) } }),
    responses: {
      ...responses,
      '400': answer('validation_failed, invalid_json, invalid_job_parameter'),
      '401': answer('unauthenticated: no gateway key'),
      '403': answer('forbidden: a key of another scope'),
    },
  };
}

/**
 * Adds the gateway routes (served by Fastify directly, so Nest's explorer does not see them) to
 * the OpenAPI document, with the same DTO schemas their validation uses.
 */
export function describeCoverageRoutes(document: OpenAPIObject): void {
  document.paths['/v1/coverage'] = {
    post: operation(
      'check',
      'Is this job covered, at what priority (decision only, no slot)',
      {
        '200': answer('The decision.', CoverageDecisionDto),
        '422': answer('unknown_model'),
      },
      CoverageRequestDto,
    ),
  };
  document.paths['/v1/jobs'] = {
    post: operation(
      'admit',
      'Admit a job: the decision plus a lease (idempotent by jobId)',
      {
        '201': answer('Covered: a slot is held.', JobDecisionDto),
        '200': answer('Not covered: pay with the fallback.', JobDecisionDto),
        '409': answer('job_id_conflict: the jobId was used for another request'),
        '422': answer('unknown_model'),
        '429': answer(
          'Covered, but the plan’s concurrency is used up: retry after Retry-After.',
          JobDecisionDto,
        ),
      },
      JobRequestDto,
    ),
  };
  document.paths['/v1/jobs/{jobId}/heartbeat'] = {
    post: operation(
      'heartbeat',
      'Extend a running job’s lease',
      {
        '200': answer('The lease now ends later.', HeartbeatResponseDto),
        '404': answer('job_not_found'),
        '409': answer('job_finished or lease_expired'),
      },
      undefined,
      true,
    ),
  };
  document.paths['/v1/jobs/{jobId}/finish'] = {
    post: operation(
      'finish',
      'Report a job’s outcome and free its slot',
      {
        '200': answer('The outcome is recorded.', FinishResponseDto),
        '404': answer('job_not_found'),
        '409': answer('job_finished or lease_expired'),
      },
      FinishJobDto,
      true,
    ),
  };
}
