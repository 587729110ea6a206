import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../libs/config/app-config';
import { InstructorSessionRepository } from '../../../libs/persistence/instructor-session.repository';
import { LabRepository } from '../../../libs/persistence/lab.repository';
import type { Actor } from './actor';
import { AddressLimiter } from './address-limiter';
import { INSTRUCTOR_TOKEN_PREFIX, hashToken, sameSecret } from './tokens';

/** How long a student token found valid is let past the address limit without a lookup. */
const KNOWN_FOR_MS = 60_000;
const KNOWN_MAX = 10_000;

/**
 * Resolves a bearer token to an Actor, or null when it opens nothing. Every caller that
 * takes a token (REST guard, terminal upgrade) comes through here, so every one of them is
 * under the address limit for requests without a valid token (AddressLimiter).
 */
@Injectable()
export class TokenResolver {
  /**
   * Student tokens (by hash) this process found valid lately, with when that stops counting.
   * They pass an address that is over its limit: a student who shares a school address with
   * someone guessing tokens keeps working. It only skips the limit, never the lookup (a
   * revoked token is refused at once).
   */
  private readonly known = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly labs: LabRepository,
    private readonly instructors: InstructorSessionRepository,
    private readonly limiter: AddressLimiter,
  ) {}

  /** `address` is the client's; throws 429 when it is over its limit and the token is not known valid. */
  async resolve(token: string | undefined, address: string | undefined): Promise<Actor | null> {
    // The admin token costs no lookup: compared, never limited.
    if (token && sameSecret(token, this.config.ADMIN_TOKEN)) return { kind: 'admin' };
    const hash = token ? hashToken(token) : undefined;
    if (!hash || !this.isKnown(hash)) await this.limiter.admit(address);
    const actor = hash ? await this.lookup(token!, hash) : null;
    if (!actor) {
      await this.limiter.failed(address);
      return null;
    }
    this.remember(hash!);
    return actor;
  }

  /** An instructor-dashboard token (its prefix says so) opens its class; any other, a student's lab. */
  private async lookup(token: string, hash: string): Promise<Actor | null> {
    if (token.startsWith(INSTRUCTOR_TOKEN_PREFIX)) {
      const classId = await this.instructors.findClassByTokenHash(hash);
      return classId ? { kind: 'instructor', classId } : null;
    }
    // One query authenticates the token and reads its lab (the route then needs no other).
    const lab = await this.labs.snapshotByStudentTokenHash(hash);
    return lab ? { kind: 'student', labId: lab.id, lab } : null;
  }

  private isKnown(hash: string): boolean {
    const until = this.known.get(hash);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.known.delete(hash);
    return false;
  }

  private remember(hash: string): void {
    this.known.delete(hash);
    this.known.set(hash, Date.now() + KNOWN_FOR_MS);
    // Oldest first (insertion order): a bounded memory whatever the number of students.
    if (this.known.size > KNOWN_MAX) this.known.delete(this.known.keys().next().value!);
  }
}
