import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { killSessionCommand } from './docker-exec';

describe('killSessionCommand', () => {
  it('refuses anything but a hex tag', () => {
    expect(() => killSessionCommand('x; rm -rf /')).toThrow();
  });

  // Runs the real script on this machine's /proc: only processes carrying the tag may die.
  it.each([
    ['bash', 4],
    ['sh', 5],
  ])('kills every process of the session, and only those, with %s', async (flavour, arg) => {
    const tag = randomBytes(6).toString('hex');
    const env = { ...process.env, NETLABS_SESSION: `${tag}.` };
    const tagged = [spawn('sleep', ['300'], { env }), spawn('sh', ['-c', 'sleep 301 & sleep 302'], { env })];
    const other = spawn('sleep', ['303'], { env: { ...process.env, NETLABS_SESSION: `${tag}0.` } });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const cmd = killSessionCommand(tag);
      const out = execFileSync(flavour, ['-c', cmd[arg]]).toString();
      expect(out.trim()).toBe('killed 4');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(tagged.map((c) => c.signalCode)).toEqual(['SIGKILL', 'SIGKILL']);
      expect(other.signalCode).toBeNull();
    } finally {
      for (const c of [...tagged, other]) c.kill('SIGKILL');
    }
  });
});
