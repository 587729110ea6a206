import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * A 503 for labs the Docker hosts that are up cannot take now (placement by capacity):
 * nothing was created; the error filter sets Retry-After.
 */
export class NoRoomException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.SERVICE_UNAVAILABLE);
  }
}
