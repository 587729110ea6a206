/**
 * Killing a session from outside the container, for when an exec cannot start inside it:
 * at its pids limit (a fork bomb) the engine fails every exec ("OCI runtime exec failed:
 * read init-p: connection reset by peer"), because the exec's process must join the
 * container's pids cgroup. A short-lived helper container joins the target's PID
 * namespace (`--pid container:<id>`) but has a pids cgroup of its own, and runs the same
 * kill script. It uses the target's own image (it has a shell), no network, the lab
 * containers' capabilities (reading another process's environ needs the caller's
 * capabilities to cover the target's), and the target's labels, so a teardown sweeps it
 * if this process dies before removing it.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type Docker from 'dockerode';
import { engineMessage } from './docker-errors';
import { LAB_CAPABILITIES } from './lab-hardening';
import { LABEL_NAME } from './tenant-docker';

const REAPER_TIMEOUT_MS = 30_000;

/** Runs `cmd` in a helper sharing `container`'s PID namespace; returns its stdout, or throws. */
export async function runBeside(docker: Docker, container: Docker.Container, cmd: string[], logger: Logger): Promise<string> {
  const target = await container.inspect();
  const helper = await docker.createContainer({
    name: `${target.Name.replace(/^\//, '')}-reaper-${randomBytes(3).toString('hex')}`,
    Image: target.Image,
    Cmd: cmd,
    Entrypoint: [],
    Labels: { ...target.Config.Labels, [LABEL_NAME]: 'netlabs-reaper' },
    HostConfig: {
      PidMode: `container:${target.Id}`,
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      CapAdd: [...LAB_CAPABILITIES],
      SecurityOpt: ['no-new-privileges'],
      PidsLimit: 16,
      Memory: 32 * 1024 * 1024,
    },
  });
  logger.log(`reaper ${helper.id.slice(0, 12)} beside ${target.Id.slice(0, 12)}`);
  try {
    await helper.start();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      helper.wait(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reaper did not finish within ${REAPER_TIMEOUT_MS} ms`)), REAPER_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    const raw = (await helper.logs({ stdout: true, stderr: false, follow: false })) as unknown as Buffer;
    return stdoutOf(raw);
  } finally {
    await helper.remove({ force: true }).catch((err: unknown) => logger.warn(`could not remove reaper ${helper.id.slice(0, 12)}: ${engineMessage(err)}`));
  }
}

/** The stdout frames of a multiplexed log (no TTY: 8-byte headers, stream 1 = stdout). */
export function stdoutOf(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.length; ) {
    const size = raw.readUInt32BE(at + 4);
    if (raw[at] === 1) parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
