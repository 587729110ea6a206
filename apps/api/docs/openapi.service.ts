import { PATH_METADATA, METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Injectable, RequestMethod } from '@nestjs/common';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import type { ZodTypeAny } from 'zod';
import { ADMIN_ONLY, PUBLIC } from '../common/auth.guard';
import { UuidPipe } from '../common/uuid.pipe';
import { ZodBodyPipe } from '../common/zod-body.pipe';
import { API_DOC, type ApiDocOptions } from './api-doc';
import { buildOpenApi, type RouteDoc } from './openapi.builder';
import { HAND_WRITTEN_PATHS } from './hand-written-paths';

const INFO = {
  title: 'NetLabs',
  version: '1',
  description:
    'Hands-on Docker networking labs for whole classes. Errors are always `{statusCode, error, message}`. ' +
    'Bodies are validated by the zod schemas this document is generated from. Terminals run over a WebSocket (see /terminals/{sessionId}).',
};

/** One route of a controller as Nest registers it, with its @ApiDoc (undefined when missing). */
export interface NestRoute {
  method: string;
  path: string;
  documented: RouteDoc | undefined;
}

/**
 * Builds the OpenAPI document from the routes Nest has (controllers found by the
 * DiscoveryService, read the way Nest's router reads them): a route is in it when it has
 * @ApiDoc, its body schema is the one its ZodBodyPipe validates with.
 */
@Injectable()
export class OpenApiService {
  private document?: Record<string, unknown>;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  get(): Record<string, unknown> {
    this.document ??= buildOpenApi(
      this.routes().flatMap((r) => (r.documented ? [r.documented] : [])),
      INFO,
      HAND_WRITTEN_PATHS,
    );
    return this.document;
  }

  /** Every route of every controller, documented or not. */
  routes(): NestRoute[] {
    const found: NestRoute[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!type || !wrapper.instance) continue;
      const base = paths(Reflect.getMetadata(PATH_METADATA, type));
      const prototype = Object.getPrototypeOf(wrapper.instance) as object;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = (prototype as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
        const own = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const methodCode = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (own === undefined || methodCode === undefined) continue;
        const method = RequestMethod[methodCode];
        for (const prefix of base) {
          for (const suffix of paths(own)) {
            const path = joinPath(prefix, suffix);
            const doc = this.reflector.get<ApiDocOptions | undefined>(API_DOC, handler);
            found.push({ method, path, documented: doc && this.describe(type, name, handler, method, path, doc) });
          }
        }
      }
    }
    return found;
  }

  private describe(type: object, name: string, handler: () => unknown, method: string, path: string, doc: ApiDocOptions): RouteDoc {
    const argsOf = (key: RouteParamtypes) =>
      Object.entries((Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) ?? {}) as Record<string, { data?: unknown; pipes?: unknown[] }>)
        .filter(([k]) => k.split(':')[0] === String(key))
        .map(([, v]) => v);
    const pathNames = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]);
    const paramArgs = argsOf(RouteParamtypes.PARAM);
    const params = pathNames.map((param) => ({
      name: param,
      uuid: paramArgs.some((a) => a.data === param && (a.pipes ?? []).some((p) => p instanceof UuidPipe)),
    }));
    const query = argsOf(RouteParamtypes.QUERY).flatMap((a) => (typeof a.data === 'string' ? [a.data] : []));
    const bodyPipe = argsOf(RouteParamtypes.BODY)
      .flatMap((a) => a.pipes ?? [])
      .find((p): p is ZodBodyPipe<unknown> => p instanceof ZodBodyPipe);
    const flag = (key: string) => this.reflector.getAllAndOverride<boolean>(key, [handler, type as never]);
    const access = flag(PUBLIC) ? 'public' : flag(ADMIN_ONLY) ? 'admin' : 'token';
    return { method, path, access, doc, params, query, body: bodyPipe?.schema as ZodTypeAny | undefined };
  }
}

function paths(value: string | string[] | undefined): string[] {
  if (value === undefined) return ['/'];
  return Array.isArray(value) ? value : [value];
}

/** Nest's way: one leading slash, no trailing one, `/` for the root. */
export function joinPath(prefix: string, suffix: string): string {
  const joined = `/${prefix}/${suffix}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
