/**
 * Carrying out a handler's decision: a JSON answer, a forwarded request whose reply is
 * rewritten (JSON whole, progress line by line) or piped (logs, archives, wait), or an
 * upgrade spliced both ways with half-close kept (Ctrl-P Ctrl-Q detaches by closing the
 * client's sending side only).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { Transform } from 'node:stream';
import { type EngineReply, type EngineUpgrade, readAll } from '../../docker/engine-channel';
import type { GatewayCall, Outcome } from '../handlers/call';
import { DAEMON_HEADERS } from '../handlers/system';
import { type Reply, sendJson } from './send';

export type { Reply } from './send';

/** Engine headers passed on to the client (the rest are hop-by-hop or ours). */
const PASSED_HEADERS = ['content-type', 'x-docker-container-path-stat'];

function headersFrom(reply: EngineReply, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...DAEMON_HEADERS, ...extra };
  for (const name of PASSED_HEADERS) {
    const v = reply.headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/** Rewrites text line by line (progress streams are newline-delimited JSON). */
function lineRewriter(rewrite: (s: string) => string): Transform {
  let pending = '';
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      pending += chunk.toString('utf8');
      const cut = pending.lastIndexOf('\n');
      if (cut === -1) return done();
      const ready = pending.slice(0, cut + 1);
      pending = pending.slice(cut + 1);
      done(null, rewrite(ready));
    },
    flush(done) {
      done(null, pending ? rewrite(pending) : undefined);
    },
  });
}

async function answerWithJson(engine: EngineReply, call: GatewayCall, reply: Reply): Promise<void> {
  const text = await readAll(engine.body, 64 * 1024 * 1024);
  if (!text.length) {
    if (reply.kind === 'response') {
      reply.res.writeHead(engine.status, headersFrom(engine));
      reply.res.end();
    } else sendJson(reply, engine.status, {});
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text.trim() };
  }
  sendJson(reply, engine.status, call.rewriter.value(body));
}

function pipeToClient(engine: EngineReply, res: http.ServerResponse, transform?: Transform): void {
  res.writeHead(engine.status, headersFrom(engine));
  res.flushHeaders();
  const source = transform ? engine.body.pipe(transform) : engine.body;
  source.pipe(res);
  // The client went away (Ctrl-C on logs -f or wait): stop the engine's side too.
  res.on('close', () => engine.body.destroy());
}

function splice(engine: EngineUpgrade, client: Duplex, leftover: Buffer): void {
  const headers = { ...DAEMON_HEADERS, 'content-type': String(engine.headers['content-type'] ?? 'application/vnd.docker.raw-stream'), connection: 'Upgrade', upgrade: 'tcp' };
  client.write(`HTTP/1.1 101 UPGRADED\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
  if (engine.head.length) client.write(engine.head);
  if (leftover.length) engine.socket.write(leftover);
  engine.socket.pipe(client, { end: true });
  client.pipe(engine.socket, { end: true });
  client.resume();
  const destroy = () => {
    client.destroy();
    engine.socket.destroy();
  };
  client.on('error', destroy);
  engine.socket.on('error', destroy);
  client.on('close', () => engine.socket.end());
  engine.socket.on('close', () => client.end());
}

export async function carryOut(outcome: Outcome, call: GatewayCall, reply: Reply, leftover: Buffer): Promise<void> {
  const res = reply.kind === 'response' ? reply.res : undefined;
  switch (outcome.kind) {
    case 'json':
      sendJson(reply, outcome.status, outcome.body);
      return;
    case 'empty':
      if (res) {
        res.writeHead(outcome.status, { ...DAEMON_HEADERS, ...outcome.headers });
        res.end();
      } else sendJson(reply, outcome.status, {});
      return;
    case 'stream':
      if (!res) return sendJson(reply, 400, { message: 'this endpoint does not upgrade' });
      res.writeHead(outcome.status, { ...DAEMON_HEADERS, 'content-type': outcome.contentType });
      if (call.method === 'HEAD') {
        res.end();
        return;
      }
      outcome.body.pipe(res);
      return;
    case 'forward': {
      const engine = await call.view.engine.request(outcome.call);
      if (outcome.reply === 'json' || engine.status >= 400 || !res) return answerWithJson(engine, call, reply);
      if (call.method === 'HEAD') {
        res.writeHead(engine.status, headersFrom(engine));
        res.end();
        engine.body.resume();
        return;
      }
      pipeToClient(engine, res, outcome.reply === 'lines' ? lineRewriter((s) => call.rewriter.text(s)) : undefined);
      return;
    }
    case 'upgrade': {
      if (!(reply.kind === 'upgrade')) {
        const engine = await call.view.engine.request(outcome.call);
        if (engine.status >= 400) return answerWithJson(engine, call, reply);
        pipeToClient(engine, reply.res);
        return;
      }
      const engine = await call.view.engine.upgrade(outcome.call);
      if (!('socket' in engine)) return answerWithJson(engine, call, reply);
      splice(engine, reply.socket, leftover);
      return;
    }
  }
}
