import { CanActivate, ExecutionContext, ForbiddenException, Injectable, SetMetadata, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Actor } from './actor';
import { TokenResolver } from './token-resolver';

export const PUBLIC = 'netlabs:public';
export const ADMIN_ONLY = 'netlabs:admin-only';
export const INSTRUCTORS_TOO = 'netlabs:instructors-too';
/** Marks a route that needs no token (health, the student page's static files). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Marks a route (or controller) only the instructor/LMS token may call: 403 for students. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);
/**
 * On a route of an @AdminOnly controller or method: an instructor (dashboard link) passes the
 * guard too; the service must then check the class (requireClassAccess / requireLabAccess
 * with the lab's class). Students are still refused (403). Opt-in per route, so a route added
 * later to an admin controller stays admin-only.
 */
export const InstructorsToo = () => SetMetadata(INSTRUCTORS_TOO, true);

type RequestWithActor = Request & { actor?: Actor };

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Every route needs a valid token unless marked @Public(). Runs first of the guards: the
 * token resolver refuses an address over its limit of requests without a valid token
 * before any lookup (the per-token throttler runs after, once the caller is known).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<RequestWithActor>();
    // req.ip: the socket's address, or X-Forwarded-For as set by a proxy of TRUST_PROXY (never a client's own header).
    const actor = await this.tokens.resolve(bearerToken(request.headers.authorization), request.ip);
    if (!actor) throw new UnauthorizedException('a valid bearer token is required');
    if (actor.kind !== 'admin' && this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()])) {
      const instructorsToo = actor.kind === 'instructor' && this.reflector.get<boolean>(INSTRUCTORS_TOO, context.getHandler());
      if (!instructorsToo) throw new ForbiddenException('this route is for instructors');
    }
    request.actor = actor;
    return true;
  }
}

/** The authenticated caller of the current request. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext): Actor => {
  const actor = context.switchToHttp().getRequest<RequestWithActor>().actor;
  if (!actor) throw new UnauthorizedException('a valid bearer token is required');
  return actor;
});
