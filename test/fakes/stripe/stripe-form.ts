/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracket nesting
 * (`metadata[account_id]=a`, `line_items[0][price]=p`, `expand[]=x`), as the SDK writes it.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

function splitKey(key: string): string[] {
  const first = key.indexOf('[');
  if (first < 0) return [key];
  const parts = [key.slice(0, first)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key.slice(first))) !== null) parts.push(m[1]);
  return parts;
}

function isIndex(segment: string): boolean {
  return segment === '' || /^\d+$/.test(segment);
}

/** Decodes a Stripe form body or query string into nested objects and arrays. */
export function parseStripeForm(encoded: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = {};
  if (!encoded) return root;
  for (const pair of encoded.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? '' : pair.slice(eq + 1);
    const key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
    const value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    const path = splitKey(key);
    let node: Record<string, FormValue> | FormValue[] = root;
    for (let i = 0; i < path.length; i += 1) {
      const segment = path[i];
      const last = i === path.length - 1;
      const nextIsIndex = !last && isIndex(path[i + 1]);
      if (Array.isArray(node)) {
        const index = segment === '' ? node.length : Number(segment);
        if (last) {
          node[index] = value;
        } else {
          if (node[index] === undefined || typeof node[index] === 'string') {
            node[index] = nextIsIndex ? [] : {};
          }
          node = node[index] as Record<string, FormValue> | FormValue[];
        }
      } else {
        if (last) {
          node[segment] = value;
        } else {
          const existing = node[segment];
          if (existing === undefined || typeof existing === 'string') {
            node[segment] = nextIsIndex ? [] : {};
          }
          node = node[segment] as Record<string, FormValue> | FormValue[];
        }
      }
    }
  }
  return root;
}

export function formString(value: FormValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function formObject(value: FormValue | undefined): Record<string, FormValue> | undefined {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value)
    ? value
    : undefined;
}

export function formArray(value: FormValue | undefined): FormValue[] {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined);
  // qs also accepts an object with numeric keys for arrays.
  const obj = formObject(value);
  if (obj)
    return Object.keys(obj)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => obj[k]);
  return value === undefined ? [] : [value];
}

/** `metadata[...]` as Stripe stores it: string values only, empty string deletes. */
export function formMetadata(value: FormValue | undefined): Record<string, string> {
  const obj = formObject(value) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) if (typeof v === 'string' && v !== '') out[k] = v;
  return out;
}
