import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

export const JOB_OUTCOMES = ['completed', 'failed', 'canceled', 'timed_out', 'refunded'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

/** `POST /v1/jobs/{jobId}/finish`. */
export class FinishJobDto {
  @ApiProperty({
    enum: JOB_OUTCOMES,
    description:
      'Only completed covered jobs count toward fair use and trial allowances; refunded after ' +
      'completed takes the job off again.',
  })
  @IsIn(JOB_OUTCOMES)
  outcome!: JobOutcome;
}
