/**
 * The lab's objects as the engine holds them, found by the lab's label only, and the
 * student's references (TP names, ids, id prefixes) resolved among them. Nothing outside
 * the lab can be named: an unknown reference is "No such ...", as on a daemon of one's own.
 */
import type { EngineChannel } from '../docker/engine-channel';
import { DEFAULT_NETWORK, LABEL_LAB, LABEL_NAME } from '../docker/tenant-docker';
import { type GatewayLab, LABEL_ROLE } from './gateway-lab';
import { badRequest, notFound, Refusal } from './refusal';

export interface EngineContainer {
  Id: string;
  Names: string[];
  Labels: Record<string, string> | null;
  State?: string;
  [key: string]: unknown;
}

export interface EngineNetwork {
  Id: string;
  Name: string;
  Labels: Record<string, string> | null;
  IPAM?: { Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null };
  Options?: Record<string, string> | null;
  [key: string]: unknown;
}

/** The engine's own networks a student may see (never use host; none is harmless). */
export const ENGINE_NETWORKS = ['host', 'none'] as const;

export function labFilter(lab: GatewayLab, extra: Record<string, string[]> = {}): string {
  return JSON.stringify({ ...extra, label: [...(extra.label ?? []), `${LABEL_LAB}=${lab.labId}`] });
}

const TP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

const visible = (labels: Record<string, string> | null | undefined) => !labels?.[LABEL_ROLE];

export class LabView {
  constructor(
    readonly lab: GatewayLab,
    readonly engine: EngineChannel,
  ) {}

  get prefix(): string {
    return this.lab.scope.prefix;
  }

  engineName(tpName: string): string {
    return `${this.prefix}-${tpName}`;
  }

  private async list<T>(path: string, query: Record<string, string>): Promise<T[]> {
    const { status, body } = await this.engine.json<T[] | { message?: string }>({ method: 'GET', path, query });
    if (status !== 200 || !Array.isArray(body)) throw new Refusal(502, `the lab's Docker host could not list: ${(body as { message?: string })?.message ?? status}`);
    return body;
  }

  /** The student's containers (the console and other NetLabs helpers excluded). */
  async containers(query: Record<string, string> = { all: '1' }, filters: Record<string, string[]> = {}): Promise<EngineContainer[]> {
    const all = await this.list<EngineContainer>('/containers/json', { ...query, filters: labFilter(this.lab, filters) });
    return all.filter((c) => visible(c.Labels));
  }

  async networks(): Promise<EngineNetwork[]> {
    return this.list<EngineNetwork>('/networks', { filters: labFilter(this.lab) });
  }

  /** A container of the lab by TP name, full id or unique id prefix. */
  async container(ref: string): Promise<{ id: string; name: string; engineName: string; state?: string }> {
    if (!ref) throw badRequest('no container named');
    // By name or full id, one inspect (a list scans every container of the host).
    const direct = TP_NAME.test(ref) ? this.engineName(ref) : /^[0-9a-f]{64}$/.test(ref) ? ref : null;
    if (direct) {
      const found = await this.inspectOwn(direct);
      if (found) return found;
      if (/^[0-9a-f]{64}$/.test(ref)) {
        const byId = await this.inspectOwn(ref);
        if (byId) return byId;
      }
    }
    if (!/^[0-9a-f]{1,63}$/.test(ref)) throw notFound(`No such container: ${ref}`);
    const matches = (await this.containers()).filter((c) => c.Id.startsWith(ref));
    if (matches.length > 1) throw badRequest(`multiple IDs found with provided prefix: ${ref}`);
    if (!matches.length) throw notFound(`No such container: ${ref}`);
    const c = matches[0];
    const engineName = c.Names[0]?.replace(/^\//, '') ?? c.Id;
    return { id: c.Id, name: c.Labels?.[LABEL_NAME] ?? engineName, engineName, state: c.State };
  }

  /** A container by engine name or id, if it is one of the lab's (and not a hidden NetLabs one). */
  async inspectOwn(engineRef: string): Promise<{ id: string; name: string; engineName: string; state?: string } | null> {
    const { status, body } = await this.engine.json<{ Id: string; Name: string; State?: { Status?: string }; Config?: { Labels?: Record<string, string> | null } }>({
      method: 'GET',
      path: `/containers/${engineRef}/json`,
    });
    if (status !== 200) return null;
    const labels = body.Config?.Labels;
    if (labels?.[LABEL_LAB] !== this.lab.labId || !visible(labels)) return null;
    const engineName = body.Name.replace(/^\//, '');
    return { id: body.Id, name: labels?.[LABEL_NAME] ?? engineName, engineName, state: body.State?.Status };
  }

  /**
   * A network the student names: "bridge" and "default" are the lab's own bridge; "host"
   * and "none" are the engine's (for reading); else a lab network by name, id or prefix.
   */
  async network(ref: string): Promise<{ id: string; name: string; engineRef: string; engine: boolean }> {
    if (!ref) throw badRequest('no network named');
    const tp = ref === 'default' ? DEFAULT_NETWORK : ref;
    if ((ENGINE_NETWORKS as readonly string[]).includes(tp)) return { id: tp, name: tp, engineRef: tp, engine: true };
    if (TP_NAME.test(tp)) {
      const { status, body } = await this.engine.json<EngineNetwork>({ method: 'GET', path: `/networks/${this.engineName(tp)}` });
      if (status === 200 && body.Labels?.[LABEL_LAB] === this.lab.labId && body.Name === this.engineName(tp)) {
        return { id: body.Id, name: tp, engineRef: body.Name, engine: false };
      }
    }
    const list = await this.networks();
    const byName = list.find((n) => n.Labels?.[LABEL_NAME] === tp);
    const byId = list.find((n) => n.Id === ref);
    const byPrefix = /^[0-9a-f]+$/.test(ref) ? list.filter((n) => n.Id.startsWith(ref)) : [];
    if (!byId && !byName && byPrefix.length > 1) throw badRequest(`multiple networks found with provided prefix: ${ref}`);
    const found = byId ?? byName ?? byPrefix[0];
    if (!found) throw notFound(`network ${ref} not found`);
    return { id: found.Id, name: found.Labels?.[LABEL_NAME] ?? found.Name, engineRef: found.Name, engine: false };
  }
}
