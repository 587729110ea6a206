import { SetMetadata } from '@nestjs/common';
import type { ZodTypeAny } from 'zod';

export const API_DOC = 'netlabs:api-doc';

export interface ApiResponseDoc {
  description: string;
  /** The body's shape, when worth showing (JSON unless contentType says otherwise). */
  schema?: ZodTypeAny;
  contentType?: string;
}

/**
 * What the OpenAPI document says of one route, beyond what it reads from the route itself.
 * Read from the route (never written here): method and path, path parameters (uuid when
 * the route uses UuidPipe), the query parameters the handler takes, the request body (the
 * zod schema of its ZodBodyPipe: the one that validates it), and who may call it
 * (@Public, @AdminOnly, else any valid token).
 */
export interface ApiDocOptions {
  summary: string;
  description?: string;
  /** Group in the document (default: the path's first segment). */
  tag?: string;
  /** Schemas of query parameters the handler reads itself (else they are plain strings). */
  query?: Record<string, ZodTypeAny>;
  /** Answers worth naming, by status (errors of auth, bad ids and bodies are added). */
  responses?: Record<number, string | ApiResponseDoc>;
}

/**
 * Puts a route in /openapi.json and /docs: one line beside @Get/@Post... A route without
 * it fails the `openapi` e2e test (every Nest route must be in the document).
 */
export const ApiDoc = (options: ApiDocOptions) => SetMetadata(API_DOC, options);
