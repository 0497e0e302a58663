/**
 * Paths at which two JSON values differ (`latest.status`, `trialSignals.deviceIds[1]`...), for
 * readable replay reports. Pure.
 */
export function diffPaths(a: unknown, b: unknown, path = ''): string[] {
  if (Object.is(a, b)) return [];
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  const bothObjects =
    isPlainObject(a) && isPlainObject(b) && !Array.isArray(a) && !Array.isArray(b);
  if (bothArrays) {
    const left = a as unknown[];
    const right = b as unknown[];
    const out: string[] = [];
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      out.push(...diffPaths(left[i], right[i], `${path}[${i}]`));
    }
    return out;
  }
  if (bothObjects) {
    const left = a as Record<string, unknown>;
    const right = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    return keys.flatMap((key) => diffPaths(left[key], right[key], path ? `${path}.${key}` : key));
  }
  return [path === '' ? '(value)' : path];
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}
