import { afterEach, describe, expect, it } from 'vitest';
import type { LabEvent, LabEventHandler, LabEvents } from '../../../libs/events/lab-events';
import type { LabScope } from '../../../libs/docker/tenant-docker';
import { LiveTerminal, type TerminalClient } from './live-terminal';
import { TerminalAccessWatch } from './terminal-access.watch';
import type { TerminalDirectory } from './terminal-directory';
import { TerminalRegistry } from './terminal.registry';
import type { TerminalsService } from './terminals.service';

const LAB = '11111111-1111-4111-8111-111111111111';
const OTHER_LAB = '22222222-2222-4222-8222-222222222222';

/** The bus as the watch uses it: subscribe, and the test plays the events. */
class FakeLabEvents {
  handlers = new Set<LabEventHandler>();
  subscribe(handler: LabEventHandler) {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  emit(event: LabEvent) {
    for (const handler of this.handlers) handler(event);
  }
}

class FakeClient implements TerminalClient {
  text: string[] = [];
  closed?: { code: number; reason: string };
  send(data: Buffer | string) {
    this.text.push(data.toString());
  }
  bufferedAmount() {
    return 0;
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  cut() {}
}

let nextId = 0;
function session(labId: string, actor: string, registry: TerminalRegistry): { session: LiveTerminal; client: FakeClient } {
  const limits = { idleMs: 60_000, graceMs: 1_000, ringBytes: 64, highWaterBytes: 100, lowWaterBytes: 10, stuckMs: 1_000 };
  const hooks = { opened() {}, changed() {}, input() {}, ended: () => registry.remove(live.id), warn() {} };
  const live = new LiveTerminal({ id: `s${++nextId}`, labId, hostId: 'local', scope: {} as LabScope, container: 'mon-serveur', actor }, limits, hooks);
  registry.add(live);
  const client = new FakeClient();
  live.attach(client, 0);
  return { session: live, client };
}

describe('TerminalAccessWatch', () => {
  const live: LiveTerminal[] = [];
  afterEach(() => live.splice(0).forEach((s) => s.end('closed')));

  function setUp() {
    const events = new FakeLabEvents();
    const registry = new TerminalRegistry();
    const ended: string[] = [];
    const directory = { processId: 'this-process' } as unknown as TerminalDirectory;
    const terminals = { endOnRequest: (labId: string, id: string) => ended.push(`${labId}/${id}`) } as unknown as TerminalsService;
    const sut = new TerminalAccessWatch(events as unknown as LabEvents, registry, directory, terminals);
    sut.onModuleInit();
    const make = (labId: string, actor: string) => {
      const made = session(labId, actor, registry);
      live.push(made.session);
      return made;
    };
    return { events, registry, sut, make, ended };
  }

  it("ends the lab's student sessions with a line saying why, leaving the instructor's and other labs' sessions", () => {
    const { events, make } = setUp();
    const student = make(LAB, `student:${LAB}`);
    const instructor = make(LAB, 'admin');
    const elsewhere = make(OTHER_LAB, `student:${OTHER_LAB}`);

    events.emit({ type: 'token-revoked', labId: LAB, why: 'revoked' });

    expect(student.session.state).toBe('ended');
    expect(student.session.endReason).toBe('token-revoked');
    expect(student.client.closed).toEqual({ code: 4401, reason: 'token revoked' });
    expect(student.client.text.join('')).toContain('[netlabs] session closed: the access token of this lab was revoked by the instructor');
    expect(instructor.session.state).toBe('attached');
    expect(elsewhere.session.state).toBe('attached');
  });

  it('says the token was replaced when it was rotated', () => {
    const { events, make } = setUp();
    const student = make(LAB, `student:${LAB}`);
    events.emit({ type: 'token-revoked', labId: LAB, why: 'rotated' });
    expect(student.client.closed).toEqual({ code: 4401, reason: 'token rotated' });
    expect(student.client.text.join('')).toContain('replaced by a new one');
  });

  it('ends a session on request from another process only when this process holds its shell', () => {
    const { events, ended } = setUp();
    const sessionId = '6b0c8a52-51d2-4c55-9d1a-0d7f1f2a9e01';
    events.emit({ type: 'terminal-end', labId: LAB, sessionId, owner: 'another-process' });
    expect(ended).toEqual([]);
    events.emit({ type: 'terminal-end', labId: LAB, sessionId, owner: 'this-process' });
    expect(ended).toEqual([`${LAB}/${sessionId}`]);
  });

  it('stops listening when the module is destroyed', () => {
    const { events, sut } = setUp();
    expect(events.handlers.size).toBe(1);
    sut.onModuleDestroy();
    expect(events.handlers.size).toBe(0);
  });
});
