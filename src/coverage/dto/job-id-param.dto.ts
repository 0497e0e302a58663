import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class JobIdParamDto {
  @ApiProperty({ example: 'job_01HZX3' })
  @IsString()
  @MaxLength(128)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'jobId must use only letters, digits and . _ : -' })
  jobId!: string;
}
