import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import Docker from 'dockerode';
import type { EngineAccess } from '../config/engine-access';
import { engineMessage, isNotFound, isUnreachable, statusOf, toLayerError } from './docker-errors';
import { killTerminal, openTerminal, runExec } from './docker-exec';
import { ownedContainer, ownedNetwork, sharedNamespaceId, toContainerInfo, topCommands } from './docker-mappers';
import { NetworkOps } from './docker-networks';
import { DiskQuotaProbe, listUsage } from './docker-usage';
import {
  belongsTo,
  bareAccess,
  connectionFor,
  consoleCreateOptions,
  containerCreateOptions,
  engineName,
  isHidden,
  isTpName,
  parseNetwork,
  withDefaultTag,
  type LabLimits,
} from './docker-specs';
import {
  CONSOLE,
  DEFAULT_NETWORK,
  DockerLayerError,
  LABEL_LAB,
  type ConsoleSpec,
  type ContainerInfo,
  type ContainerSpec,
  type ContainerUsage,
  type EngineResources,
  type ExecOptions,
  type ExecResult,
  type LabRef,
  type LabRemoval,
  type LabScope,
  type NetworkInfo,
  type NetworkSettings,
  type NetworkSpec,
  type OwnedObject,
  type TenantDocker,
  type TerminalStream,
} from './tenant-docker';

export type { LabLimits } from './docker-specs';

export interface DockerodeTenantDockerOptions {
  /** How long ensureImage may spend pulling (default 120 s). */
  pullTimeoutMs?: number;
  /** How long ping waits for the engine (default 5 s). */
  pingTimeoutMs?: number;
  /** Whether a missing image may be pulled (false on machines without a registry: a pull would leave the machine). */
  pull?: boolean;
  /** How to reach the engine, with its credentials (from DOCKER_HOSTS); default: the bare endpoint (unix or plain tcp). */
  access?: EngineAccess;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * How long ensureImage trusts having seen an image: a class of 30 then checks each image
 * once, not 30 times. An image removed meanwhile makes the next create fail with "no such
 * image", which forgets it, so the job's retry checks (and pulls) again.
 */
const IMAGE_SEEN_MS = 60_000;

/**
 * Engine calls a teardown has in flight at once. The docker CLI removes up to 50
 * containers per command in parallel; a class's teardown sends one host every container
 * of every lab, so it gets the same kind of fan-out, bounded.
 */
const TEARDOWN_PARALLEL = 64;

/** Runs `fn` on every item, `limit` at a time; waits for all, then throws the first failure. */
async function settleAll<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item).catch((err: unknown) => void failures.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failures.length) throw failures[0];
}

async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Build/pull progress events carry failures in-band: the HTTP call itself succeeded. */
function progressError(events: { error?: string; errorDetail?: { message?: string } }[]): string | undefined {
  const failed = events.find((e) => e.error || e.errorDetail);
  return failed ? (failed.errorDetail?.message ?? failed.error) : undefined;
}

/** TenantDocker on one engine through dockerode. The only class in NetLabs that calls an engine. */
export class DockerodeTenantDocker implements TenantDocker {
  private readonly docker: Docker;
  private readonly logger: Logger;
  private readonly networks: NetworkOps;
  private readonly diskQuota: DiskQuotaProbe;
  private readonly builds = new Map<string, Promise<void>>();
  /** Images seen on this engine and when: ensureImage trusts a recent check (a create that misses one forgets it). */
  private readonly imagesSeen = new Map<string, number>();
  private readonly labQueues = new Map<string, Promise<unknown>>();

  constructor(
    readonly hostId: string,
    readonly endpoint: string,
    private readonly limits: LabLimits,
    private readonly options: DockerodeTenantDockerOptions = {},
  ) {
    this.docker = new Docker(connectionFor(options.access ?? bareAccess(endpoint)));
    this.logger = new Logger(`TenantDocker:${hostId}`);
    this.networks = new NetworkOps(this.docker, this.logger, hostId);
    this.diskQuota = new DiskQuotaProbe(this.docker, this.logger);
  }

  /** Runs an engine call and turns its failure into a DockerLayerError. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toLayerError(this.hostId, what, err);
    }
  }

  /** One runContainer per lab at a time in this process, so the container count check holds. */
  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const next = (this.labQueues.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    const tail = next.catch(() => undefined);
    this.labQueues.set(key, tail);
    void tail.then(() => {
      if (this.labQueues.get(key) === tail) this.labQueues.delete(key);
    });
    return next;
  }

  async ping(): Promise<void> {
    const ms = this.options.pingTimeoutMs ?? 5_000;
    await this.call('ping', () =>
      withDeadline(this.docker.ping(), ms, () => new DockerLayerError('unreachable', `Docker host ${this.hostId} does not answer: no reply within ${ms} ms`)),
    );
  }

  async resources(): Promise<EngineResources> {
    const ms = this.options.pingTimeoutMs ?? 5_000;
    const info = (await this.call('info', () =>
      withDeadline(this.docker.info(), ms, () => new DockerLayerError('unreachable', `Docker host ${this.hostId} does not answer: no reply within ${ms} ms`)),
    )) as { NCPU?: unknown; MemTotal?: unknown };
    const cpus = Number(info.NCPU);
    const memoryBytes = Number(info.MemTotal);
    if (!(cpus > 0) || !(memoryBytes > 0)) throw new DockerLayerError('unreachable', `Docker host ${this.hostId}: docker info reports no CPU or memory (NCPU ${String(info.NCPU)}, MemTotal ${String(info.MemTotal)})`);
    return { cpus, memoryBytes };
  }

  private async imageExists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw toLayerError(this.hostId, `inspect image ${ref}`, err);
    }
  }

  private async follow(stream: NodeJS.ReadableStream, ms: number, what: string): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
        const failed = err ? engineMessage(err) : progressError(events ?? []);
        if (failed) reject(new DockerLayerError('engine', `${what}: ${failed}`));
        else resolve();
      });
    });
    await withDeadline(done, ms, () => {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      return new DockerLayerError('engine', `${what}: no result within ${ms} ms`);
    });
  }

  async ensureImage(ref: string): Promise<void> {
    const seen = this.imagesSeen.get(ref);
    if (seen !== undefined && Date.now() - seen < IMAGE_SEEN_MS) return;
    if (await this.imageExists(ref)) {
      this.imagesSeen.set(ref, Date.now());
      this.logger.debug(`image ${ref} present`);
      return;
    }
    const pullRef = withDefaultTag(ref);
    if (this.options.pull === false) {
      throw new DockerLayerError('image-missing', `image ${ref} is not on host ${this.hostId} and pulling is disabled (LAB_IMAGE_PULL=false)`);
    }
    let reason = 'unknown error';
    try {
      this.logger.log(`pulling ${pullRef}`);
      const stream = await this.docker.pull(pullRef);
      await this.follow(stream, this.options.pullTimeoutMs ?? 120_000, `pull ${pullRef}`);
    } catch (err) {
      if (isUnreachable(err)) throw toLayerError(this.hostId, `pull ${pullRef}`, err);
      reason = engineMessage(err);
    }
    if (await this.imageExists(ref)) {
      this.imagesSeen.set(ref, Date.now());
      return;
    }
    throw new DockerLayerError('image-missing', `image ${ref} is not on host ${this.hostId} and could not be pulled: ${reason}`);
  }

  buildImage(tag: string, contextDir: string, buildArgs: Record<string, string> = {}): Promise<void> {
    // Every lab of the host shares the image: concurrent requests share one build.
    const running = this.builds.get(tag);
    if (running) return running;
    const build = this.build(tag, contextDir, buildArgs).finally(() => this.builds.delete(tag));
    this.builds.set(tag, build);
    return build;
  }

  private async build(tag: string, contextDir: string, buildArgs: Record<string, string>): Promise<void> {
    if (await this.imageExists(tag)) {
      this.logger.debug(`image ${tag} already built`);
      return;
    }
    const dockerfile = await stat(join(contextDir, 'Dockerfile')).catch(() => null);
    if (!dockerfile?.isFile()) throw new DockerLayerError('not-found', `no Dockerfile in ${contextDir}`);
    // tar-fs (inside dockerode) walks directories itself: the top-level entries are enough.
    const src = await readdir(contextDir);
    this.logger.log(`building ${tag} from ${contextDir}`);
    const started = Date.now();
    await this.call(`build ${tag}`, async () => {
      const stream = await this.docker.buildImage({ context: contextDir, src }, { t: tag, buildargs: buildArgs, rm: true, forcerm: true });
      await this.follow(stream, 15 * 60_000, `build ${tag}`);
    });
    if (!(await this.imageExists(tag))) throw new DockerLayerError('engine', `build ${tag} ended without producing the image`);
    this.logger.log(`built ${tag} in ${Date.now() - started} ms`);
  }

  createNetwork(scope: LabScope, spec: NetworkSpec): Promise<NetworkInfo> {
    return this.networks.create(scope, spec);
  }

  inspectNetwork(scope: LabScope, name: string): Promise<NetworkInfo | null> {
    return this.networks.inspect(scope, name);
  }

  networkSettings(scope: LabScope, name: string): Promise<NetworkSettings | null> {
    return this.networks.settings(scope, name);
  }

  listNetworks(scope: LabScope): Promise<NetworkInfo[]> {
    return this.networks.list(scope);
  }

  removeNetwork(scope: LabScope, name: string): Promise<void> {
    return this.networks.remove(scope, name);
  }

  /** The lab's container by TP name (or CONSOLE), or null when absent or not the lab's. */
  private async findContainer(scope: LabScope, name: string): Promise<Docker.ContainerInspectInfo | null> {
    // A name with "/" or ".." must never become part of an engine URL.
    if (!isTpName(name) && name !== CONSOLE) return null;
    const engine = engineName(scope, name);
    try {
      const info = await this.docker.getContainer(engine).inspect();
      const labels = info.Config?.Labels;
      return belongsTo(labels, scope.labId) && isHidden(labels) === (name === CONSOLE) ? info : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toLayerError(this.hostId, `inspect container ${engine}`, err);
    }
  }

  private async requireContainer(scope: LabScope, name: string, running = false): Promise<Docker.ContainerInspectInfo> {
    const info = await this.findContainer(scope, name);
    if (!info) throw new DockerLayerError('not-found', `container ${name} does not exist in this lab`);
    if (running && !info.State?.Running) throw new DockerLayerError('conflict', `container ${name} is not running`);
    return info;
  }

  private async toInfo(scope: LabScope, info: Docker.ContainerInspectInfo): Promise<ContainerInfo> {
    const sharedId = sharedNamespaceId(info);
    let sharedName: string | undefined;
    if (sharedId) {
      const owner = await this.docker.getContainer(sharedId).inspect().catch(() => null);
      sharedName = owner && belongsTo(owner.Config?.Labels, scope.labId) ? toContainerInfo(owner, scope.prefix).name : undefined;
    }
    return toContainerInfo(info, scope.prefix, sharedName);
  }

  runContainer(scope: LabScope, spec: ContainerSpec): Promise<ContainerInfo> {
    return this.serial(`run:${scope.labId}`, () => this.run(scope, spec));
  }

  private async run(scope: LabScope, spec: ContainerSpec): Promise<ContainerInfo> {
    const choice = parseNetwork(spec);
    const existing = await this.call('list containers', () =>
      this.docker.listContainers({ all: true, filters: { label: [`${LABEL_LAB}=${scope.labId}`] } }),
    );
    // The console is NetLabs', not the student's: it takes no place of the TP's.
    if (existing.filter((c) => !isHidden(c.Labels)).length >= this.limits.maxContainers) {
      throw new DockerLayerError('limit', `a lab may have at most ${this.limits.maxContainers} containers (limit reached)`);
    }
    let networkMode: string;
    if (choice.kind === 'container') {
      const owner = await this.findContainer(scope, choice.name);
      if (!owner) {
        const foreign = await this.docker.getContainer(engineName(scope, choice.name)).inspect().catch(() => null);
        if (foreign) throw new DockerLayerError('forbidden', `container ${choice.name} does not belong to this lab`);
        throw new DockerLayerError('not-found', `container ${choice.name} does not exist in this lab`);
      }
      if (!owner.State?.Running) throw new DockerLayerError('conflict', `container ${choice.name} is not running: cannot join its network namespace`);
      networkMode = `container:${owner.Id}`;
    } else {
      networkMode = (await this.networks.requireOwn(scope, choice.name)).Name;
    }
    const linkEngineNames: string[] = [];
    for (const link of spec.links ?? []) {
      const target = await this.findContainer(scope, link.container);
      if (!target) throw new DockerLayerError('not-found', `cannot link to ${link.container}: no such container in this lab`);
      linkEngineNames.push(target.Name.replace(/^\//, ''));
    }
    const diskQuota = await this.diskQuota.supported();
    const options = containerCreateOptions(scope, spec, this.limits, { networkMode, linkEngineNames, diskQuota });

    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(options).catch((err: unknown) => {
        if (!diskQuota || !this.diskQuota.refutedBy(err)) throw err;
        return this.docker.createContainer(containerCreateOptions(scope, spec, this.limits, { networkMode, linkEngineNames, diskQuota: false }));
      });
    } catch (err) {
      const message = engineMessage(err);
      if (statusOf(err) === 409) throw new DockerLayerError('conflict', `container ${spec.name} already exists in this lab`);
      if (statusOf(err) === 404 && /no such image/i.test(message)) {
        this.imagesSeen.delete(spec.image);
        throw new DockerLayerError('image-missing', `image ${spec.image} is not on host ${this.hostId}: ${message}`);
      }
      throw toLayerError(this.hostId, `create container ${spec.name}`, err);
    }
    this.logger.log(`created container ${container.id.slice(0, 12)} ${options.name} (lab ${scope.labId})`);
    try {
      await container.start();
    } catch (err) {
      // A container that never ran would make every retry fail with "already exists".
      await container.remove({ force: true, v: true }).catch(() => undefined);
      const message = engineMessage(err);
      if (/port is already allocated|address already in use/i.test(message)) {
        throw new DockerLayerError('conflict', `cannot publish port ${spec.publish?.hostPort}: ${message}`);
      }
      throw toLayerError(this.hostId, `start container ${spec.name}`, err);
    }
    this.logger.log(`started container ${container.id.slice(0, 12)}`);
    return this.toInfo(scope, await this.call(`inspect ${spec.name}`, () => container.inspect()));
  }

  runConsole(scope: LabScope, spec: ConsoleSpec, bridge?: NetworkInfo): Promise<ContainerInfo> {
    return this.serial(`console:${scope.labId}`, () => this.ensureConsole(scope, spec, bridge));
  }

  /**
   * Creates the console first and looks only when the name is taken (a retried job, the
   * reconciler): a fresh lab costs create + start + inspect. `bridge`, when the caller
   * has just created or converged the lab's network, spares looking it up again.
   */
  private async ensureConsole(scope: LabScope, spec: ConsoleSpec, bridge?: NetworkInfo): Promise<ContainerInfo> {
    const network = bridge && bridge.name === DEFAULT_NETWORK && belongsTo(bridge.labels, scope.labId)
      ? { Id: bridge.id, Name: bridge.engineName }
      : await this.networks.requireOwn(scope, DEFAULT_NETWORK);
    const options = consoleCreateOptions(scope, spec, this.limits, network.Name);
    for (let attempt = 0; ; attempt++) {
      let container: Docker.Container;
      try {
        container = await this.docker.createContainer(options);
      } catch (err) {
        const message = engineMessage(err);
        if (statusOf(err) === 409 && attempt < 2) {
          // The name is taken: keep that console when it is what we would create, else replace it.
          const found = await this.findContainer(scope, CONSOLE);
          if (found && this.consoleIsCurrent(scope, found, spec, network.Id)) return this.toInfo(scope, found);
          if (found) await this.removeContainerById(found.Id);
          continue;
        }
        if (statusOf(err) === 404 && /no such image/i.test(message)) {
          this.imagesSeen.delete(spec.image);
          throw new DockerLayerError('image-missing', `console image ${spec.image} is not on host ${this.hostId}: ${message}`);
        }
        throw toLayerError(this.hostId, 'create the console', err);
      }
      this.logger.log(`created console ${container.id.slice(0, 12)} ${options.name} (lab ${scope.labId})`);
      try {
        await container.start();
      } catch (err) {
        await container.remove({ force: true, v: true }).catch(() => undefined);
        throw toLayerError(this.hostId, 'start the console', err);
      }
      return this.toInfo(scope, await this.call('inspect the console', () => container.inspect()));
    }
  }

  /** Running, on the lab's bridge, with the same image and env (a rotated GATEWAY_SECRET or a moved socket gives the lab a console that works again). */
  private consoleIsCurrent(scope: LabScope, found: Docker.ContainerInspectInfo, spec: ConsoleSpec, networkId: string): boolean {
    const onBridge = Object.values(found.NetworkSettings?.Networks ?? {}).some((n) => n.NetworkID === networkId);
    const env = new Set(found.Config?.Env ?? []);
    const current = found.Config?.Image === spec.image && Object.entries(spec.env).every(([k, v]) => env.has(`${k}=${v}`));
    if (found.State?.Running && onBridge && current) return true;
    this.logger.log(`console ${found.Id.slice(0, 12)} of lab ${scope.labId} is ${found.State?.Status}${onBridge ? '' : ', off the bridge'}${current ? '' : ', outdated'}: replacing it`);
    return false;
  }

  async inspectContainer(scope: LabScope, name: string): Promise<ContainerInfo | null> {
    const info = await this.findContainer(scope, name);
    this.logger.debug(`inspect container ${name}: ${info ? info.Id.slice(0, 12) : 'absent'}`);
    return info ? this.toInfo(scope, info) : null;
  }

  async listContainers(scope: LabScope): Promise<ContainerInfo[]> {
    const listed = await this.call('list containers', () =>
      this.docker.listContainers({ all: true, filters: { label: [`${LABEL_LAB}=${scope.labId}`] } }),
    );
    const inspected = await Promise.all(listed.map((c) => this.docker.getContainer(c.Id).inspect().catch(() => null)));
    const infos = inspected.filter(
      (i): i is Docker.ContainerInspectInfo => !!i && belongsTo(i.Config?.Labels, scope.labId) && !isHidden(i.Config?.Labels),
    );
    const nameById = new Map(infos.map((i) => [i.Id, toContainerInfo(i, scope.prefix).name]));
    this.logger.debug(`list containers of lab ${scope.labId}: ${infos.length}`);
    return infos
      .map((i) => toContainerInfo(i, scope.prefix, nameById.get(sharedNamespaceId(i) ?? '')))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async startContainer(scope: LabScope, name: string): Promise<void> {
    const info = await this.requireContainer(scope, name);
    if (info.State?.Running) return;
    await this.call(`start container ${name}`, () => this.docker.getContainer(info.Id).start());
    this.logger.log(`started container ${info.Id.slice(0, 12)}`);
  }

  async stopContainer(scope: LabScope, name: string, timeoutSeconds = 10): Promise<void> {
    const info = await this.requireContainer(scope, name);
    try {
      await this.docker.getContainer(info.Id).stop({ t: timeoutSeconds });
    } catch (err) {
      if (statusOf(err) !== 304) throw toLayerError(this.hostId, `stop container ${name}`, err); // 304: already stopped
    }
    this.logger.log(`stopped container ${info.Id.slice(0, 12)}`);
  }

  async removeContainer(scope: LabScope, name: string): Promise<void> {
    const info = await this.findContainer(scope, name);
    if (!info) return;
    await this.removeContainerById(info.Id);
  }

  /** Forced removal; false when it was already gone. */
  private async removeContainerById(id: string): Promise<boolean> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
      this.logger.log(`removed container ${id.slice(0, 12)}`);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      // 409 "removal already in progress": someone else is removing it; wait for it to go.
      if (statusOf(err) === 409) {
        for (let i = 0; i < 40; i++) {
          await sleep(250);
          if (!(await this.docker.getContainer(id).inspect().catch(() => null))) return false;
        }
      }
      throw toLayerError(this.hostId, `remove container ${id.slice(0, 12)}`, err);
    }
  }

  async exec(scope: LabScope, name: string, cmd: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (!cmd.length) throw new DockerLayerError('forbidden', 'exec needs a command');
    const info = await this.requireContainer(scope, name, true);
    return this.call(`exec in ${name}`, () => runExec(this.docker, this.docker.getContainer(info.Id), cmd, options, this.logger));
  }

  async top(scope: LabScope, name: string): Promise<string[]> {
    const info = await this.requireContainer(scope, name, true);
    const top = await this.call(`top ${name}`, () => this.docker.getContainer(info.Id).top());
    this.logger.debug(`top ${info.Id.slice(0, 12)}: ${top.Processes?.length ?? 0} processes`);
    return topCommands(top);
  }

  async openTerminal(scope: LabScope, name: string, terminalId: string, size: { rows: number; cols: number }): Promise<TerminalStream> {
    const info = await this.requireContainer(scope, name, true);
    return this.call(`terminal in ${name}`, () => openTerminal(this.docker, this.docker.getContainer(info.Id), terminalId, size, this.logger));
  }

  async killTerminal(scope: LabScope, name: string, terminalId: string): Promise<number> {
    const info = await this.findContainer(scope, name);
    if (!info || info.State?.Running !== true) return 0;
    this.logger.log(`terminal ${terminalId}: ending its shell in ${info.Id.slice(0, 12)}`);
    return killTerminal(this.docker, this.docker.getContainer(info.Id), terminalId, this.logger);
  }

  async removeLab(scope: LabRef): Promise<LabRemoval> {
    return (await this.removeLabs([scope]))[0];
  }

  /**
   * Containers first, all at once (forced: no stop grace), then networks, all at once,
   * then images (tags, and untagged images labelled for the labs). The engine ANDs label
   * filters, so several labs cannot be listed in one call by their ids: one lab is listed
   * by its label, many by the label's presence and sorted here (one listing for a class
   * instead of one per lab).
   */
  async removeLabs(labs: LabRef[]): Promise<LabRemoval[]> {
    if (!labs.length) return [];
    const removals = new Map<string, LabRemoval>(labs.map((l) => [l.labId, { labId: l.labId, containers: 0, networks: 0, images: 0, leaked: [] }]));
    const ownerOf = (labels: Record<string, string> | undefined) => removals.get(labels?.[LABEL_LAB] ?? '');
    const filters = { label: labs.length === 1 ? [`${LABEL_LAB}=${labs[0].labId}`] : [LABEL_LAB] };

    const containers = (await this.call('list containers', () => this.docker.listContainers({ all: true, filters }))).filter((c) => ownerOf(c.Labels));
    await settleAll(containers, TEARDOWN_PARALLEL, async (c) => {
      if (await this.removeContainerById(c.Id)) ownerOf(c.Labels)!.containers++;
    });

    const networks = (await this.call('list networks', () => this.docker.listNetworks({ filters }))).filter((n) => ownerOf(n.Labels));
    await settleAll(networks, TEARDOWN_PARALLEL, async (n) => {
      const removal = await this.networks.removeLeaking(n.Id);
      const lab = ownerOf(n.Labels)!;
      if (removal.outcome === 'removed') lab.networks++;
      if (removal.outcome === 'leaked') {
        const listed = removal.endpoints.length ? `still listed: ${removal.endpoints.map((e) => e.name).join(', ')}` : 'no container listed';
        const reason = `${removal.reason} (${listed}; ${removal.attempts} attempts)`;
        lab.leaked.push({ kind: 'network', id: n.Id, engineName: n.Name, reason });
        this.logger.error(`lab ${lab.labId}: network ${n.Id.slice(0, 12)} ${n.Name} left on the engine: ${reason}`);
      }
    });

    await this.removeLabImages(labs, removals);
    for (const r of removals.values()) {
      this.logger.log(`removed lab ${r.labId}: ${r.containers} containers, ${r.networks} networks, ${r.images} images${r.leaked.length ? `, ${r.leaked.length} left (refused)` : ''}`);
    }
    return labs.map((l) => removals.get(l.labId)!);
  }

  /**
   * The tags labs made through their daemon (build, commit, tag): they live under the
   * lab's prefix (`<prefix>/mypython2:latest`) or carry its label. Only tags are removed:
   * an image that another lab also tagged stays for that lab. Then the untagged images
   * carrying the lab's label: what its failed builds left (their layers carry the lab's
   * labels: gateway/handlers/images.ts) and its builds without `-t`. One listing for all labs.
   */
  private async removeLabImages(labs: LabRef[], removals: Map<string, LabRemoval>): Promise<void> {
    const images = await this.call('list images', () => this.docker.listImages());
    const prefixes = labs.filter((l) => l.prefix).map((l) => ({ prefix: `${l.prefix}/`, labId: l.labId }));
    const targets: { ref: string; labId: string }[] = [];
    const untagged: { ref: string; labId: string }[] = [];
    for (const image of images) {
      const labelled = removals.has(image.Labels?.[LABEL_LAB] ?? '') ? image.Labels![LABEL_LAB] : undefined;
      const tags = (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
      if (!tags.length && labelled) untagged.push({ ref: image.Id, labId: labelled });
      for (const tag of tags) {
        const owner = labelled ?? prefixes.find((p) => tag.startsWith(p.prefix))?.labId;
        if (owner) targets.push({ ref: tag, labId: owner });
      }
    }
    // One at a time: tags of one image would race each other for its layers.
    for (const { ref, labId } of [...targets, ...untagged]) {
      try {
        await this.docker.getImage(ref).remove({ noprune: false });
        removals.get(labId)!.images++;
      } catch (err) {
        if (!isNotFound(err)) this.logger.warn(`lab ${labId}: could not remove image ${ref}: ${engineMessage(err)}`);
      }
    }
  }

  async usage(filterLabel?: { key: string; value: string }): Promise<ContainerUsage[]> {
    const labels = filterLabel ? [`${filterLabel.key}=${filterLabel.value}`] : [];
    return this.call('container usage', () => listUsage(this.docker, labels, this.logger));
  }

  async stopContainerById(id: string, timeoutSeconds = 5): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: timeoutSeconds });
      this.logger.log(`stopped container ${id.slice(0, 12)}`);
    } catch (err) {
      if (statusOf(err) !== 304 && !isNotFound(err)) throw toLayerError(this.hostId, `stop container ${id.slice(0, 12)}`, err);
    }
  }

  async listOwned(filterLabel?: { key: string; value: string }): Promise<OwnedObject[]> {
    const label = [LABEL_LAB, ...(filterLabel ? [`${filterLabel.key}=${filterLabel.value}`] : [])];
    const [containers, networks] = await Promise.all([
      this.call('list containers', () => this.docker.listContainers({ all: true, filters: { label } })),
      this.call('list networks', () => this.docker.listNetworks({ filters: { label } })),
    ]);
    this.logger.debug(`owned objects: ${containers.length} containers, ${networks.length} networks`);
    return [...containers.map(ownedContainer), ...networks.map(ownedNetwork)];
  }
}
