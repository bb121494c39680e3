import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { TestClient } from './cookie-jar.js';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
};

/** Values near and beyond a schema's edges, plus junk of every JSON type. */
export function arbitraryFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const junk = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.string(),
    fc.constant('4242 4242 4242 4242'),
    fc.constant('<script>alert(1)</script>'),
    fc.constant("' or 1=1 --"),
    fc.constant('__proto__'),
  );
  if (!schema || depth > 4) return junk;
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => arbitraryFor(s, depth + 1)), junk);
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), junk);
  if (schema.const !== undefined) return fc.oneof(fc.constant(schema.const), junk);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      const max = schema.maxLength ?? 64;
      const valid =
        schema.format === 'email'
          ? fc.emailAddress()
          : schema.format === 'uuid'
            ? fc.uuid()
            : fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(max, 200) });
      return fc.oneof(
        { weight: 3, arbitrary: valid },
        fc.string({ minLength: max, maxLength: max + 50 }),
        fc.string({ unit: 'grapheme', maxLength: 50 }),
        junk,
      );
    }
    case 'integer':
    case 'number':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 }),
        fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53, -(2 ** 53), 1.5, Number.MAX_SAFE_INTEGER),
        junk,
      );
    case 'boolean':
      return fc.oneof(fc.boolean(), junk);
    case 'array':
      return fc.oneof(fc.array(arbitraryFor(schema.items, depth + 1), { maxLength: 5 }), junk);
    case 'object': {
      const props = schema.properties ?? {};
      const record = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, s]) => [k, arbitraryFor(s, depth + 1)])),
        { requiredKeys: [] },
      );
      const withExtra = fc.tuple(record, fc.string({ minLength: 1, maxLength: 10 }), junk).map(([r, k, v]) => ({
        ...(r as object),
        [k]: v,
      }));
      return fc.oneof({ weight: 3, arbitrary: record }, withExtra, junk);
    }
    default:
      return junk;
  }
}

export const MALFORMED_BODIES = [
  '{',
  '{"a":',
  '[]',
  'null',
  '"x"',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\u0000',
  '{"a":1}'.repeat(1000),
  '{"email":"a@b.co","password":"x","email":"c@d.co"}',
];

function assertSafe(res: { statusCode: number; body: string }, what: string): void {
  assert.ok(res.statusCode < 500, `${what} answered ${res.statusCode}: ${res.body}`);
  assert.doesNotMatch(res.body, /\bat .+\.(ts|js):\d+|node_modules|Error: |stack/i, `${what} leaked internals`);
  if (res.body.length > 0 && res.statusCode >= 400) {
    const parsed = JSON.parse(res.body) as { error?: { code?: unknown } };
    assert.equal(typeof parsed.error?.code, 'string', `${what} answered without the error model`);
  }
}

/**
 * Fuzzes one route: bodies generated from its own schema (edges, junk, unknown fields) and
 * malformed JSON, through a client with a session and CSRF token so requests reach the
 * validator and handler. Asserts no 5xx and no stack trace or internal detail in any answer.
 */
export async function fuzzRoute(
  app: FastifyInstance,
  client: TestClient,
  route: { method: 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET'; url: string },
  opts: { runs?: number } = {},
): Promise<void> {
  const schema = await routeSchema(app, route.method, route.url);
  // A route missing from the document would be fuzzed with nothing: refuse instead.
  if (!schema) throw new Error(`${route.method} ${route.url} is not in the OpenAPI document`);
  const bodySchema = schema.body as JsonSchema | undefined;
  const querySchema = schema.querystring as JsonSchema | undefined;
  await fc.assert(
    fc.asyncProperty(arbitraryFor(bodySchema), arbitraryFor(querySchema), async (body, query) => {
      const qs =
        query && typeof query === 'object' && !Array.isArray(query)
          ? `?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`
          : '';
      const res = await client.request({
        method: route.method,
        url: `${route.url}${qs}`,
        ...(route.method === 'GET'
          ? {}
          : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      assertSafe(res, `${route.method} ${route.url}`);
    }),
    { numRuns: opts.runs ?? 60 },
  );
  if (route.method === 'GET') return;
  for (const raw of MALFORMED_BODIES) {
    const res = await client.request({
      method: route.method,
      url: route.url,
      payload: raw,
      headers: { 'content-type': 'application/json' },
    });
    assertSafe(res, `${route.method} ${route.url} with malformed JSON`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'prototype pollution');
  }
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await client.request({
      method: route.method,
      url: route.url,
      payload: 'a=1',
      headers: { 'content-type': type },
    });
    assertSafe(res, `${route.method} ${route.url} as ${type}`);
  }
}

/** The schema a route was registered with, read from the OpenAPI document. */
async function routeSchema(
  app: FastifyInstance,
  method: string,
  url: string,
): Promise<Record<string, unknown> | undefined> {
  const doc = app.swagger() as {
    paths?: Record<
      string,
      Record<
        string,
        {
          requestBody?: { content?: Record<string, { schema?: unknown }> };
          parameters?: { in: string; name: string; schema: JsonSchema; required?: boolean }[];
        }
      >
    >;
  };
  const op = doc.paths?.[url.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()];
  if (!op) return undefined;
  const body = op.requestBody?.content?.['application/json']?.schema;
  const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
  const querystring = queryParams.length
    ? { type: 'object', properties: Object.fromEntries(queryParams.map((p) => [p.name, p.schema])) }
    : undefined;
  return { body, querystring };
}
