/** Answers a request (plain or upgrade) with JSON and the lab daemon's headers. */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { DAEMON_HEADERS } from '../handlers/system';

export type Reply = { kind: 'response'; res: http.ServerResponse } | { kind: 'upgrade'; socket: Duplex; head: Buffer };

export function sendJson(reply: Reply, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const headers = { ...DAEMON_HEADERS, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) };
  if (reply.kind === 'response') {
    if (reply.res.headersSent) {
      reply.res.destroy();
      return;
    }
    reply.res.writeHead(status, headers);
    reply.res.end(text);
    return;
  }
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  reply.socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${lines.join('\r\n')}\r\nconnection: close\r\n\r\n${text}`);
}
