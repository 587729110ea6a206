import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import type { Request } from 'express';
import { ClassRepository } from '../../../libs/persistence/class.repository';
import { UuidPipe } from '../common/uuid.pipe';

/**
 * 400 / 404 for a bad or unknown class id, before an @Sse() route starts: once its
 * handler runs, the stream's headers go out on the next tick and a later error could only
 * be an `error` event in a 200 stream. Guards run before that (and after authentication).
 */
@Injectable()
export class KnownClassGuard implements CanActivate {
  constructor(private readonly classes: ClassRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const id = new UuidPipe().transform(String(context.switchToHttp().getRequest<Request>().params.id));
    if (!(await this.classes.exists(id))) throw new NotFoundException(`class ${id} not found`);
    return true;
  }
}
