import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { NoRoomException } from '../common/no-room.exception';
import type { RequestWithId } from '../common/request-id';
import { refusalPage } from './lti-pages';

/** A launch (or login) NetLabs will not go on with; the message is shown to the user as it is. */
export class LtiRefusal extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * LTI routes answer a browser: a refusal is a page saying why, never JSON and never a stack
 * trace. An error that is not ours is logged with the request id, and the page gives the id.
 */
@Catch()
export class LtiRefusalFilter implements ExceptionFilter {
  private readonly logger = new Logger('LtiLaunch');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<RequestWithId>();
    if (response.headersSent) return;
    if (exception instanceof LtiRefusal) {
      this.logger.warn(`request ${request.requestId} ${request.path} refused: ${exception.message}`);
      return refusalPage(response, exception.status, exception.message, request.requestId);
    }
    // No room on the Docker hosts for the learner's lab: a 503 saying so, with when to come back.
    if (exception instanceof NoRoomException) {
      this.logger.warn(`request ${request.requestId} ${request.path}: ${exception.message}`);
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
      return refusalPage(response, 503, `NetLabs has no room for your lab right now: ${exception.message}`, request.requestId);
    }
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      return refusalPage(response, exception.getStatus(), Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message), request.requestId);
    }
    const detail = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
    this.logger.error(`request ${request.requestId} ${request.method} ${request.path}: ${detail}`);
    refusalPage(response, 500, 'NetLabs failed to handle this launch; the details are in its log.', request.requestId);
  }
}
