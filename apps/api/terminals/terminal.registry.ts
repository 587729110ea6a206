import { Injectable } from '@nestjs/common';
import type { LiveTerminal } from './live-terminal';

/**
 * The terminal sessions whose shell this API process holds (it took their first upgrade).
 * A shell's stream lives here, so a session's reconnects must reach this same process
 * (the proxy hashes on the session id); what every process sees is in TerminalDirectory.
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
