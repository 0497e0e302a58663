import fc from 'fast-check';
import { compileBodyCheck } from '../common/body-check';
import { createValidationPipe } from '../common/validation';
import { SPEEDS } from '../catalog/catalog.types';
import { CHANNELS } from './domain';
import { FinishJobDto, JOB_OUTCOMES } from './dto/finish-job.dto';
import { JobIdParamDto } from './dto/job-id-param.dto';
import { CoverageRequestDto, JobRequestDto } from './dto/job-request.dto';

const pipe = createValidationPipe();

async function pipeAccepts(dto: new () => object, value: unknown): Promise<boolean> {
  try {
    // The pipe may transform in place: give it its own copy.
    const copy: unknown = value === undefined ? undefined : structuredClone(value);
    await pipe.transform(copy, { type: 'body', metatype: dto });
    return true;
  } catch {
    return false;
  }
}

/** Values near every rule's edges, and anything at all. */
const text = fc.oneof(
  fc.constantFrom(
    '',
    'a',
    'acct_1',
    'job_01HZX3',
    'x'.repeat(64),
    'x'.repeat(65),
    'a b',
    'é',
    'sdxl-1024\u0000',
    '\u0000',
  ),
  fc.string({ maxLength: 140 }),
);
const number = fc.oneof(
  fc.constantFrom(0, 1, -1, 1.5, 1024, Number.MAX_SAFE_INTEGER, 1e300),
  fc.integer(),
  fc.double(),
);
const anyValue = fc.oneof(
  text,
  number,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...SPEEDS, ...CHANNELS, ...JOB_OUTCOMES, 'sdxl-1024'),
  fc.anything(),
);
const KEYS = [
  'a\u0000',
  'accountId',
  'modelId',
  'jobId',
  'channel',
  'targetWorkerId',
  'speed',
  'width',
  'height',
  'steps',
  'count',
  'durationSeconds',
  'frames',
  'fps',
  'resolution',
  'references',
  'videoReference',
  'quality',
  'inputTokens',
  'outputTokens',
  'outcome',
  'unknownField',
];
const body = fc.oneof(
  fc.dictionary(fc.constantFrom(...KEYS), anyValue, { maxKeys: 8 }),
  fc.anything(),
);

/** A body each DTO accepts, so that both verdicts are exercised. */
const VALID: [new () => object, Record<string, unknown>][] = [
  [
    CoverageRequestDto,
    { accountId: 'acct_1', modelId: 'sdxl-1024', channel: 'api', speed: 'fast' },
  ],
  [
    JobRequestDto,
    { accountId: 'acct_1', modelId: 'sdxl-1024', jobId: 'job_1', width: 512, videoReference: 2 },
  ],
  [FinishJobDto, { outcome: 'completed' }],
  [JobIdParamDto, { jobId: 'job_01HZX3' }],
];

describe('compiled body checks of the gateway DTOs', () => {
  it.each(VALID)(
    '%p: accepts a valid body, refuses it with an unknown field',
    async (dto, valid) => {
      const check = compileBodyCheck(dto);
      expect(check(valid)).toBe(true);
      expect(await pipeAccepts(dto, valid)).toBe(true);
      expect(check({ ...valid, extra: 1 })).toBe(false);
      expect(check(undefined)).toBe(false);
      expect(check([valid])).toBe(false);
    },
  );

  it.each(VALID)(
    '%p: says yes exactly when the global validation pipe does',
    async (dto, valid) => {
      const check = compileBodyCheck(dto);
      const nearValid = fc
        .tuple(fc.constantFrom(...Object.keys(valid), ...KEYS), anyValue)
        .map(([key, value]) => ({ ...valid, [key]: value }));
      await fc.assert(
        fc.asyncProperty(fc.oneof(body, nearValid), async (value) => {
          expect(check(value)).toBe(await pipeAccepts(dto, value));
        }),
        { numRuns: 1500 },
      );
    },
  );
});
