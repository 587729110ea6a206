import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { killSessionCommand } from './docker-exec';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(execFileSync('cat', [`/proc/${pid}/status`]).toString());
  } catch {
    return false;
  }
};

describe('killSessionCommand', () => {
  it('refuses anything but a hex tag', () => {
    expect(() => killSessionCommand('x; rm -rf /')).toThrow();
  });

  // Runs the real script on this machine's /proc: only the session's processes (and the
  // process groups they lead) may die, never the killer's own group.
  it.each([
    ['bash', 4],
    ['sh', 5],
  ])('kills every process of the session and its process groups, and nothing else, with %s', async (shell, arg) => {
    const tag = randomBytes(6).toString('hex');
    const env = { ...process.env, NETLABS_SESSION: `${tag}.` };
    const children: ChildProcess[] = [];
    const start = (cmd: string, childEnv: NodeJS.ProcessEnv, detached: boolean) => {
      const child = spawn('sh', ['-c', cmd], { env: childEnv, detached, stdio: 'ignore' });
      children.push(child);
      return child;
    };
    // Same process group as this test (and the killer): killed one by one, the group spared.
    const plain = start('sleep 300', env, false);
    // A group of its own, with a member that shed the tag (env -i): the group goes whole.
    const group = start('env -i sleep 301 & sleep 302', env, true);
    const other = start('sleep 303', { ...process.env, NETLABS_SESSION: `${tag}0.` }, true);
    try {
      await sleep(300);
      const shedTag = execFileSync('pgrep', ['-g', String(group.pid), '-f', 'sleep 301']).toString().trim();
      const out = execFileSync(shell, ['-c', killSessionCommand(tag)[arg]]).toString();
      expect(out.trim()).toMatch(/^killed [1-9]\d*$/);
      await sleep(200);
      expect(alive(plain.pid!)).toBe(false);
      expect(alive(group.pid!)).toBe(false);
      expect(alive(Number(shedTag))).toBe(false);
      expect(alive(other.pid!)).toBe(true);
      expect(alive(process.pid)).toBe(true);
    } finally {
      for (const child of children) if (child.pid) spawn('kill', ['-KILL', '--', `-${child.pid}`]).on('error', () => undefined);
      for (const child of children) child.kill('SIGKILL');
    }
  }, 30_000);
});
