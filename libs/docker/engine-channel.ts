/**
 * A raw HTTP channel to one Docker engine, for the lab gateway (libs/gateway), which
 * must hand the docker CLI the engine's own JSON and streams. It lives here because this
 * folder is the only code that talks to an engine. It decides nothing: the gateway's
 * policy has already rewritten every path, query and body it sends, and always with the
 * API version the gateway chose (an old version would accept HostConfig at start).
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
// docker-modem's SSH agent (dockerode's own ssh:// transport): each connection is `docker system dial-stdio` on the engine's machine.
import sshAgent from 'docker-modem/lib/ssh';
import type { EngineAccess } from '../config/engine-access';
import { transportMessage } from './docker-errors';
import { sshOptions, tlsOptions } from './docker-specs';
import { DockerLayerError } from './tenant-docker';

/** The Engine API version the gateway speaks to engines (engine 20.10 = 1.41). */
export const ENGINE_API_VERSION = '1.41';

export interface EngineCall {
  method: string;
  /** Path without version prefix, e.g. `/containers/abc/json`; query already encoded. */
  path: string;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  /** A JSON body (serialised here, with the exact content type), raw bytes, or a stream. */
  json?: unknown;
  body?: Buffer | Readable;
  timeoutMs?: number;
}

export interface EngineReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface EngineUpgrade {
  status: number;
  headers: http.IncomingHttpHeaders;
  socket: Duplex;
  head: Buffer;
}

export class EngineChannel {
  private readonly agent: http.Agent;
  /** Where requests go and how: a socket path, or host and port with TLS options, or an SSH agent per request. */
  private readonly target: http.RequestOptions;
  private readonly transport: typeof http | typeof https;
  private readonly ssh?: Record<string, unknown>;

  constructor(
    readonly hostId: string,
    access: EngineAccess,
  ) {
    this.transport = access.kind === 'tcp' && access.tls ? https : http;
    if (access.kind === 'unix') this.target = { socketPath: access.socketPath };
    else if (access.kind === 'tcp') this.target = { host: access.host, port: access.port, ...(access.tls ? tlsOptions(access.tls) : {}) };
    else {
      this.target = {};
      this.ssh = { host: access.host, port: access.port, username: access.username, ...sshOptions(access.secrets) };
    }
    this.agent = access.kind === 'tcp' && access.tls ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** The agent of one request: ours (kept alive), none for an upgrade, and a new SSH connection for ssh://. */
  private agentFor(upgrade: boolean): http.Agent | false {
    if (this.ssh) return sshAgent(this.ssh);
    return upgrade ? false : this.agent;
  }

  private options(call: EngineCall, upgrade: boolean): http.RequestOptions {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(call.query ?? {})) if (v !== undefined) query.set(k, v);
    const qs = query.toString();
    const headers: Record<string, string> = { ...call.headers };
    if (call.json !== undefined) headers['content-type'] = 'application/json';
    if (upgrade) Object.assign(headers, { connection: 'Upgrade', upgrade: 'tcp' });
    return {
      ...this.target,
      agent: this.agentFor(upgrade),
      method: call.method,
      path: `/v${ENGINE_API_VERSION}${call.path}${qs ? `?${qs}` : ''}`,
      headers,
    };
  }

  private send(req: http.ClientRequest, call: EngineCall): void {
    if (call.json !== undefined) {
      req.end(JSON.stringify(call.json));
    } else if (Buffer.isBuffer(call.body)) {
      req.end(call.body);
    } else if (call.body) {
      call.body.pipe(req);
      call.body.on('error', (err) => req.destroy(err));
    } else {
      req.end();
    }
  }

  private unreachable(err: Error): DockerLayerError {
    return new DockerLayerError('unreachable', `Docker host ${this.hostId} does not answer: ${transportMessage(err)}`);
  }

  /** One request; the reply body is a stream the caller consumes or pipes. */
  request(call: EngineCall): Promise<EngineReply> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.options(call, false), (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res }));
      req.on('error', (err) => reject(this.unreachable(err)));
      if (call.timeoutMs) req.setTimeout(call.timeoutMs, () => req.destroy(new Error(`no reply within ${call.timeoutMs} ms`)));
      this.send(req, call);
    });
  }

  /** A request and its whole reply parsed as JSON (for the small answers the gateway rewrites). */
  async json<T = unknown>(call: EngineCall): Promise<{ status: number; body: T }> {
    const reply = await this.request({ timeoutMs: 30_000, ...call });
    const text = await readAll(reply.body, 64 * 1024 * 1024);
    let body: unknown = text;
    try {
      body = text.length ? JSON.parse(text) : null;
    } catch {
      body = { message: text.trim() };
    }
    return { status: reply.status, body: body as T };
  }

  /** An HTTP upgrade (attach, exec start): the engine's raw stream, or its non-101 reply. */
  upgrade(call: EngineCall): Promise<EngineUpgrade | EngineReply> {
    return new Promise((resolve, reject) => {
      const req = this.transport.request(this.options(call, true));
      req.on('upgrade', (res, socket, head) => resolve({ status: res.statusCode ?? 101, headers: res.headers, socket, head }));
      req.on('response', (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res }));
      req.on('error', (err) => reject(this.unreachable(err)));
      this.send(req, call);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Reads a stream to a string, failing past `limit` bytes rather than growing without bound. */
export function readAll(stream: Readable, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.destroy();
        reject(new DockerLayerError('engine', `reply larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}
