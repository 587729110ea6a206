/**
 * A lab's daemon (the gateway) as a student's console reaches it: the real docker CLI
 * (Debian's 20.10 client) with the lab's credential in its config.json, and raw HTTP over
 * the unix socket for what the CLI cannot express (old API versions, odd paths, bodies
 * where none belong, forged credentials, upgrades).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CREDENTIAL_HEADER } from '../../libs/gateway/credentials';

/** Debian's docker client (docker.io, installed by infra/engine.sh): the one lab consoles ship. */
export const DOCKER_CLI = '/usr/bin/docker';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The `message` of a JSON error body, or '' */
  message: string;
}

export interface HttpOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The credential header to send; null sends none. Defaults to the lab's own. */
  credential?: string | null;
  /** Ask for an HTTP upgrade (attach, exec start, /session, /grpc) as the CLI does. */
  upgrade?: string;
  timeoutMs?: number;
}

export class LabDaemon {
  readonly configDir: string;

  /**
   * @param socketPath the gateway's unix socket
   * @param credential the lab's `X-NetLabs-Lab` value (null: a console without one)
   * @param workDir a folder of this lab's own for the CLI's config and build contexts
   */
  constructor(
    readonly socketPath: string,
    readonly credential: string | null,
    readonly workDir: string,
  ) {
    this.configDir = path.join(workDir, 'docker-config');
    mkdirSync(this.configDir, { recursive: true });
    const config = credential ? { HttpHeaders: { 'X-NetLabs-Lab': credential } } : {};
    writeFileSync(path.join(this.configDir, 'config.json'), JSON.stringify(config));
  }

  /** Runs the docker CLI against the lab's daemon; never throws, never hangs past timeoutMs. */
  docker(args: string[], options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
    const env = {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: this.workDir,
      DOCKER_HOST: `unix://${this.socketPath}`,
      DOCKER_CONFIG: this.configDir,
      DOCKER_BUILDKIT: '0',
      ...options.env,
    };
    return new Promise((resolve) => {
      execFile(DOCKER_CLI, args, { env, cwd: options.cwd ?? this.workDir, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
    });
  }

  /** One HTTP request on its own connection; an upgrade answered 101 resolves with status 101 and is closed. */
  request(method: string, urlPath: string, options: HttpOptions = {}): Promise<HttpReply> {
    const headers: Record<string, string> = { ...options.headers };
    const credential = options.credential === undefined ? this.credential : options.credential;
    if (credential) headers[CREDENTIAL_HEADER] = credential;
    if (options.upgrade) Object.assign(headers, { connection: 'Upgrade', upgrade: options.upgrade });
    const given = Object.keys(headers).map((h) => h.toLowerCase());
    if (options.body !== undefined && !given.includes('content-length') && !given.includes('transfer-encoding')) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socketPath, method, path: urlPath, headers, agent: false });
      req.setTimeout(options.timeoutMs ?? 30_000, () => req.destroy(new Error(`${method} ${urlPath}: no answer`)));
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: '', message: '' });
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let message = '';
          try {
            message = String((JSON.parse(text) as { message?: unknown }).message ?? '');
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, message });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(options.body);
    });
  }

  /** The request's JSON answer (throws on non-2xx): for the test's own setup through the daemon. */
  async json<T = any>(method: string, urlPath: string, body?: unknown): Promise<T> {
    const reply = await this.request(method, urlPath, {
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (reply.status >= 300) throw new Error(`${method} ${urlPath} answered ${reply.status}: ${reply.text}`);
    return (reply.text ? JSON.parse(reply.text) : undefined) as T;
  }

  /**
   * Bytes written as they are on a fresh connection (smuggled bodies, NUL bytes, paths Node's
   * client would not send); returns everything the daemon answered until it closed the
   * connection or went quiet for quietMs.
   */
  raw(bytes: string | Buffer, quietMs = 1_500): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.socketPath);
      const chunks: Buffer[] = [];
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(Buffer.concat(chunks).toString('utf8'));
      };
      const quiet = () => {
        clearTimeout(timer);
        timer = setTimeout(done, quietMs);
      };
      socket.on('connect', () => {
        socket.write(bytes);
        quiet();
      });
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        quiet();
      });
      socket.on('close', done);
      socket.on('error', (err) => (chunks.length ? done() : reject(err)));
    });
  }

  /** A raw HTTP/1.1 request head with this lab's credential (unless null) and the given extra lines. */
  head(method: string, urlPath: string, extra: string[] = [], credential: string | null = this.credential): string {
    const lines = [`${method} ${urlPath} HTTP/1.1`, 'Host: docker', ...(credential ? [`${CREDENTIAL_HEADER}: ${credential}`] : []), ...extra];
    return `${lines.join('\r\n')}\r\n\r\n`;
  }
}

/** The status codes of every HTTP response found in a raw exchange, in order. */
export function statuses(rawText: string): number[] {
  return [...rawText.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
}
