import { ForbiddenException, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import type { Actor } from './actor';
import { AdminOnly, AuthGuard, InstructorsToo } from './auth.guard';
import type { TokenResolver } from './token-resolver';

/** Routes as the controllers declare them: an admin controller, some of whose routes let instructors in. */
@AdminOnly()
class AdminController {
  create() {}
  @InstructorsToo()
  progress() {}
}

class LabController {
  @AdminOnly()
  revoke() {}
  @AdminOnly()
  @InstructorsToo()
  extend() {}
  get() {}
}

const ACTORS: Record<string, Actor> = {
  admin: { kind: 'admin' },
  instructor: { kind: 'instructor', classId: '22222222-2222-4222-8222-222222222222' },
  student: { kind: 'student', labId: '11111111-1111-4111-8111-111111111111' },
};

/** The one call the guard makes: token -> actor. */
class FakeTokens {
  async resolve(token: string | undefined) {
    return (token && ACTORS[token]) || null;
  }
}

function context(controller: new () => object, handler: string, token?: string): ExecutionContext {
  const request = { headers: { authorization: token ? `Bearer ${token}` : undefined }, ip: '127.0.0.1' };
  return {
    getHandler: () => (controller.prototype as Record<string, unknown>)[handler],
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

async function outcome(controller: new () => object, handler: string, token?: string): Promise<string> {
  const sut = new AuthGuard(new Reflector(), new FakeTokens() as unknown as TokenResolver);
  try {
    await sut.canActivate(context(controller, handler, token));
    return 'pass';
  } catch (error) {
    if (error instanceof ForbiddenException) return '403';
    if (error instanceof UnauthorizedException) return '401';
    throw error;
  }
}

describe('AuthGuard', () => {
  it('lets an instructor through only the admin routes marked InstructorsToo; students never', async () => {
    const table: Record<string, string[]> = {};
    for (const [controller, handler] of [
      [AdminController, 'create'],
      [AdminController, 'progress'],
      [LabController, 'revoke'],
      [LabController, 'extend'],
      [LabController, 'get'],
    ] as const) {
      table[`${controller.name}.${handler}`] = await Promise.all(['admin', 'instructor', 'student', undefined].map((token) => outcome(controller, handler, token)));
    }
    expect(table).toEqual({
      'AdminController.create': ['pass', '403', '403', '401'],
      'AdminController.progress': ['pass', 'pass', '403', '401'],
      'LabController.revoke': ['pass', '403', '403', '401'],
      'LabController.extend': ['pass', 'pass', '403', '401'],
      // Not admin-only: the service decides (the student's own lab, the instructor's class).
      'LabController.get': ['pass', 'pass', 'pass', '401'],
    });
  });
});
