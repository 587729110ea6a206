/**
 * The lab daemon's front door, read top to bottom: a request (plain or upgrade) is
 * parsed strictly, tied to a lab by its credential, matched against the route table,
 * decided by its handler, and the outcome carried out (answered here, or forwarded to the
 * lab's engine through the channel of libs/docker, streams and upgrades included).
 */
import http from 'node:http';
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Duplex } from 'node:stream';
import { Logger } from '@nestjs/common';
import type { DockerHostPool } from '../../docker/docker-host-pool';
import { DockerLayerError } from '../../docker/tenant-docker';
import { verifyCredential, CREDENTIAL_HEADER } from '../credentials';
import type { GatewayLab, GatewayLabs, GatewaySettings } from '../gateway-lab';
import type { GatewayCall, Outcome } from '../handlers/call';
import { DAEMON_HEADERS } from '../handlers/system';
import { LabView } from '../lab-view';
import { ImageNames } from '../policy/image-refs';
import { Refusal, badRequest } from '../refusal';
import { LabRewriter } from '../rewrite';
import { route } from '../routes';
import { BodyReader } from './body-reader';
import { parseRequestLine } from './request-line';
import { type Reply, carryOut } from './outcomes';
import { sendJson } from './send';

export interface GatewayServerOptions {
  /** Unix socket path the gateway listens on (bind-mounted into lab consoles). */
  socketPath: string;
  /** Secret the lab credentials are derived from. */
  secret: string;
  settings: GatewaySettings;
}

const LAB_CACHE_MS = 2_000;

export class GatewayServer {
  private readonly logger = new Logger('LabGateway');
  private readonly server: http.Server;
  private readonly labCache = new Map<string, { at: number; lab: GatewayLab | null }>();

  constructor(
    private readonly options: GatewayServerOptions,
    private readonly labs: GatewayLabs,
    private readonly hosts: DockerHostPool,
  ) {
    this.server = http.createServer((req, res) => void this.handle(req, { kind: 'response', res }));
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void this.handle(req, { kind: 'upgrade', socket, head }));
    // Long `wait`, `logs -f` and attached sessions: no server-side timeouts.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 30_000;
    this.server.keepAliveTimeout = 60_000;
  }

  async listen(): Promise<void> {
    const path = this.options.socketPath;
    mkdirSync(dirname(path), { recursive: true });
    rmSync(path, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => resolve());
    });
    chmodSync(path, 0o660);
    this.logger.log(`lab daemon listening on unix://${path}`);
  }

  /** Open connections from lab consoles (streams such as `logs -f` or `exec -it` included): for metrics. */
  connections(): Promise<number> {
    return new Promise((resolve) => this.server.getConnections((_error, count) => resolve(count ?? 0)));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.options.socketPath, { force: true });
  }

  private async lab(labId: string): Promise<GatewayLab | null> {
    const cached = this.labCache.get(labId);
    if (cached && Date.now() - cached.at < LAB_CACHE_MS) return cached.lab;
    const lab = await this.labs.findReady(labId);
    this.labCache.set(labId, { at: Date.now(), lab });
    if (this.labCache.size > 5_000) this.labCache.delete(this.labCache.keys().next().value as string);
    return lab;
  }

  private async handle(req: http.IncomingMessage, reply: Reply): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      const line = parseRequestLine(req.url ?? '/');
      const header = req.headers[CREDENTIAL_HEADER];
      const labId = verifyCredential(this.options.secret, Array.isArray(header) ? header[0] : header);
      if (!labId) throw new Refusal(401, 'this daemon only answers the console of a NetLabs lab: open the console on your lab page');
      const lab = await this.lab(labId);
      if (!lab) throw new Refusal(503, 'your lab is not ready (it is being prepared, reset, or has ended): look at your lab page');
      const found = route(method, line.path);
      if (!found) throw new Refusal(403, `${method} ${line.path} is not available in a lab`);
      const body = new BodyReader(req, reply.kind === 'upgrade' ? reply : undefined);
      const settings = this.options.settings;
      const view = new LabView(lab, this.hosts.channel(lab.hostId));
      const call: GatewayCall = {
        lab,
        view,
        images: new ImageNames(lab, settings),
        rewriter: new LabRewriter(lab, settings),
        settings,
        method,
        params: found.params,
        query: line.query,
        headers: req.headers,
        upgrade: reply.kind === 'upgrade',
        json: () => body.json(),
        stream: () => body.stream(),
        noBody: () => body.none(),
      };
      const outcome: Outcome = await found.handler(call);
      await carryOut(outcome, call, reply, body.leftover());
    } catch (err) {
      this.fail(err, method, req.url ?? '', reply);
    }
  }

  private fail(err: unknown, method: string, url: string, reply: Reply): void {
    let status = 500;
    let message = 'the lab daemon failed on this request; it has been logged';
    if (err instanceof Refusal) {
      ({ status, message } = err);
    } else if (err instanceof DockerLayerError && err.kind === 'unreachable') {
      status = 502;
      message = 'your lab\'s Docker host does not answer right now: try again in a minute';
    } else if (err instanceof SyntaxError) {
      ({ status, message } = badRequest(`invalid JSON body: ${err.message}`));
    }
    if (status >= 500) this.logger.error(`${method} ${url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    else this.logger.debug(`refused ${method} ${url}: ${message}`);
    sendJson(reply, status, { message });
  }
}

