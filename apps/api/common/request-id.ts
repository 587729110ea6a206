import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

/** The id of one request, in the X-Request-Id answer header and in the log lines about it. */
export type RequestWithId = Request & { requestId?: string };

/**
 * Gives every request an id of ours (a client's own X-Request-Id is not trusted: it would
 * write whatever it likes into our log). An error the client cannot be shown is logged
 * with it, and the client gets the id to quote.
 */
export function requestIds(req: RequestWithId, res: Response, next: NextFunction): void {
  req.requestId = randomBytes(6).toString('hex');
  res.setHeader('X-Request-Id', req.requestId);
  next();
}
