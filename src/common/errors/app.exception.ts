/**
 * The one exception type of the service. A code (snake_case, from a module's error-code enum),
 * an HTTP status and a sentence for a human. The global filter renders it as the error envelope.
 */
export class AppException extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppException';
  }
}

/** Declares a module's error codes with their status and message in one table. */
export type ErrorCatalog<C extends string> = Record<C, { status: number; message: string }>;

export function errorFactory<C extends string>(catalog: ErrorCatalog<C>) {
  return (code: C, message?: string, headers?: Record<string, string>): AppException =>
    new AppException(code, catalog[code].status, message ?? catalog[code].message, headers);
}

/** The error envelope's body: `{"error": {"code", "message"}}`, the shape of every refusal. */
export function errorBody(
  code: string,
  message: string,
): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
