import type { ZodTypeAny } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import type { ApiDocOptions, ApiResponseDoc } from './api-doc';

/** One HTTP route as the document sees it (collected from Nest by OpenApiService). */
export interface RouteDoc {
  method: string;
  /** Express-style path (`/labs/:id/steps/:step/verify`). */
  path: string;
  access: 'public' | 'admin' | 'token';
  doc: ApiDocOptions;
  params: { name: string; uuid: boolean }[];
  query: string[];
  body?: ZodTypeAny;
}

type Json = Record<string, unknown>;

const ERROR = { $ref: '#/components/schemas/Error' };

/** `:id` → `{id}` (OpenAPI's path template). */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The JSON Schema (OpenAPI 3.0 dialect) of a zod schema: its input side, what a client sends. */
export function jsonSchema(schema: ZodTypeAny): Json {
  // zod-to-json-schema's generic signature is too deep for tsc on some schemas: typed as its runtime contract.
  const convert = zodToJsonSchema as unknown as (schema: ZodTypeAny, options: Record<string, unknown>) => Json;
  const converted = convert(schema, { target: 'openApi3', $refStrategy: 'none', effectStrategy: 'input', pipeStrategy: 'input' });
  delete converted.$schema;
  return converted;
}

/** OpenAPI 3.0 document of `routes` (plus `extra` paths written by hand, e.g. the WebSocket). */
export function buildOpenApi(routes: RouteDoc[], info: { title: string; version: string; description: string }, extra: Record<string, Json> = {}): Json {
  const paths: Record<string, Json> = {};
  for (const route of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  for (const [path, item] of Object.entries(extra)) paths[path] = { ...(paths[path] ?? {}), ...item };
  return {
    openapi: '3.0.3',
    info,
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN (instructor, LMS, operator) or a student token (its own lab only)' },
        adminCookie: { type: 'apiKey', in: 'cookie', name: 'netlabs_admin', description: 'Set by POST /admin/session; the queue board only' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['statusCode', 'error', 'message'],
          properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  };
}

function operation(route: RouteDoc): Json {
  const { doc } = route;
  const segments = route.path.split('/').filter(Boolean);
  const parameters: Json[] = [
    ...route.params.map((p) => ({ name: p.name, in: 'path', required: true, schema: p.uuid ? { type: 'string', format: 'uuid' } : { type: 'string' } })),
    ...route.query.map((name) => ({ name, in: 'query', required: false, schema: doc.query?.[name] ? jsonSchema(optionalInner(doc.query[name])) : { type: 'string' } })),
  ];
  const responses: Record<string, Json> = {};
  for (const [status, answer] of Object.entries(doc.responses ?? { 200: 'OK' })) responses[status] = response(typeof answer === 'string' ? { description: answer } : answer);
  const error = (status: number, description: string) => (responses[status] ??= { description, content: { 'application/json': { schema: ERROR } } });
  if (route.body || route.params.some((p) => p.uuid)) error(400, 'Bad body or id: the message names each bad field');
  if (route.access !== 'public') {
    error(401, 'No valid bearer token');
    error(429, 'Too many requests (per token, or per address without a valid token)');
  }
  if (route.access === 'admin') error(403, 'A student token: this route is for instructors');
  const result: Json = {
    tags: [doc.tag ?? segments[0] ?? 'pages'],
    summary: doc.summary,
    operationId: `${route.method.toLowerCase()}_${segments.map((s) => s.replace(/^:/, 'by_').replace(/[^A-Za-z0-9_]/g, '_')).join('_') || 'root'}`,
    parameters,
    responses,
    security: route.access === 'public' ? [] : [{ bearer: [] }],
  };
  if (doc.description) result.description = doc.description;
  if (route.access === 'admin') result.description = [doc.description, 'Admin token only.'].filter(Boolean).join('\n\n');
  // ZodBodyPipe reads a missing body as {}: a body is required only when {} would be refused.
  if (route.body) result.requestBody = { required: !route.body.safeParse({}).success, content: { 'application/json': { schema: jsonSchema(route.body) } } };
  return result;
}

/** A query parameter is optional by `required: false`: its schema is the inner one (no `anyOf: [not {}]`). */
function optionalInner(schema: ZodTypeAny): ZodTypeAny {
  const def = schema._def as { typeName?: string; innerType?: ZodTypeAny };
  return ['ZodOptional', 'ZodCatch', 'ZodDefault', 'ZodNullable'].includes(def.typeName ?? '') && def.innerType ? optionalInner(def.innerType) : schema;
}

function response(answer: ApiResponseDoc): Json {
  if (!answer.schema && !answer.contentType) return { description: answer.description };
  const schema = answer.schema ? jsonSchema(answer.schema) : { type: 'string' };
  return { description: answer.description, content: { [answer.contentType ?? 'application/json']: { schema } } };
}
