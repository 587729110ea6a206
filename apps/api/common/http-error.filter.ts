import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { InternalFailure } from './internal-failure';
import type { RequestWithId } from './request-id';
import { NoRoomException } from './no-room.exception';
import { TooManyRequestsException } from './too-many-requests.exception';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Every error leaves the API as `{statusCode, error, message}`; never a stack trace.
 * Only our own HttpExceptions (and the JSON parser's refusals) are shown as they are:
 * anything else (a database error, a bug) is logged in full with the request id and
 * answered with a 500 that gives only that id.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<RequestWithId>();
    const requestId = request.requestId ?? 'none';
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let message: string;
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
      message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message);
      if ((exception instanceof TooManyRequestsException || exception instanceof NoRoomException) && !response.headersSent) response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    } else if (isBodyParserError(exception)) {
      status = exception.status;
      message = exception.type === 'entity.parse.failed' ? 'body: not valid JSON' : exception.message;
    } else if (exception instanceof InternalFailure) {
      status = exception.status;
      message = `${exception.publicMessage} (request ${requestId})`;
      this.logger.error(`request ${requestId} ${request.method} ${request.path}: ${exception.details}`);
    } else {
      message = `internal error (request ${requestId}); the details are in the API's log`;
      const detail = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      this.logger.error(`request ${requestId} ${request.method} ${request.path}: ${detail}`);
    }
    if (response.headersSent) return;
    response.status(status).json({ statusCode: status, error: REASONS[status] ?? 'Error', message });
  }
}

/** The JSON body parser's own errors (http-errors with a `type` such as entity.parse.failed): 4xx about the body. */
function isBodyParserError(error: unknown): error is { status: number; type: string; message: string } {
  if (typeof error !== 'object' || error === null) return false;
  const { type, status, expose } = error as { type?: unknown; status?: unknown; expose?: unknown };
  return typeof type === 'string' && /^(entity|encoding|charset|request)\./.test(type) && typeof status === 'number' && status >= 400 && status < 500 && expose === true;
}
