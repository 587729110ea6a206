import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * The shipped nginx configuration (infra/proxy/nginx.conf.template, run by infra/proxy.sh)
 * in front of two small HTTP servers standing in for two API processes: each answers with
 * its name and what it received. Needs Debian's nginx (infra/setup.sh installs it).
 */
const PROXY = path.join(__dirname, 'proxy.sh');

interface Backend {
  name: string;
  port: number;
  server: Server;
  /** POST bodies it received (to see that nothing is sent twice). */
  posts: string[];
}

function startBackend(name: string): Promise<Backend> {
  const backend: Backend = { name, port: 0, server: createServer(), posts: [] };
  backend.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'POST') backend.posts.push(body);
      if (req.url?.endsWith('/events')) {
        // An event now, the rest much later: a buffering proxy would hold the first one.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: lab\ndata: {"first":true}\n\n');
        setTimeout(() => res.end('event: settled\ndata: {}\n\n'), 3000);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name, url: req.url, forwardedFor: req.headers['x-forwarded-for'], proto: req.headers['x-forwarded-proto'], host: req.headers.host }));
    });
  });
  // Terminal WebSockets: the server names itself in its first message.
  const wss = new WebSocketServer({ noServer: true });
  backend.server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(JSON.stringify({ name, url: req.url }))));
  return new Promise((resolve) => backend.server.listen(0, '127.0.0.1', () => resolve({ ...backend, port: (backend.server.address() as AddressInfo).port })));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('infra/proxy.sh: the shipped nginx configuration', () => {
  let a: Backend;
  let b: Backend;
  let listen: number;
  let url: string;
  const get = async (p: string, headers: Record<string, string> = {}) => (await fetch(`${url}${p}`, { headers })).json();
  const terminal = (sessionId: string) =>
    new Promise<{ name: string; url: string }>((resolve, reject) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/terminals/${sessionId}?ticket=t-${sessionId}`);
      ws.once('message', (data: Buffer) => {
        ws.close();
        resolve(JSON.parse(data.toString()));
      });
      ws.once('error', reject);
    });

  beforeAll(async () => {
    [a, b] = await Promise.all([startBackend('a'), startBackend('b')]);
    listen = await freePort();
    execFileSync('bash', [PROXY, 'start', String(listen), String(a.port), String(b.port)], { stdio: 'pipe' });
    url = `http://127.0.0.1:${listen}`;
  });

  afterAll(() => {
    if (listen) execFileSync('bash', [PROXY, 'stop', String(listen)], { stdio: 'pipe' });
    // Not waited for: upgraded sockets are no longer the HTTP server's to close.
    for (const backend of [a, b]) {
      backend?.server.close();
      backend?.server.closeAllConnections();
    }
  });

  it('balances plain requests over both processes, with X-Forwarded-For appended and X-Forwarded-Proto', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await get('/labs/x', { 'x-forwarded-for': '198.51.100.9' }));
    expect(new Set(answers.map((r) => r.name))).toEqual(new Set(['a', 'b']));
    expect(answers[0]).toMatchObject({ url: '/labs/x', forwardedFor: '198.51.100.9, 127.0.0.1', proto: 'http', host: `127.0.0.1:${listen}` });
  });

  it('sends every upgrade of one terminal session to the same process, and sessions to both', async () => {
    const sessions = Array.from({ length: 24 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    // One after the other, each session twice in a row: round robin would alternate them.
    const first: { name: string; url: string }[] = [];
    const again: { name: string; url: string }[] = [];
    for (const session of sessions) {
      first.push(await terminal(session));
      again.push(await terminal(session));
    }
    expect(again.map((r) => r.name)).toEqual(first.map((r) => r.name));
    expect(first[0].url).toBe(`/terminals/${sessions[0]}?ticket=t-${sessions[0]}`);
    expect(new Set(first.map((r) => r.name))).toEqual(new Set(['a', 'b']));
  });

  // nginx 1.22 passes this first event on even with buffering on (checked): this shows the
  // stream works through the proxy, not that buffering is off (the template turns it off).
  it('passes server-sent events on as they come', async () => {
    const started = Date.now();
    const response = await fetch(`${url}/classes/c1/events`);
    const reader = response.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('"first":true');
    expect(Date.now() - started).toBeLessThan(2000);
    await reader.cancel();
  });

  it('when a process is gone: GETs, POSTs that never reached it and terminal upgrades go to the other, once', async () => {
    const sessions = Array.from({ length: 8 }, (_, i) => `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const before = await Promise.all(sessions.map(terminal));
    expect(before.some((r) => r.name === 'b')).toBe(true);
    b.server.closeAllConnections();
    await new Promise((resolve) => b.server.close(resolve));
    for (let i = 0; i < 4; i++) expect((await get('/health')).name).toBe('a');
    const posts = a.posts.length;
    const post = await fetch(`${url}/classes`, { method: 'POST', body: 'one class', headers: { 'content-type': 'text/plain' } });
    expect(post.status).toBe(200);
    expect(a.posts.slice(posts)).toEqual(['one class']);
    expect(b.posts).not.toContain('one class');
    // The sessions of b reach a now (a says their shell is gone); a's stay on a.
    const after = await Promise.all(sessions.map(terminal));
    expect(after.every((r) => r.name === 'a')).toBe(true);
  });
});
