import { BadRequestException, PipeTransform } from '@nestjs/common';
import type { ZodType } from 'zod';

/** Validates a body with a zod schema; the 400 message names each bad field. */
export class ZodBodyPipe<T> implements PipeTransform<unknown, T> {
  constructor(readonly schema: ZodType<T>) {}

  transform(value: unknown): T {
    const parsed = this.schema.safeParse(value ?? {});
    if (parsed.success) return parsed.data;
    const messages = parsed.error.issues.map((issue) => {
      const path = issue.path.reduce<string>(
        (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : String(part)),
        '',
      );
      return path ? `${path}: ${issue.message}` : issue.message;
    });
    throw new BadRequestException(messages.join('; '));
  }
}
