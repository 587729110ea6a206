/**
 * A build context (the tar the CLI sends to `POST /build`), read whole (up to a cap) so
 * that its Dockerfile is checked before the engine sees a byte, then packed again with the
 * Dockerfile rewritten by the Dockerfile policy. A gzip context is unpacked first; other
 * compressions are refused. The TP's context (the chat folder) is a few kilobytes.
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { extract, pack, type Header } from 'tar-stream';
import { badRequest } from '../refusal';

export const MAX_CONTEXT_BYTES = 16 * 1024 * 1024;

/** An entry's path as the engine's untar resolves it (`./a`, `/a`, `x/../a` and `a//` are all `a`). */
const normalise = (p: string) => posix.normalize(`/${p}`).replace(/^\/+/, '').replace(/\/+$/, '');

function readCapped(input: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    input.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_CONTEXT_BYTES) {
        input.destroy();
        reject(badRequest(`the build context is larger than ${MAX_CONTEXT_BYTES / 1024 / 1024} MB: build from a smaller folder (or add a .dockerignore)`));
        return;
      }
      chunks.push(c);
    });
    input.on('end', () => resolve(Buffer.concat(chunks)));
    input.on('error', reject);
  });
}

function decompress(raw: Buffer): Buffer {
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      return gunzipSync(raw, { maxOutputLength: MAX_CONTEXT_BYTES });
    } catch {
      throw badRequest(`the gzip build context is invalid or larger than ${MAX_CONTEXT_BYTES / 1024 / 1024} MB once unpacked`);
    }
  }
  if (raw.subarray(0, 3).toString() === 'BZh' || (raw[0] === 0xfd && raw.subarray(1, 5).toString() === '7zXZ')) {
    throw badRequest('build contexts compressed with bzip2 or xz are not accepted: send a plain or gzip tar');
  }
  return raw;
}

function entries(tar: Buffer): Promise<{ header: Header; data: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const out: { header: Header; data: Buffer }[] = [];
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        out.push({ header, data: Buffer.concat(chunks) });
        next();
      });
    });
    ex.on('finish', () => resolve(out));
    ex.on('error', (err) => reject(badRequest(`the build context is not a valid tar: ${err.message}`)));
    ex.end(tar);
  });
}

/**
 * @param dockerfile the Dockerfile's path inside the context (the build's `dockerfile` parameter)
 * @param rewrite the Dockerfile policy; its refusals end the build before the engine is called
 */
export async function rewriteContext(input: Readable, dockerfile: string, rewrite: (text: string) => string): Promise<Readable> {
  const list = await entries(decompress(await readCapped(input)));
  const target = normalise(dockerfile);
  const named = list.filter((e) => normalise(e.header.name) === target);
  // The engine extracts every entry and reads the last one of a name: a second Dockerfile
  // would be built instead of the one checked here.
  if (named.length > 1) throw badRequest(`the build context holds ${dockerfile} more than once: send one Dockerfile`);
  const file = named.find((e) => (e.header.type ?? 'file') === 'file');
  if (!file) throw badRequest(`Cannot locate specified Dockerfile: ${dockerfile}`);
  file.data = Buffer.from(rewrite(file.data.toString('utf8')));
  file.header = { ...file.header, size: file.data.length };
  const out = pack();
  for (const e of list) if (e !== file) out.entry(e.header, e.data);
  // The checked Dockerfile goes last, so that no entry extracted after it can replace it
  // under another name (through a symlinked folder such as `sub -> .` and `sub/Dockerfile`).
  out.entry(file.header, file.data);
  out.finalize();
  // tar-stream's streams are streamx ones: wrap for the node:http request body.
  return Readable.from(out as unknown as AsyncIterable<Buffer>);
}
