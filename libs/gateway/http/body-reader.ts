/**
 * The request body, read once and on demand. For an upgrade (exec start with `Upgrade:
 * tcp`) Node hands over the socket with whatever followed the headers in `head`: the
 * JSON body is the first Content-Length bytes of that, and the rest belongs to the stream.
 */
import type http from 'node:http';
import { Readable } from 'node:stream';
import { badRequest } from '../refusal';

export const MAX_JSON_BYTES = 1024 * 1024;

export class BodyReader {
  private rest: Buffer;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly upgrade?: { socket: NodeJS.ReadableStream; head: Buffer },
  ) {
    this.rest = upgrade?.head ?? Buffer.alloc(0);
  }

  private readPlain(limit: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          reject(badRequest(`request body larger than ${limit} bytes`));
          this.req.destroy();
          return;
        }
        chunks.push(c);
      });
      this.req.on('end', () => resolve(Buffer.concat(chunks)));
      this.req.on('error', reject);
    });
  }

  private async readUpgrade(limit: number): Promise<Buffer> {
    const length = Number(this.req.headers['content-length'] ?? 0);
    if (!Number.isInteger(length) || length < 0 || length > limit) throw badRequest('invalid Content-Length for an upgrade request');
    if (this.req.headers['transfer-encoding']) throw badRequest('chunked bodies are not accepted on upgrade requests');
    const { socket, head } = this.upgrade!;
    if (head.length >= length) {
      this.rest = head.subarray(length);
      return head.subarray(0, length);
    }
    return new Promise<Buffer>((resolve, reject) => {
      let got = head;
      const done = () => {
        socket.off('data', onData);
        socket.off('end', onEnd);
        socket.off('error', reject);
      };
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        if (got.length < length) return;
        done();
        // Nothing more is read until the stream is piped to the engine.
        socket.pause();
        this.rest = got.subarray(length);
        resolve(got.subarray(0, length));
      };
      const onEnd = () => {
        done();
        reject(badRequest('the request body ended early'));
      };
      socket.on('data', onData);
      socket.once('end', onEnd);
      socket.once('error', reject);
    });
  }

  private raw(limit: number): Promise<Buffer> {
    return this.upgrade ? this.readUpgrade(limit) : this.readPlain(limit);
  }

  /** The body as a JSON object ({} when empty), whatever content type the client claimed. */
  async json(): Promise<Record<string, unknown>> {
    const raw = await this.raw(MAX_JSON_BYTES);
    if (!raw.length) return {};
    let value: unknown;
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch {
      throw badRequest('invalid JSON in the request body');
    }
    if (value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) throw badRequest('the request body must be a JSON object');
    return value as Record<string, unknown>;
  }

  /** Refuses any body at all. */
  async none(): Promise<void> {
    const raw = await this.raw(MAX_JSON_BYTES);
    if (raw.length) throw badRequest('this endpoint takes no request body in a lab');
  }

  stream(): Readable {
    if (this.upgrade) return Readable.from([]);
    return this.req;
  }

  /** Bytes that followed an upgrade request's body: the start of the client's stream. */
  leftover(): Buffer {
    return this.rest;
  }
}
