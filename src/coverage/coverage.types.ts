/** What an admission route answers; `CoverageGuard` turns it into the HTTP response. */
export interface CoverageOutcome<B extends object = object> {
  status: 200 | 201 | 429;
  body: B;
  /** Set on a 429: when to ask again. */
  retryAfterSeconds?: number;
}
