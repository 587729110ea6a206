import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, SetMetadata, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import type { Actor } from './actor';
import { hashToken, sameSecret } from './tokens';

const PUBLIC = 'netlabs:public';
const ADMIN_ONLY = 'netlabs:admin-only';
/** Marks a route that needs no token (health, the student page's static files). */
export const Public = () => SetMetadata(PUBLIC, true);
/** Marks a route (or controller) only the instructor/LMS token may call: 403 for students. */
export const AdminOnly = () => SetMetadata(ADMIN_ONLY, true);

type RequestWithActor = Request & { actor?: Actor };

/** Resolves a bearer token to an Actor, or null when it opens nothing. */
@Injectable()
export class TokenResolver {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
  ) {}

  async resolve(token: string | undefined): Promise<Actor | null> {
    if (!token) return null;
    if (sameSecret(token, this.config.ADMIN_TOKEN)) return { kind: 'admin' };
    const lab = await this.labs.findByStudentTokenHash(hashToken(token));
    return lab ? { kind: 'student', labId: lab.id } : null;
  }
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/** Every route needs a valid token unless marked @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenResolver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<RequestWithActor>();
    const actor = await this.tokens.resolve(bearerToken(request.headers.authorization));
    if (!actor) throw new UnauthorizedException('a valid bearer token is required');
    if (actor.kind !== 'admin' && this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, [context.getHandler(), context.getClass()])) {
      throw new ForbiddenException('this route is for instructors');
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
