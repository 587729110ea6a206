import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { AuditRepository } from '../../../libs/persistence/audit.repository';
import { type Actor, describeActor } from './actor';

/** Requests that change nothing: not recorded. */
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

type AuditedRequest = Request & { actor?: Actor };

/**
 * Records who did what to which class or lab: every request that changes something (POST,
 * PUT, PATCH, DELETE) and is answered with success, with the route and its ids, once its
 * answer is sent. Reads are not recorded.
 *
 * Express middleware, not a Nest interceptor: one interceptor puts every request of the API
 * through Nest's observable pipeline (rxjs, an async resource bound per call), which was a
 * fifth of the API's CPU per verify with a class verifying at once (issue 12, measured).
 */
export function auditTrail(audit: AuditRepository) {
  const logger = new Logger('AuditTrail');
  return (req: AuditedRequest, res: Response, next: NextFunction): void => {
    if (READS.has(req.method)) return next();
    // The answer's body, for the id of what the request created (POST /classes).
    let answer: unknown;
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      answer = body;
      return json(body);
    };
    res.once('finish', () => {
      if (!req.actor || res.statusCode >= 400) return;
      const route = (req.route as { path?: string } | undefined)?.path ?? req.path;
      const params = (req.params ?? {}) as Record<string, string | undefined>;
      const classId = params.id && route.startsWith('/classes') ? params.id : undefined;
      const labId = params.id && route.startsWith('/labs') ? params.id : undefined;
      const createdClass = route === '/classes' && typeof answer === 'object' && answer ? (answer as { id?: string }).id : undefined;
      audit
        .record({
          actor: describeActor(req.actor),
          action: `${req.method} ${route}`,
          classId: classId ?? createdClass,
          labId,
          detail: params.step ? { step: params.step } : undefined,
        })
        .catch((error: unknown) => logger.warn(`audit record failed: ${String(error)}`));
    });
    next();
  };
}
