import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TerminalStream } from '../../../libs/docker/tenant-docker';
import { type EndReason, LiveTerminal, type LiveTerminalLimits, type TerminalClient } from './live-terminal';

const LIMITS: LiveTerminalLimits = {
  idleMs: 60_000,
  graceMs: 10_000,
  ringBytes: 64,
  highWaterBytes: 100,
  lowWaterBytes: 10,
  stuckMs: 3_000,
};

/** A shell: records what was written, lets the test print and exit. */
class FakeStream implements TerminalStream {
  execId = 'exec-1';
  written: string[] = [];
  sizes: [number, number][] = [];
  kills = 0;
  paused = false;
  private data?: (chunk: Buffer) => void;
  private ended?: () => void;
  write(data: Buffer | string) {
    this.written.push(data.toString());
  }
  onData(listener: (chunk: Buffer) => void) {
    this.data = listener;
  }
  onEnd(listener: () => void) {
    this.ended = listener;
  }
  async resize(rows: number, cols: number) {
    this.sizes.push([rows, cols]);
  }
  async kill() {
    this.kills++;
  }
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  print(text: string) {
    this.data!(Buffer.from(text));
  }
  exit() {
    this.ended!();
  }
}

/** A socket: what was sent, how it was closed; `buffered` plays the client's reading speed. */
class FakeClient implements TerminalClient {
  frames: (string | Buffer)[] = [];
  closed?: { code: number; reason: string };
  wasCut = false;
  buffered = 0;
  private pending: (() => void)[] = [];
  send(data: Buffer | string, sent?: () => void) {
    this.frames.push(data);
    if (typeof data !== 'string') this.buffered += data.length;
    if (sent) this.pending.push(sent);
  }
  bufferedAmount() {
    return this.buffered;
  }
  close(code: number, reason: string) {
    this.closed = { code, reason };
  }
  cut() {
    this.wasCut = true;
  }
  /** The client reads everything. */
  drain() {
    this.buffered = 0;
    for (const sent of this.pending.splice(0)) sent();
  }
  output() {
    return this.frames.filter((f) => typeof f !== 'string').join('');
  }
  controls() {
    return this.frames.filter((f): f is string => typeof f === 'string').map((f) => JSON.parse(f));
  }
}

describe('LiveTerminal', () => {
  let stream: FakeStream;
  let ended: EndReason[];
  let inputs: number;
  let states: string[];
  let sut: LiveTerminal;

  beforeEach(() => {
    vi.useFakeTimers();
    stream = new FakeStream();
    ended = [];
    inputs = 0;
    states = [];
    sut = new LiveTerminal(
      { id: 's1', labId: 'l1', hostId: 'local', scope: { labId: 'l1', classId: 'c1', prefix: 'nl-1' }, container: 'container1', actor: 'admin' },
      LIMITS,
      { opened: () => undefined, changed: (s) => states.push(s), input: () => inputs++, ended: (r) => ended.push(r), warn: () => undefined },
    );
  });
  afterEach(() => vi.useRealTimers());

  async function openAndAttach(client = new FakeClient(), since = 0) {
    await sut.open(async () => stream);
    sut.attach(client, since);
    return client;
  }

  it('tells its owner when it gets a client and when it loses one without ending (shared in Redis)', async () => {
    const client = await openAndAttach();
    sut.clientGone(client, false);
    await openAndAttach();
    expect(states).toEqual(['attached', 'detached', 'attached']);
  });

  it('carries bytes both ways and counts them', async () => {
    const client = await openAndAttach();
    expect(client.controls()[0]).toMatchObject({ type: 'ready', session: 's1', container: 'container1', offset: 0, lost: false });
    stream.print('$ ');
    sut.input(client, Buffer.from('ls\r'));
    sut.input(client, 'pwd\r');
    expect(stream.written).toEqual(['ls\r', 'pwd\r']);
    expect(client.output()).toBe('$ ');
    expect([sut.bytesIn, sut.bytesOut, inputs]).toEqual([7, 2, 2]);
  });

  it('replays output printed before the socket was attached', async () => {
    await sut.open(async () => stream);
    stream.print('welcome\r\n$ ');
    const client = new FakeClient();
    sut.attach(client, 0);
    expect(client.output()).toBe('welcome\r\n$ ');
  });

  it('kills the shell when the client closes on purpose', async () => {
    const client = await openAndAttach();
    sut.clientGone(client, true);
    expect(ended).toEqual(['closed']);
    expect(stream.kills).toBe(1);
  });

  it('keeps the shell through a dropped connection and gives back the missed output', async () => {
    const first = await openAndAttach();
    stream.print('abc');
    sut.clientGone(first, false);
    stream.print('def');
    expect(sut.state).toBe('detached');
    const again = new FakeClient();
    sut.attach(again, 3);
    expect(again.controls()[0]).toMatchObject({ offset: 3, lost: false });
    expect(again.output()).toBe('def');
    expect(stream.kills).toBe(0);
  });

  it('ends a detached session after the grace period', async () => {
    const client = await openAndAttach();
    sut.clientGone(client, false);
    vi.advanceTimersByTime(LIMITS.graceMs + 1);
    expect(ended).toEqual(['disconnected']);
    expect(stream.kills).toBe(1);
  });

  it('hands the session to a newer connection and ignores the old one', async () => {
    const old = await openAndAttach();
    const fresh = new FakeClient();
    sut.attach(fresh, 0);
    expect(old.closed?.code).toBe(4409);
    sut.input(old, 'ignored');
    sut.clientGone(old, true);
    expect(stream.written).toEqual([]);
    expect(sut.state).toBe('attached');
  });

  it('closes an idle session with a line saying why', async () => {
    const client = await openAndAttach();
    vi.advanceTimersByTime(LIMITS.idleMs - 1);
    sut.input(client, 'x');
    vi.advanceTimersByTime(LIMITS.idleMs - 1);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(client.output()).toContain('[netlabs] session closed: idle for 1 min');
    expect(client.closed).toEqual({ code: 4408, reason: 'idle for 1 min' });
    expect(ended).toEqual(['idle']);
  });

  it('says when the shell exited, and still kills what it left behind', async () => {
    const client = await openAndAttach();
    stream.exit();
    expect(client.output()).toContain('the shell exited');
    expect(client.closed?.code).toBe(1000);
    expect(ended).toEqual(['shell-exited']);
    expect(stream.kills).toBe(1);
  });

  it('passes resizes to the exec', async () => {
    const client = await openAndAttach();
    sut.resize(client, 40, 120);
    expect(stream.sizes).toEqual([[40, 120]]);
  });

  it('pauses the shell while the client lags, resumes when it reads', async () => {
    const client = await openAndAttach();
    stream.print('x'.repeat(150));
    expect(stream.paused).toBe(true);
    client.drain();
    expect(stream.paused).toBe(false);
  });

  it('cuts a client that stops reading, keeping the shell for the grace period', async () => {
    const client = await openAndAttach();
    stream.print('x'.repeat(150));
    vi.advanceTimersByTime(LIMITS.stuckMs + 1);
    expect(client.wasCut).toBe(true);
    expect(sut.state).toBe('detached');
    expect(stream.paused).toBe(false);
    stream.print('y'.repeat(200));
    expect(sut.bytesOut).toBe(350);
  });

  it('ends the session when the shell cannot start', async () => {
    await expect(sut.open(async () => Promise.reject(new Error('no such container')))).rejects.toThrow('no such container');
    expect(ended).toEqual(['open-failed']);
  });
});
