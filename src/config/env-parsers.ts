/**
 * Small, typed parsers for environment variables. Each returns a value or throws a
 * `ConfigValueError` whose message says what is wrong (never the value itself: it may be a secret).
 */
export class ConfigValueError extends Error {}

export type Env = Record<string, string | undefined>;

export function str(env: Env, name: string, fallback?: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.trim();
}

export function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw))
    throw new ConfigValueError(`must be an integer between ${min} and ${max}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigValueError(`must be between ${min} and ${max}`);
  return value;
}

export function num(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value))
    throw new ConfigValueError(`must be a number between ${min} and ${max}`);
  if (value < min || value > max) throw new ConfigValueError(`must be between ${min} and ${max}`);
  return value;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigValueError('must be true or false');
}

export function url(
  env: Env,
  name: string,
  protocols: string[] = ['http:', 'https:'],
): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigValueError('must be an absolute URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigValueError(`must use ${protocols.join(' or ')}`);
  }
  return raw.replace(/\/+$/, '');
}

export function list(env: Env, name: string): string[] | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function oneOfList<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T[],
): T[] {
  const values = list(env, name);
  if (values === undefined) return fallback;
  const bad = values.filter((v) => !allowed.includes(v as T));
  if (bad.length > 0 || values.length === 0) {
    throw new ConfigValueError(`must be a comma-separated list of ${allowed.join(', ')}`);
  }
  return [...new Set(values)] as T[];
}
