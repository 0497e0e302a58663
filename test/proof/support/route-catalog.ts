import request from 'supertest';
import type { TestApp } from '../../support/test-app';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI form, e.g. `/v1/jobs/{jobId}/finish`. */
  path: string;
  pathParams: string[];
  /** Property names of the JSON request body, when the route takes one. */
  bodyFields: string[];
  /** Query parameter names the route documents. */
  queryParams: string[];
}

interface OpenApiDoc {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { in: string; name: string }[];
        requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
      }
    >
  >;
  components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
}

/** Routes every build has even when they are left out of the OpenAPI document. */
const ALWAYS: RouteSpec[] = [
  { method: 'GET', path: '/metrics', pathParams: [], bodyFields: [], queryParams: [] },
  { method: 'GET', path: '/docs-json', pathParams: [], bodyFields: [], queryParams: [] },
];

/** Every route of the running app, read from its own OpenAPI document (so new routes are fuzzed too). */
export async function discoverRoutes(t: TestApp): Promise<RouteSpec[]> {
  const res = await request(t.server).get('/docs-json');
  if (res.status !== 200) throw new Error(`no OpenAPI document: ${res.status}`);
  const doc = res.body as OpenApiDoc;
  const schemas = doc.components?.schemas ?? {};
  const routes: RouteSpec[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = ref ? schemas[ref.split('/').pop()!] : undefined;
      routes.push({
        method: method.toUpperCase() as RouteSpec['method'],
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        bodyFields: Object.keys(schema?.properties ?? {}),
        queryParams: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      });
    }
  }
  for (const r of ALWAYS) {
    if (!routes.some((x) => x.method === r.method && x.path === r.path)) routes.push(r);
  }
  return routes;
}

/**
 * Percent-encodes every UTF-16 code unit as its (WTF-8) bytes, so even a lone surrogate, which
 * `encodeURIComponent` refuses, reaches the server as the bytes a hostile client would send.
 */
export function encodeAny(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(ch);
    }
  }
  return out;
}

/** The concrete URL path of a route with its parameters filled in (URL-encoded). */
export function fillPath(route: RouteSpec, values: string[]): string {
  let i = 0;
  return route.path.replace(/\{\w+\}/g, () => encodeAny(values[i++ % values.length] ?? 'x'));
}
