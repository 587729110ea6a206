import type { ExecResult } from '../../docker/tenant-docker';
import { CHAT_DRIVER_SCRIPT, DRIVER_MARK, TCP_PROBE_SCRIPT } from '../chat-probe';
import type { FakeContainer, FakeTenantDocker } from './fake-tenant-docker';

const CLIENT_PATH = '/home/chat/client.py';
const SERVER_PATH = '/home/chat/serveur.py';

interface Member {
  nick: string;
  lines: string[];
  wake?: () => void;
}

/** One running chat server's connected clients, relaying like serveur.py does. */
class Room {
  readonly members = new Set<Member>();

  join(wanted: string): Member {
    const taken = new Set([...this.members].map((m) => m.nick));
    let nick = wanted;
    for (let n = 2; taken.has(nick); n++) nick = `${wanted}-${n}`;
    const others = [...this.members].map((m) => m.nick);
    const member: Member = { nick, lines: [`* welcome ${nick}, online: ${others.join(', ') || 'nobody else'}`] };
    this.members.add(member);
    this.broadcast(member, `* ${nick} joined`);
    return member;
  }

  leave(member: Member): void {
    if (this.members.delete(member)) this.broadcast(member, `* ${member.nick} left`);
  }

  broadcast(from: Member, text: string): void {
    for (const m of this.members) {
      if (m === from) continue;
      m.lines.push(text);
      m.wake?.();
    }
  }
}

type Connect = { ok: true; server: FakeContainer; name: string } | { ok: false; kind: 'unresolved' | 'refused' };

const result = (exitCode: number, stdout: string, stderr = ''): ExecResult => ({ stdout, stderr, exitCode, timedOut: false });

/**
 * The chat of step 3c inside the fake: the checks' `python3 -c` scripts (chat-probe.ts)
 * are recognised and simulated on the fake's containers. A container "has" python3 and
 * the chat when it comes from the mypython2 image; a chat server is a running mypython2
 * container whose command is serveur.py. Names resolve as Docker's DNS would (same
 * network, running containers only). The drivers' time limits are scaled down:
 * one simulated second lasts `msPerSecond` real milliseconds.
 */
export class FakeChat {
  msPerSecond = 20;
  private readonly rooms = new Map<string, Room>();

  constructor(private readonly fake: FakeTenantDocker) {}

  handles(cmd: string[]): boolean {
    return cmd[0] === 'python3' && cmd[1] === '-c' && (cmd[2] === TCP_PROBE_SCRIPT || cmd[2] === CHAT_DRIVER_SCRIPT);
  }

  async exec(name: string, cmd: string[]): Promise<ExecResult> {
    const from = this.fake.mustHave(name);
    if (!this.isChatImage(from)) return result(127, '', 'OCI runtime exec failed: exec failed: exec: "python3": executable file not found in $PATH: unknown');
    return cmd[2] === TCP_PROBE_SCRIPT ? this.probe(from, cmd.slice(3)) : this.drive(from, cmd.slice(3));
  }

  private isChatImage(c: FakeContainer): boolean {
    return c.spec.image === this.fake.options.images.mypython2;
  }

  private serverPort(c: FakeContainer): number | undefined {
    const cmd = c.spec.cmd ?? [];
    if (c.state !== 'running' || !this.isChatImage(c) || !cmd.includes(SERVER_PATH)) return undefined;
    const flag = cmd.indexOf('--port');
    return flag >= 0 ? Number(cmd[flag + 1]) : 5000;
  }

  private connect(from: FakeContainer, host: string, port: number): Connect {
    const target = this.fake.resolveFrom(from, host);
    // Docker's DNS only knows running containers; a stopped one has no address either.
    if (!target || target.state !== 'running') return { ok: false, kind: 'unresolved' };
    if (this.serverPort(target) !== port) return { ok: false, kind: 'refused' };
    const name = [...this.fake.containers.entries()].find(([, c]) => c === target)![0];
    return { ok: true, server: target, name };
  }

  private probe(from: FakeContainer, [host, port]: string[]): ExecResult {
    const c = this.connect(from, host, Number(port));
    if (c.ok) return result(0, 'open\n');
    return c.kind === 'unresolved' ? result(3, 'unresolved\n') : result(4, 'refused\n');
  }

  private async drive(from: FakeContainer, args: string[]): Promise<ExecResult> {
    const [role, client, host, port, nick, token, sender, wanted, limit] = args;
    const out: string[] = [];
    const end = (code: number, status: string) => result(code, [...out, `${DRIVER_MARK} ${status}`, ''].join('\n'));
    if (client !== CLIENT_PATH) {
      out.push(`/usr/bin/python3: can't open file '${client}': [Errno 2] No such file or directory`);
      return end(2, 'client exited with code 2');
    }
    const c = this.connect(from, host, Number(port));
    if (!c.ok) {
      const why = c.kind === 'unresolved' ? 'Name or service not known' : 'Connection refused';
      out.push(`error: cannot connect to the chat server ${host}:${port}: ${why}`, 'Is serveur.py running there, and are both on the same network?');
      return end(2, 'client exited with code 2');
    }
    let room = this.rooms.get(c.name);
    if (!room) this.rooms.set(c.name, (room = new Room()));
    const me = room.join(nick);
    out.push(`connected to ${host}:${port} as ${nick}`);
    const deadline = Date.now() + Number(limit) * this.msPerSecond;
    const want = wanted.split(',').filter(Boolean);
    try {
      if (role === 'recv') {
        const expected = `[${sender}] ${token}`;
        const got = await this.waitFor(me, deadline, () => me.lines.includes(expected));
        out.push(...me.lines);
        return got ? end(0, 'received') : end(3, 'timeout');
      }
      const online = () => new Set([...room.members].filter((m) => m !== me).map((m) => m.nick));
      const ready = await this.waitFor(me, deadline, () => want.every((n) => online().has(n)));
      out.push(...me.lines);
      if (!ready) return end(3, `missing ${want.filter((n) => !online().has(n)).sort().join(',')}`);
      room.broadcast(me, `[${me.nick}] ${token}`);
      return end(0, 'sent');
    } finally {
      room.leave(me);
    }
  }

  private async waitFor(me: Member, deadline: number, done: () => boolean): Promise<boolean> {
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        me.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      me.wake = undefined;
    }
    return true;
  }
}
