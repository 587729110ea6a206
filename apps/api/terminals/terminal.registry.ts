import { Injectable } from '@nestjs/common';
import type { LiveTerminal } from './live-terminal';

/**
 * The terminal sessions this API process holds. A shell's stream lives in the process
 * that opened it, so a session (and its reconnects) must reach this same process.
 */
@Injectable()
export class TerminalRegistry {
  private readonly sessions = new Map<string, LiveTerminal>();

  add(session: LiveTerminal): void {
    this.sessions.set(session.id, session);
  }

  get(id: string): LiveTerminal | undefined {
    const session = this.sessions.get(id);
    return session && session.state !== 'ended' ? session : undefined;
  }

  remove(id: string): void {
    this.sessions.delete(id);
  }

  forLab(labId: string): LiveTerminal[] {
    return [...this.sessions.values()].filter((s) => s.info.labId === labId && s.state !== 'ended');
  }

  all(): LiveTerminal[] {
    return [...this.sessions.values()];
  }
}
