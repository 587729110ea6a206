import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { BeforeApplicationShutdown, HttpException, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { bearerToken } from '../common/auth.guard';
import type { LiveTerminal, TerminalClient } from './live-terminal';
import { clientAddress, type TrustFn } from '../common/client-address';
import { CloseCode, isDeliberateClose, MAX_COLS, MAX_ROWS, noticeLine, parseClientMessage, sizeParam, TERMINAL_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from './terminal-protocol';
import { TerminalOwnerGone, TerminalsService } from './terminals.service';

const PATH = /^\/terminals\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
/** A paste is one frame: large enough for one, small enough that a client cannot make us hold much. */
const MAX_FRAME_BYTES = 1024 * 1024;
/** Pings find dead connections (a laptop lid closed) so the grace period starts, and keep proxies from timing out. */
const PING_EVERY_MS = 30_000;
const CLOSE_WAIT_MS = 1_000;
const BINARY = { binary: true };
const TEXT = { binary: false };

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  421: 'Misdirected Request',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * The terminal WebSocket endpoint (protocol in terminal-protocol.ts), on the API's own
 * HTTP server. Everything about `ws` stays in this class: sessions see a TerminalClient.
 */
@Injectable()
export class TerminalGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TerminalGateway.name);
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has(TERMINAL_SUBPROTOCOL) ? TERMINAL_SUBPROTOCOL : false),
  });
  private server?: Server;
  private pinger?: NodeJS.Timeout;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly terminals: TerminalsService,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
    this.pinger = setInterval(() => this.pingAll(), PING_EVERY_MS).unref();
  }

  /** Runs after TerminalsService ended every session (close frames sent): drops whoever did not answer. */
  async beforeApplicationShutdown(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    clearInterval(this.pinger);
    const deadline = Date.now() + CLOSE_WAIT_MS;
    while (this.wss.clients.size && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A client resetting the connection while we check it must not crash the process.
    socket.on('error', () => undefined);
    this.upgrade(req, socket, head).catch((error: unknown) => {
      this.logger.error(`upgrade of ${req.url}: ${String(error)}`);
      refuse(socket, 500, 'internal error');
    });
  };

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://netlabs.invalid');
    const match = PATH.exec(url.pathname);
    if (!match) {
      // Another WebSocket endpoint on this server (none today) would answer its own paths.
      if ((this.server?.listenerCount('upgrade') ?? 0) > 1) return;
      return refuse(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
    }
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
      return refuse(socket, 400, 'a WebSocket upgrade is expected here');
    }
    const params = url.searchParams;
    let session: LiveTerminal | undefined;
    try {
      session = await this.terminals.authorizeUpgrade(tokenOf(req, params), this.clientAddress(req), match[1].toLowerCase(), params.get('ticket'));
      const size = { rows: sizeParam(params.get('rows'), MAX_ROWS, 24), cols: sizeParam(params.get('cols'), MAX_COLS, 80) };
      await this.terminals.startShell(session, size);
    } catch (error) {
      if (error instanceof TerminalOwnerGone) return this.closeAtOnce(req, socket, head, CloseCode.OwnerGone, 'terminal lost: its server stopped', messageOf(error));
      if (!(error instanceof HttpException)) throw error;
      // A browser never sees why (the page only sees the socket close): the log says it.
      this.logger.warn(`terminal ${match[1].toLowerCase()}: upgrade refused (${error.getStatus()}): ${messageOf(error)}`);
      return refuse(socket, error.getStatus(), messageOf(error));
    }
    const since = Number(params.get('since') ?? 0);
    let upgraded = false;
    if (!socket.destroyed) {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        this.bind(ws, session, since);
      });
    }
    // The client left while its shell started (or ws refused the handshake): a shell nobody
    // can reach must not wait for a ticket that was already used.
    if (!upgraded && session.state === 'pending') session.end('never-opened');
  }

  /** As Express computes req.ip: X-Forwarded-For counts only from a proxy TRUST_PROXY trusts. */
  private clientAddress(req: IncomingMessage): string | undefined {
    const express = this.adapterHost.httpAdapter.getInstance<{ get(name: string): TrustFn }>();
    return clientAddress(req, express.get('trust proxy fn'));
  }

  /**
   * Upgrades only to say why there is no session (a browser never sees a refused
   * upgrade's status): a line in the terminal, then a close code the page understands.
   */
  private closeAtOnce(req: IncomingMessage, socket: Duplex, head: Buffer, code: number, reason: string, notice: string): void {
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(noticeLine(notice), { binary: true });
      ws.close(code, reason);
    });
  }

  private bind(ws: WebSocket, session: LiveTerminal, since: number): void {
    this.alive.set(ws, true);
    const client: TerminalClient = {
      send: (data, sent) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(data, typeof data === 'string' ? TEXT : BINARY, sent);
      },
      bufferedAmount: () => ws.bufferedAmount,
      close: (code, reason) => ws.close(code, Buffer.from(reason).subarray(0, 120).toString()),
      cut: () => ws.terminate(),
    };
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) return session.input(client, bytes);
      // Not a control message (bad JSON, unknown type, bad sizes): ignored, by design never fatal.
      const message = parseClientMessage(bytes.toString('utf8'));
      if (message?.type === 'input') session.input(client, message.data);
      else if (message?.type === 'resize') session.resize(client, message.rows, message.cols);
    });
    ws.on('pong', () => this.alive.set(ws, true));
    ws.on('error', (error) => this.logger.warn(`terminal ${session.id} socket: ${error.message}`));
    ws.on('close', (code: number) => session.clientGone(client, isDeliberateClose(code)));
    session.attach(client, Number.isSafeInteger(since) ? since : 0);
  }

  private pingAll(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.get(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.set(ws, false);
      ws.ping();
    }
  }
}

/** The caller's token: Authorization header, then the token subprotocol (browsers), then `?token=`. */
function tokenOf(req: IncomingMessage, params: URLSearchParams): string | undefined {
  const header = bearerToken(req.headers.authorization);
  if (header) return header;
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const fromProtocol = protocols.find((p) => p.startsWith(TOKEN_SUBPROTOCOL_PREFIX))?.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  return fromProtocol || params.get('token') || undefined;
}

function messageOf(error: HttpException): string {
  const body = error.getResponse();
  const raw = typeof body === 'string' ? body : (body as { message?: unknown }).message;
  return Array.isArray(raw) ? raw.join('; ') : String(raw ?? error.message);
}

/** Answers the upgrade request with a plain HTTP error (REST error body) and never upgrades. */
function refuse(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  if (!socket.writable) return void socket.destroy();
  const error = REASONS[status] ?? 'Error';
  const body = JSON.stringify({ statusCode: status, error, message });
  socket.end(
    `HTTP/1.1 ${status} ${error}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
