import { errorFactory } from '../common/errors/app.exception';

/** Errors of job admission (the catalog's `unknown_model` and `invalid_job_parameter` are reused). */
export enum CoverageErrorCode {
  JobNotFound = 'job_not_found',
  JobFinished = 'job_finished',
  LeaseExpired = 'lease_expired',
  JobIdConflict = 'job_id_conflict',
}

export const coverageError = errorFactory<CoverageErrorCode>({
  [CoverageErrorCode.JobNotFound]: { status: 404, message: 'No job with this id was admitted.' },
  [CoverageErrorCode.JobFinished]: {
    status: 409,
    message: 'The job is already finished with another outcome.',
  },
  [CoverageErrorCode.LeaseExpired]: {
    status: 409,
    message: 'The job lease expired without a heartbeat: the job counts as timed out.',
  },
  [CoverageErrorCode.JobIdConflict]: {
    status: 409,
    message: 'This jobId was already used for a different job request.',
  },
});
