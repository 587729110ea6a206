/**
 * Lab networks on one engine. Docker allows two networks with the same name, and
 * CheckDuplicate is only a best-effort check, so creation converges afterwards: of the
 * lab's networks with that name the oldest wins and the others are removed, by
 * whichever creator sees them. (With an explicit subnet, as ours always have, the
 * engine's IPAM usually refuses the second one first: "Pool overlaps". The loser then
 * waits for the winner's network to be listed and returns it.)
 */
import type { Logger } from '@nestjs/common';
import type Docker from 'dockerode';
import { engineMessage, isNotFound, statusOf, toLayerError } from './docker-errors';
import { toNetworkInfo } from './docker-mappers';
import { belongsTo, engineName, isTpName, networkCreateOptions } from './docker-specs';
import { DEFAULT_REMOVAL_PAUSES_MS, type RefusableNetwork, type RemovalOutcome, removeRefusableNetwork } from './network-removal';
import { DockerLayerError, LABEL_LAB, type LabScope, type NetworkInfo, type NetworkSpec } from './tenant-docker';

/** How long a creator waits before judging duplicates: a network can appear in lists a little after its Created time. */
const SETTLE_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Oldest first; ties broken by id, so that every racer picks the same winner. */
function byAge(a: Docker.NetworkInspectInfo, b: Docker.NetworkInspectInfo): number {
  return Date.parse(a.Created) - Date.parse(b.Created) || a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id);
}

export class NetworkOps {
  private readonly creating = new Map<string, Promise<NetworkInfo>>();

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
    const before = await this.own(scope, spec.name);
    if (!before.own.length && before.foreign) {
      throw new DockerLayerError('conflict', `network ${options.Name} already exists on this host and belongs to another lab`);
    }
    if (before.own.length) return this.converge(scope, spec);
    try {
      const created = await this.docker.createNetwork(options);
      this.logger.log(`created network ${created.id.slice(0, 12)} ${options.Name} (lab ${scope.labId}, ${spec.subnet}, ${spec.bridgeName})`);
    } catch (err) {
      // A concurrent creator of the same network makes ours fail: 409 when CheckDuplicate
      // saw it, "Pool overlaps" when its IPAM pool was taken first (it may be listed a
      // moment later). Converge on that network; anything else is a real clash.
      for (let wait = 0; wait < 8; wait++) {
        if ((await this.own(scope, spec.name)).own.length) return this.converge(scope, spec);
        await sleep(SETTLE_MS);
      }
      const message = engineMessage(err);
      if (statusOf(err) === 409 || /overlap|conflicts with network|already in use|already exists/i.test(message)) {
        throw new DockerLayerError('conflict', `network ${spec.name} (${spec.subnet}, bridge ${spec.bridgeName}) clashes with an existing network: ${message}`);
      }
      throw toLayerError(this.hostId, `create network ${spec.name}`, err);
    }
    await sleep(SETTLE_MS);
    return this.converge(scope, spec);
  }

  private async converge(scope: LabScope, spec: NetworkSpec): Promise<NetworkInfo> {
    const { own } = await this.own(scope, spec.name);
    const [keep, ...extra] = own;
    if (!keep) throw new DockerLayerError('engine', `network ${spec.name} vanished while being created`);
    for (const dup of extra) {
      this.logger.warn(`removing duplicate network ${dup.Id.slice(0, 12)} ${dup.Name}, keeping ${keep.Id.slice(0, 12)}`);
      await this.removeById(dup.Id);
    }
    const info = await this.inspectById(keep.Id, scope.prefix);
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

  async inspect(scope: LabScope, name: string): Promise<NetworkInfo | null> {
    const { own } = await this.own(scope, name);
    const info = own[0] ? await this.inspectById(own[0].Id, scope.prefix) : null;
    this.logger.debug(`inspect network ${name}: ${info ? info.id.slice(0, 12) : 'absent'}`);
    return info;
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
