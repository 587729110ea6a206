/**
 * Lab networks on one engine. Docker allows two networks with the same name, and
 * CheckDuplicate is only a best-effort check, so creation converges afterwards: of the
 * lab's networks with that name the oldest wins and the others are removed, by
 * whichever creator sees them.
 *
 * No fixed waits. A create that returned is listed at once (the engine stores the
 * network before answering), so the happy path is one create and one list. Two creators
 * of the same lab network always ask for the same subnet (the lab's allocation), and the
 * engine's IPAM refuses the second one atomically ("Pool overlaps"): the loser then polls
 * briefly until the winner's network is listed (the winner's pool is taken a little
 * before its network is stored) and returns it. A refusal that a listed network of
 * someone else explains (its subnet overlaps ours, or it has our bridge name) is an
 * AddressClashError at once, for the caller to pick other values. What the old fixed
 * 250 ms settle guarded against, two creators of one name with *different* subnets both
 * succeeding, can only come from a student racing their own lab daemon; the later
 * converger still removes the younger duplicate.
 */
import type { Logger } from '@nestjs/common';
import type Docker from 'dockerode';
import { Batcher } from '../batching/batcher';
import { engineMessage, isNotFound, statusOf, toLayerError } from './docker-errors';
import { toNetworkInfo, toNetworkSettings } from './docker-mappers';
import { belongsTo, engineName, isTpName, networkCreateOptions } from './docker-specs';
import { DEFAULT_REMOVAL_PAUSES_MS, type RefusableNetwork, type RemovalOutcome, removeRefusableNetwork } from './network-removal';
import { AddressClashError, DockerLayerError, LABEL_LAB, LABEL_NAME, type LabScope, type NetworkInfo, type NetworkSettings, type NetworkSpec } from './tenant-docker';

/**
 * Waits between checks after a refused create, while nothing listed explains the refusal (~5 s
 * in all). The engine reserves a network's subnet before it lists the network: a concurrent
 * creator of this very network refuses ours with "Pool overlaps" and shows up only once its
 * bridge and firewall rules are set up. With other networks created and removed meanwhile, that
 * took more than the 0.6 s this waited before (CI, 2026-11-28: two processes creating one lab's
 * network, one reported a clash; the tenant-docker case reproduces it with 6 networks churning).
 * A clash that a listed network explains is answered at the first check.
 */
const REFUSED_RECHECK_MS = [0, 10, 20, 40, 80, 160, 320, 640, 1280, 2560];

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** [first, last] IPv4 address of a CIDR as numbers; null when it is not an IPv4 CIDR. */
function ipv4Range(cidr: string | undefined): [number, number] | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr ?? '');
  if (!match) return null;
  const bits = Number(match[5]);
  if (bits > 32) return null;
  const ip = match.slice(1, 5).reduce((acc, part) => acc * 256 + Number(part), 0);
  const size = 2 ** (32 - bits);
  const first = Math.floor(ip / size) * size;
  return [first, first + size - 1];
}

export function subnetsOverlap(a: string | undefined, b: string | undefined): boolean {
  const ra = ipv4Range(a);
  const rb = ipv4Range(b);
  return !!ra && !!rb && ra[0] <= rb[1] && rb[0] <= ra[1];
}

/** Oldest first; ties broken by id, so that every racer picks the same winner. */
function byAge(a: Docker.NetworkInspectInfo, b: Docker.NetworkInspectInfo): number {
  return Date.parse(a.Created) - Date.parse(b.Created) || a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id);
}

/** One lab's read of one of its networks' settings. */
type SettingsRead = { scope: LabScope; name: string };

export class NetworkOps {
  private readonly creating = new Map<string, Promise<NetworkInfo>>();
  /** Settings reads of this host's labs, sharing list calls (settings()). */
  private readonly settingsReads = new Batcher<SettingsRead, NetworkSettings | null>((reads) => this.readSettings(reads), { maxItems: 1000 });

  constructor(
    private readonly docker: Docker,
    private readonly logger: Logger,
    private readonly hostId: string,
  ) {}

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toLayerError(this.hostId, what, err);
    }
  }

  /** Every network with exactly this engine name (the engine's name filter matches substrings). */
  private async byName(engine: string): Promise<Docker.NetworkInspectInfo[]> {
    const listed = await this.call('list networks', () => this.docker.listNetworks({ filters: { name: [engine] } }));
    return listed.filter((n) => n.Name === engine).sort(byAge);
  }

  private async own(scope: LabScope, name: string): Promise<{ own: Docker.NetworkInspectInfo[]; foreign: boolean }> {
    if (!isTpName(name)) return { own: [], foreign: false };
    const all = await this.byName(engineName(scope, name));
    const own = all.filter((n) => belongsTo(n.Labels, scope.labId));
    return { own, foreign: all.length > own.length };
  }

  /** The lab's network for runContainer; not-found / forbidden otherwise. */
  async requireOwn(scope: LabScope, name: string): Promise<Docker.NetworkInspectInfo> {
    const { own, foreign } = await this.own(scope, name);
    if (own[0]) return own[0];
    if (foreign) throw new DockerLayerError('forbidden', `network ${name} does not belong to this lab`);
    throw new DockerLayerError('not-found', `network ${name} does not exist in this lab`);
  }

  async create(scope: LabScope, spec: NetworkSpec): Promise<NetworkInfo> {
    const options = networkCreateOptions(scope, spec); // validates before any engine call
    const key = `${scope.labId}/${options.Name}`;
    const running = this.creating.get(key);
    if (running) return running;
    const work = this.createOnce(scope, spec, options).finally(() => this.creating.delete(key));
    this.creating.set(key, work);
    return work;
  }

  private async createOnce(scope: LabScope, spec: NetworkSpec, options: Docker.NetworkCreateOptions): Promise<NetworkInfo> {
    let createdId: string;
    try {
      createdId = (await this.docker.createNetwork(options)).id;
    } catch (err) {
      return this.afterRefusal(scope, spec, options, err);
    }
    this.logger.log(`created network ${createdId.slice(0, 12)} ${options.Name} (lab ${scope.labId}, ${spec.subnet}, ${spec.bridgeName})`);
    return this.converge(scope, spec, createdId);
  }

  /**
   * The engine refused our create. 409: CheckDuplicate saw a network of that name (ours:
   * converge on it; another lab's: conflict). "Pool overlaps" / same bridge name: either a
   * concurrent creator of this very network (listed a moment later: converge on it) or a
   * network that is not this lab's holds the subnet or bridge name (AddressClashError).
   */
  private async afterRefusal(scope: LabScope, spec: NetworkSpec, options: Docker.NetworkCreateOptions, err: unknown): Promise<NetworkInfo> {
    const message = engineMessage(err);
    if (statusOf(err) !== 409 && !/overlap|conflicts with network|already in use|already exists/i.test(message)) {
      throw toLayerError(this.hostId, `create network ${spec.name}`, err);
    }
    for (const wait of REFUSED_RECHECK_MS) {
      if (wait) await sleep(wait);
      const { own, foreign } = await this.own(scope, spec.name);
      if (own.length) return this.converge(scope, spec);
      if (foreign) throw new DockerLayerError('conflict', `network ${options.Name} already exists on this host and belongs to another lab`);
      const holder = await this.holderOf(spec);
      // Listed between our two calls: the concurrent creator of this very network.
      if (holder?.Name === options.Name && belongsTo(holder.Labels, scope.labId)) return this.converge(scope, spec);
      if (holder) {
        throw new AddressClashError(
          `network ${spec.name} (${spec.subnet}, bridge ${spec.bridgeName}) clashes with network ${holder.Name} (${holder.IPAM?.Config?.[0]?.Subnet ?? 'no subnet'}): ${message}`,
          spec.subnet,
          spec.bridgeName,
        );
      }
    }
    // Nothing listed explains it (a network being removed still holding its pool...): the
    // caller picks other values either way.
    throw new AddressClashError(`network ${spec.name} (${spec.subnet}, bridge ${spec.bridgeName}) clashes with an existing network: ${message}`, spec.subnet, spec.bridgeName);
  }

  /** A listed network that holds an address range overlapping the spec's subnet, or its bridge name. */
  private async holderOf(spec: NetworkSpec): Promise<Docker.NetworkInspectInfo | undefined> {
    const all = await this.call('list networks', () => this.docker.listNetworks());
    return all.find(
      (n) =>
        (spec.bridgeName && n.Options?.[BRIDGE_NAME_OPTION] === spec.bridgeName) ||
        (n.IPAM?.Config ?? []).some((c) => subnetsOverlap(c.Subnet, spec.subnet)),
    );
  }

  /**
   * Keeps the oldest of the lab's networks of that name and removes the others. `createdId`:
   * the network this call just created, whose listing is then all we need to know of it
   * (a fresh network has no containers) instead of inspecting it.
   */
  private async converge(scope: LabScope, spec: NetworkSpec, createdId?: string): Promise<NetworkInfo> {
    const { own } = await this.own(scope, spec.name);
    const [keep, ...extra] = own;
    if (!keep) throw new DockerLayerError('engine', `network ${spec.name} vanished while being created`);
    for (const dup of extra) {
      this.logger.warn(`removing duplicate network ${dup.Id.slice(0, 12)} ${dup.Name}, keeping ${keep.Id.slice(0, 12)}`);
      await this.removeById(dup.Id);
    }
    const info = keep.Id === createdId ? toNetworkInfo(keep, scope.prefix) : await this.inspectById(keep.Id, scope.prefix);
    if (!info) throw new DockerLayerError('engine', `network ${spec.name} vanished while being created`);
    if (info.subnet !== spec.subnet || info.bridgeName !== spec.bridgeName) {
      this.logger.warn(`network ${info.engineName} exists with ${info.subnet}/${info.bridgeName}, asked ${spec.subnet}/${spec.bridgeName}: kept as is`);
    }
    return info;
  }

  private async inspectById(id: string, prefix: string): Promise<NetworkInfo | null> {
    try {
      return toNetworkInfo(await this.docker.getNetwork(id).inspect(), prefix);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toLayerError(this.hostId, `inspect network ${id.slice(0, 12)}`, err);
    }
  }

  /**
   * One engine call: the network inspected by its engine name (a verify's floor is that one
   * read). Only when the engine finds several with that name (a creation race not yet
   * converged: "ambiguous") are they listed and the oldest of the lab's taken, as create does.
   */
  async inspect(scope: LabScope, name: string): Promise<NetworkInfo | null> {
    if (!isTpName(name)) return null;
    const engine = engineName(scope, name);
    let info: NetworkInfo | null;
    try {
      const found = await this.docker.getNetwork(engine).inspect();
      info = found.Name === engine && belongsTo(found.Labels, scope.labId) ? toNetworkInfo(found, scope.prefix) : null;
    } catch (err) {
      if (isNotFound(err)) {
        info = null;
      } else if (/ambiguous/i.test(engineMessage(err))) {
        const { own } = await this.own(scope, name);
        info = own[0] ? await this.inspectById(own[0].Id, scope.prefix) : null;
      } else {
        throw toLayerError(this.hostId, `inspect network ${engine}`, err);
      }
    }
    this.logger.debug(`inspect network ${name}: ${info ? info.id.slice(0, 12) : 'absent'}`);
    return info;
  }

  /**
   * The lab's network without its members, from a list call filtered by labels. Any read
   * costs the engine a pass over all its networks (engine 20.10 with 120 networks: about 1.1 ms
   * of dockerd CPU an inspect, 0.9 ms a list of one lab's labels, 2 ms a list of all 120;
   * test/bench/engine-reads.ts), so reads that come while one is in flight share the next
   * call: one list of this host's networks of that TP name, each lab taking its own. Of
   * several with the lab's engine name (a creation race), the oldest, as create keeps.
   */
  settings(scope: LabScope, name: string): Promise<NetworkSettings | null> {
    if (!isTpName(name)) return Promise.resolve(null);
    return this.settingsReads.submit({ scope, name });
  }

  private async readSettings(reads: SettingsRead[]): Promise<(NetworkSettings | null)[]> {
    const lists = new Map<string, Promise<Docker.NetworkInspectInfo[]>>();
    for (const name of new Set(reads.map((r) => r.name))) {
      const labs = new Set(reads.filter((r) => r.name === name).map((r) => r.scope.labId));
      const label = labs.size === 1 ? [`${LABEL_NAME}=${name}`, `${LABEL_LAB}=${[...labs][0]}`] : [`${LABEL_NAME}=${name}`];
      lists.set(name, this.call('list networks', () => this.docker.listNetworks({ filters: { label } })));
    }
    return Promise.all(
      reads.map(async ({ scope, name }) => {
        const engine = engineName(scope, name);
        const own = (await lists.get(name)!).filter((n) => n.Name === engine && belongsTo(n.Labels, scope.labId)).sort(byAge);
        return own[0] ? toNetworkSettings(own[0], scope.prefix) : null;
      }),
    );
  }

  async list(scope: LabScope): Promise<NetworkInfo[]> {
    const listed = await this.call('list networks', () =>
      this.docker.listNetworks({ filters: { label: [`${LABEL_LAB}=${scope.labId}`] } }),
    );
    // The list call leaves Containers empty: inspect each.
    const infos = await Promise.all(listed.map((n) => this.inspectById(n.Id, scope.prefix)));
    this.logger.debug(`list networks of lab ${scope.labId}: ${listed.length}`);
    return infos.filter((i): i is NetworkInfo => !!i).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Removes the lab's network(s) of that name; nothing to do when there is none. */
  async remove(scope: LabScope, name: string): Promise<void> {
    const { own } = await this.own(scope, name);
    for (const n of own) {
      try {
        await this.docker.getNetwork(n.Id).remove();
        this.logger.log(`removed network ${n.Id.slice(0, 12)} ${n.Name}`);
      } catch (err) {
        if (isNotFound(err)) continue;
        if (statusOf(err) === 403 || /active endpoints/i.test(engineMessage(err))) {
          throw new DockerLayerError('conflict', `network ${name} still has containers attached: ${engineMessage(err)}`);
        }
        throw toLayerError(this.hostId, `remove network ${name}`, err);
      }
    }
  }

  /**
   * Removes a network whatever is attached (teardown): endpoints of containers that are
   * not the lab's would otherwise block it forever. False when it was already gone;
   * throws when the engine keeps refusing (see removeLeaking for the teardown's way).
   */
  async removeById(id: string): Promise<boolean> {
    const result = await this.removeLeaking(id);
    if (result.outcome === 'leaked') throw new DockerLayerError('conflict', `network ${id.slice(0, 12)} cannot be removed: ${result.reason}`);
    return result.outcome === 'removed';
  }

  /**
   * Removes a network, force-disconnecting what the engine still lists and retrying
   * (network-removal.ts); reports it leaked when the engine keeps refusing.
   */
  removeLeaking(id: string, pausesMs = DEFAULT_REMOVAL_PAUSES_MS): Promise<RemovalOutcome> {
    const network = this.docker.getNetwork(id);
    const short = id.slice(0, 12);
    const refusable: RefusableNetwork = {
      remove: async () => {
        await network.remove();
        this.logger.log(`removed network ${short}`);
      },
      endpoints: async () => {
        const info = (await network.inspect()) as Docker.NetworkInspectInfo;
        return Object.entries(info.Containers ?? {}).map(([key, c]) => ({ key, name: c.Name ?? key }));
      },
      disconnect: (target) => network.disconnect({ Container: target, Force: true }),
    };
    return removeRefusableNetwork(refusable, {
      pausesMs,
      classify: (err) => (isNotFound(err) ? 'gone' : statusOf(err) === 403 || /active endpoints/i.test(engineMessage(err)) ? 'in-use' : 'other'),
      describe: engineMessage,
      sleep,
      onDisconnect: (endpoint, err) =>
        err
          ? this.logger.warn(`could not disconnect ${endpoint.name} from network ${short}: ${engineMessage(err)}`)
          : this.logger.warn(`disconnected ${endpoint.name} (${endpoint.key.slice(0, 12)}) from network ${short} to remove it`),
    }).catch((err: unknown) => {
      throw toLayerError(this.hostId, `remove network ${short}`, err);
    });
  }
}
