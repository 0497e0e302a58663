/**
 * Delay before the next attempt after `attempts` failed ones: base, 2x base, 4x base... capped at
 * `maxMs`. Deterministic (no jitter): events fail at unrelated times, so retries do not bunch up.
 */
export function backoffDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 40));
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

/** An error as one line for `last_error`: the code of a coded error, the message, bounded. */
export function describeError(error: unknown, maxLength = 2000): string {
  let text: string;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    text = typeof code === 'string' && code !== '' ? `${code}: ${error.message}` : error.message;
    if (text === '') text = error.name;
  } else {
    text = String(error);
  }
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
