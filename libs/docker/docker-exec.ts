/**
 * Commands and terminals inside lab containers, the testcontainers way: create the exec,
 * start it hijacked, demux stdout/stderr, wait for the stream to end, then read the exit
 * code from exec.inspect().
 *
 * Ending what we started. Closing the stream does not stop the process inside the
 * container (portainer/portainer#665), and an engine gives no "kill exec" call. The
 * host pid in exec.inspect() only means something on the engine's own machine, and
 * wrapping commands in `timeout` or writing a pid file needs tools or a writable /tmp
 * that not every image has (our busybox image has neither). So every exec carries a
 * unique NETLABS_SESSION=<tag> variable, which its children inherit, and ending a session
 * runs a second exec that kills every process whose environment holds that tag. It runs
 * when a command times out, when a command ends (what it left in the background goes
 * too: a fork bomb started by a check or a terminal must not outlive it), and when a
 * terminal ends. It must work in a container at its pids limit, where nothing can fork:
 * with bash it uses builtins only (read, kill), so it needs no process beyond its own
 * (images without bash get a version with one `grep` per pass), and when the engine
 * cannot even start the exec there, the same script runs from a helper container
 * sharing the PID namespace (docker-reaper.ts). It works the same on a remote engine.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import type { Logger } from '@nestjs/common';
import type Docker from 'dockerode';
import { runBeside } from './docker-reaper';
import type { ExecOptions, ExecResult, TerminalStream } from './tenant-docker';

export const DEFAULT_EXEC_TIMEOUT_MS = 10_000;
/** Per stream: a chatty command cannot exhaust the worker's memory. */
export const MAX_EXEC_OUTPUT_BYTES = 1024 * 1024;
const SESSION_ENV = 'NETLABS_SESSION';
/** Once started the kill needs milliseconds; starting an exec on a loaded engine can take seconds. */
const KILL_TIMEOUT_MS = 8_000;

export const TERMINAL_CMD = ['/bin/sh', '-c', 'if [ -x /bin/bash ]; then exec /bin/bash; else exec /bin/sh; fi'];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Collects up to `cap` bytes and drops the rest, remembering that it did. */
class CappedSink extends Writable {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {
    super();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room > 0) {
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(kept);
      this.size += kept.length;
    }
    done();
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

function newSessionTag(): string {
  return randomBytes(8).toString('hex');
}

/**
 * A terminal's tag is its session id (hex, without dashes): any process can end its shell
 * from the id alone, after the process holding its stream died (killTerminal).
 */
export function terminalTag(terminalId: string): string {
  const tag = terminalId.toLowerCase().replace(/-/g, '');
  if (!/^[0-9a-f]{8,64}$/.test(tag)) throw new Error(`bad terminal id ${terminalId}`);
  return tag;
}

/** The variable value ends with "." so that one tag is never a prefix match of another. */
function sessionEnv(tag: string): string {
  return `${SESSION_ENV}=${tag}.`;
}

/**
 * Command killing every process of a session, printing `killed <n>`. A tagged process's
 * whole process group is killed at once with it: one kill(-pgid) stops a fork bomb at any
 * size, atomically (a child being forked dies too), which matters where the killer gets a
 * sliver of a CPU that hundreds of bomb processes share. A group holds only processes of
 * the tagged session (Linux keeps groups within a session), never the killer's own.
 * Passes repeat until one finds nothing.
 */
export function killSessionCommand(tag: string): string[] {
  if (!/^[0-9a-f]+$/.test(tag)) throw new Error(`bad session tag ${tag}`);
  const entry = sessionEnv(tag);
  // Field 3 after "pid (comm) " in /proc/<pid>/stat is the process group.
  const pgrp = (pid: string, into: string) => `read -r st < /proc/${pid}/stat && set -- \${st##*) } && ${into}=$3;`;
  const loop = (body: string) =>
    `${pgrp('$$', 'me')} n=0; for pass in 1 2 3 4 5 6 7 8; do m=0; ${body} n=$((n+m)); [ "$m" = 0 ] && break; done; echo "killed $n"`;
  const kill =
    `if [ "$p" != "$$" ]; then g=$me; ${pgrp('$p', 'g')} ` +
    '[ "$g" != "$me" ] && kill -KILL -- "-$g" 2>/dev/null; kill -KILL "$p" 2>/dev/null && m=$((m+1)); fi;';
  // environ is NUL-separated: bash's `read -d ''` walks its entries without a fork.
  const withBash = loop(
    `for d in /proc/[0-9]*; do p=\${d#/proc/}; while IFS= read -r -d '' e; do if [ "$e" = '${entry}' ]; then ${kill} break; fi; done < "$d/environ"; done 2>/dev/null;`,
  );
  // A regular expression, not -F: busybox's fixed-string grep stops at the first NUL.
  const pattern = entry.replace('.', '\\.');
  const withSh = loop(`for f in $(grep -ls '${pattern}' /proc/[0-9]*/environ); do p=\${f#/proc/}; p=\${p%/environ}; ${kill} done 2>/dev/null;`);
  return ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -c "$1"; else exec sh -c "$2"; fi', 'netlabs-kill', withBash, withSh];
}

export interface ExecRunOptions extends ExecOptions {
  /** Internal: the kill exec itself starts no other kill. */
  isKiller?: boolean;
}

export async function runExec(
  docker: Docker,
  container: Docker.Container,
  cmd: string[],
  options: ExecRunOptions,
  logger: Logger,
): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const tag = newSessionTag();
  const stdout = new CappedSink(MAX_EXEC_OUTPUT_BYTES);
  const stderr = new CappedSink(MAX_EXEC_OUTPUT_BYTES);
  const withStdin = options.stdin !== undefined;
  let stream: Duplex | undefined;
  let timedOut = false;

  const work = (async (): Promise<number | null> => {
    const exec = await container.exec({
      Cmd: cmd,
      AttachStdin: withStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: [...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`), sessionEnv(tag)],
      ...(options.user ? { User: options.user } : {}),
    });
    logger.debug(`exec ${exec.id} in ${container.id.slice(0, 12)}: ${cmd.join(' ').slice(0, 200)}`);
    const s = (await exec.start({ hijack: true, stdin: withStdin, Detach: false, Tty: false })) as Duplex;
    stream = s;
    if (timedOut) {
      s.destroy();
      return null;
    }
    const ended = new Promise<void>((resolve, reject) => {
      s.once('end', resolve);
      s.once('close', resolve);
      s.once('error', reject);
    });
    docker.modem.demuxStream(s, stdout, stderr);
    if (withStdin) {
      s.write(options.stdin);
      // Half-close: the engine then closes the process's stdin.
      s.end();
    }
    await ended;
    // The stream can end a moment before the engine records the exit code.
    for (;;) {
      const info = await exec.inspect();
      if (!info.Running) return info.ExitCode;
      if (timedOut) return null;
      await sleep(25);
    }
  })();

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([work, deadline]);
    if (outcome !== 'timeout') {
      return finish(outcome, false);
    }
  } finally {
    clearTimeout(timer);
  }

  timedOut = true;
  stream?.destroy();
  work.catch(() => undefined);
  logger.warn(`exec in ${container.id.slice(0, 12)} timed out after ${timeoutMs} ms: ${cmd.join(' ').slice(0, 200)}`);
  return finish(null, true);

  function finish(exitCode: number | null, didTimeOut: boolean): ExecResult {
    // In the background: the caller was promised an answer by timeoutMs, and a command that
    // ended may have left processes behind it.
    if (!options.isKiller && (didTimeOut || !options.keepBackground)) void killSession(docker, container, tag, logger);
    const result: ExecResult = { stdout: stdout.text(), stderr: stderr.text(), exitCode, timedOut: didTimeOut };
    if (stdout.truncated || stderr.truncated) result.truncated = true;
    return result;
  }
}

const KILL_ATTEMPTS = 4;
const KILL_RETRY_MS = 500;

/**
 * Kills every process of an exec session (see the file comment). Never throws.
 * At the pids limit the engine cannot start the kill exec in the container: from the
 * second attempt on, the script runs in a helper container sharing its PID namespace
 * (docker-reaper.ts), which the limit does not hold back.
 */
export async function killSession(docker: Docker, container: Docker.Container, tag: string, logger: Logger): Promise<number> {
  let lastError = 'no report';
  for (let attempt = 1; attempt <= KILL_ATTEMPTS; attempt++) {
    try {
      let out: string;
      if (attempt === 1) {
        const res = await runExec(docker, container, killSessionCommand(tag), { timeoutMs: KILL_TIMEOUT_MS, isKiller: true }, logger);
        out = res.stdout;
        lastError = `exit ${res.exitCode}${res.timedOut ? ' (timed out)' : ''}: ${(res.stderr || res.stdout).trim().slice(0, 200)}`;
      } else {
        out = await runBeside(docker, container, killSessionCommand(tag), logger);
        lastError = `reaper said: ${out.trim().slice(0, 200) || 'nothing'}`;
      }
      const report = /killed (\d+)/.exec(out);
      if (report) {
        const killed = Number(report[1]);
        if (killed) logger.log(`session ${tag} in ${container.id.slice(0, 12)}: killed ${killed} process(es)${attempt > 1 ? ' from a reaper' : ''}`);
        return killed;
      }
    } catch (err) {
      lastError = (err as Error).message;
      // A stopped or removed container has no processes left to kill.
      if (/is not running|no such container|is paused|marked for removal/i.test(lastError)) return 0;
    }
    await sleep(KILL_RETRY_MS);
  }
  logger.warn(`could not end session ${tag} in ${container.id.slice(0, 12)} after ${KILL_ATTEMPTS} attempts: ${lastError}`);
  return 0;
}

/** Kills the shell of terminal `terminalId` and all it started, from any process (see terminalTag). */
export function killTerminal(docker: Docker, container: Docker.Container, terminalId: string, logger: Logger): Promise<number> {
  return killSession(docker, container, terminalTag(terminalId), logger);
}

export async function openTerminal(
  docker: Docker,
  container: Docker.Container,
  terminalId: string,
  size: { rows: number; cols: number },
  logger: Logger,
): Promise<TerminalStream> {
  const tag = terminalTag(terminalId);
  const exec = await container.exec({
    Cmd: TERMINAL_CMD,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: true,
    Env: ['TERM=xterm-256color', sessionEnv(tag)],
  });
  const stream = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: true })) as Duplex;
  logger.log(`terminal ${exec.id} opened in ${container.id.slice(0, 12)}`);

  let ended = false;
  const endListeners: (() => void)[] = [];
  const onceEnded = () => {
    if (ended) return;
    ended = true;
    for (const listener of endListeners) listener();
  };
  stream.once('end', onceEnded);
  stream.once('close', onceEnded);
  stream.on('error', (err) => logger.warn(`terminal ${exec.id}: ${err.message}`));

  const resize = async (rows: number, cols: number) => {
    // Right after start the engine may not have the process yet: retry briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await exec.resize({ h: rows, w: cols });
        return;
      } catch (err) {
        if (attempt >= 5 || ended) throw err;
        await sleep(50 * (attempt + 1));
      }
    }
  };
  await resize(size.rows, size.cols).catch((err) => logger.warn(`terminal ${exec.id}: first resize failed: ${(err as Error).message}`));

  let killed: Promise<void> | undefined;
  return {
    execId: exec.id,
    write: (data) => {
      if (!ended) stream.write(data);
    },
    onData: (listener) => {
      stream.on('data', listener);
    },
    onEnd: (listener) => {
      if (ended) listener();
      else endListeners.push(listener);
    },
    resize,
    kill: () => {
      killed ??= (async () => {
        await killSession(docker, container, tag, logger);
        stream.destroy();
        logger.log(`terminal ${exec.id} killed`);
      })();
      return killed;
    },
    pause: () => {
      stream.pause();
    },
    resume: () => {
      stream.resume();
    },
  };
}
