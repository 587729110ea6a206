import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { type Observable, tap } from 'rxjs';
import { AuditRepository } from '../../../libs/persistence/audit.repository';
import { type Actor, describeActor } from './actor';

/**
 * Records who did what to which class or lab: every successful request that changes
 * something (POST, PUT, PATCH, DELETE), with the route and its ids. Reads are not recorded.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(private readonly audit: AuditRepository) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { actor?: Actor }>();
    if (request.method === 'GET' || !request.actor) return next.handle();
    const route = (request.route as { path?: string } | undefined)?.path ?? request.path;
    const params = (request.params ?? {}) as Record<string, string | undefined>;
    return next.handle().pipe(
      tap((body: unknown) => {
        const classId = params.id && route.startsWith('/classes') ? params.id : undefined;
        const labId = params.id && route.startsWith('/labs') ? params.id : undefined;
        const createdClass = route === '/classes' && typeof body === 'object' && body ? (body as { id?: string }).id : undefined;
        this.audit
          .record({
            actor: describeActor(request.actor!),
            action: `${request.method} ${route}`,
            classId: classId ?? createdClass,
            labId,
            detail: params.step ? { step: params.step } : undefined,
          })
          .catch((error: unknown) => this.logger.warn(`audit record failed: ${String(error)}`));
      }),
    );
  }
}
