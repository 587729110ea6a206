import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  type ContainerInfo,
  type ContainerSpec,
  type ContainerUsage,
  type EngineResources,
  DEFAULT_NETWORK,
  DockerLayerError,
  type ExecOptions,
  type ExecResult,
  type LabScope,
  type NetworkInfo,
  type NetworkSettings,
  type NetworkSpec,
  type OwnedObject,
  type LabRef,
  type LabRemoval,
  type TenantDocker,
  type TerminalStream,
} from '../../docker/tenant-docker';
import type { LabImages } from '../lab-context';
import type { LabValues } from '../lab-values';
import { formatIpv4, parseCidr, parseIpv4 } from '../net-compare';
import { FakeChat } from './fake-chat';
import { simulateExec } from './fake-exec';

export const APACHE_PAGE = '<html><body><h1>It works!</h1></body></html>\n';

export interface FakeNetwork {
  spec: NetworkSpec;
  id: string;
  driver: string;
}

export interface FakeContainer {
  spec: ContainerSpec;
  id: string;
  state: 'running' | 'exited' | 'created';
  exitCode?: number;
  /** TP network name -> IPv4 (empty when sharing another container's namespace). */
  addresses: Map<string, string>;
  /** Commands installed in it (ubuntu starts without curl or netstat, like the official image). */
  tools: Set<string>;
  server?: Server;
}

export interface FakeOptions {
  scope: LabScope;
  values: LabValues;
  images: LabImages;
  /** 'hang': published httpd ports accept connections and never answer. */
  http?: 'serve' | 'hang';
  /** Images that are on the host only once buildImage made them (mypython2). */
  buildable?: string[];
}

/**
 * An in-memory TenantDocker for one lab, strict in the automock sense: a method the
 * lab runner has no business calling, a call for another lab's scope or an exec it
 * cannot simulate is recorded in `unexpected` and throws. Tests assert `unexpected` is
 * empty, so a swallowed error cannot hide one. Published httpd ports are real HTTP
 * servers on 127.0.0.1, so http-from-host checks run for real.
 */
export class FakeTenantDocker implements TenantDocker {
  readonly hostId = 'fake-host';
  readonly calls: string[] = [];
  readonly unexpected: string[] = [];
  readonly networks = new Map<string, FakeNetwork>();
  readonly containers = new Map<string, FakeContainer>();
  /**
   * Overrides the simulation for some execs: a result to return, or 'hang' for an exec that
   * never finishes and ignores its timeout, like a wedged container. Undefined: simulate.
   */
  onExec?: (container: string, cmd: string[], options?: ExecOptions) => ExecResult | Promise<ExecResult> | 'hang' | undefined;
  /** Images buildImage made, with the directory and build args it was given. */
  readonly built = new Map<string, { contextDir: string; buildArgs?: Record<string, string> }>();
  /** The chat servers and clients of step 3c, simulated (fake-chat.ts). */
  readonly chat = new FakeChat(this);

  constructor(readonly options: FakeOptions) {
    const { values } = options;
    this.addNetwork({ name: DEFAULT_NETWORK, subnet: values.bridgeSubnet, gateway: values.bridgeGateway, bridgeName: values.bridgeInterface });
  }

  // ---- test helpers -------------------------------------------------------------

  addNetwork(spec: NetworkSpec, driver = 'bridge'): void {
    this.networks.set(spec.name, { spec, id: randomBytes(32).toString('hex'), driver });
  }

  /** Marks a container exited, as if its main process died. */
  async kill(name: string, exitCode: number): Promise<void> {
    const c = this.mustHave(name);
    c.state = 'exited';
    c.exitCode = exitCode;
    await closeServer(c);
  }

  /** Closes every HTTP server the fake opened. */
  async close(): Promise<void> {
    await Promise.all([...this.containers.values()].map(closeServer));
  }

  fail(what: string): never {
    this.unexpected.push(what);
    throw new Error(`FakeTenantDocker: unexpected call ${what}`);
  }

  // ---- TenantDocker --------------------------------------------------------------

  async resources(): Promise<EngineResources> {
    this.calls.push('resources');
    return { cpus: 2, memoryBytes: 24 * 1024 ** 3 };
  }

  async ping(): Promise<void> {
    this.fail('ping');
  }

  async ensureImage(ref: string): Promise<void> {
    this.calls.push(`ensureImage ${ref}`);
    if (!this.hasImage(ref)) throw new DockerLayerError('image-missing', `image ${ref} is not on the host`);
  }

  /** Like the real layer: a tag already built is kept; only the buildable images can be built. */
  async buildImage(tag: string, contextDir: string, buildArgs?: Record<string, string>): Promise<void> {
    this.calls.push(`buildImage ${tag}`);
    if (!this.options.buildable?.includes(tag)) this.fail(`buildImage ${tag} (not a buildable image of this fake)`);
    if (!this.built.has(tag)) this.built.set(tag, { contextDir, buildArgs });
  }

  hasImage(ref: string): boolean {
    return Object.values(this.options.images).includes(ref) && (!this.options.buildable?.includes(ref) || this.built.has(ref));
  }

  async createNetwork(scope: LabScope, spec: NetworkSpec): Promise<NetworkInfo> {
    this.enter(scope, `createNetwork ${spec.name}`);
    if (!this.networks.has(spec.name)) this.addNetwork(spec);
    return this.networkInfo(spec.name)!;
  }

  async inspectNetwork(scope: LabScope, name: string): Promise<NetworkInfo | null> {
    this.enter(scope, `inspectNetwork ${name}`);
    return this.networkInfo(name);
  }

  async networkSettings(scope: LabScope, name: string): Promise<NetworkSettings | null> {
    this.enter(scope, `networkSettings ${name}`);
    const info = this.networkInfo(name);
    if (!info) return null;
    const { containers: _members, ...settings } = info;
    return settings;
  }

  async listNetworks(scope: LabScope): Promise<NetworkInfo[]> {
    this.enter(scope, 'listNetworks');
    return [...this.networks.keys()].map((name) => this.networkInfo(name)!);
  }

  async removeNetwork(scope: LabScope, name: string): Promise<void> {
    this.enter(scope, `removeNetwork ${name}`);
    if (!this.networks.has(name)) throw new DockerLayerError('not-found', `network ${name} not found`);
    if (this.networkInfo(name)!.containers.length) throw new DockerLayerError('conflict', `network ${name} has active endpoints`);
    this.networks.delete(name);
  }

  async runContainer(scope: LabScope, spec: ContainerSpec): Promise<ContainerInfo> {
    this.enter(scope, `runContainer ${spec.name}`);
    if (this.containers.has(spec.name)) throw new DockerLayerError('conflict', `container name ${spec.name} is already in use`);
    if (!this.hasImage(spec.image)) throw new DockerLayerError('image-missing', `no such image ${spec.image}`);
    const network = spec.network ?? DEFAULT_NETWORK;
    const addresses = new Map<string, string>();
    if (network.startsWith('container:')) {
      const owner = this.containers.get(network.slice(10));
      if (!owner || owner.state !== 'running') throw new DockerLayerError('conflict', `cannot join the network of ${network.slice(10)}: not running`);
    } else {
      if (!this.networks.has(network)) throw new DockerLayerError('not-found', `network ${network} not found`);
      addresses.set(network, this.freeAddress(network, spec.ipv4));
    }
    for (const link of spec.links ?? []) {
      if (!this.containers.has(link.container)) throw new DockerLayerError('not-found', `link target ${link.container} not found`);
    }
    const container: FakeContainer = { spec, id: randomBytes(32).toString('hex'), state: 'running', addresses, tools: new Set() };
    this.containers.set(spec.name, container);
    await this.startServer(container);
    return this.containerInfo(spec.name)!;
  }

  /** The console is the worker's business, never the lab runner's. */
  async runConsole(): Promise<ContainerInfo> {
    this.fail('runConsole');
  }

  async inspectContainer(scope: LabScope, name: string): Promise<ContainerInfo | null> {
    this.enter(scope, `inspectContainer ${name}`);
    return this.containerInfo(name);
  }

  async listContainers(scope: LabScope): Promise<ContainerInfo[]> {
    this.enter(scope, 'listContainers');
    return [...this.containers.keys()].map((name) => this.containerInfo(name)!);
  }

  async startContainer(scope: LabScope, name: string): Promise<void> {
    this.enter(scope, `startContainer ${name}`);
    const c = this.mustHave(name);
    c.state = 'running';
    c.exitCode = undefined;
    await this.startServer(c);
  }

  async stopContainer(scope: LabScope, name: string): Promise<void> {
    this.enter(scope, `stopContainer ${name}`);
    await this.kill(name, 0);
  }

  async removeContainer(scope: LabScope, name: string): Promise<void> {
    this.enter(scope, `removeContainer ${name}`);
    const c = this.containers.get(name);
    if (!c) return;
    await closeServer(c);
    this.containers.delete(name);
  }

  async exec(scope: LabScope, name: string, cmd: string[], options?: ExecOptions): Promise<ExecResult> {
    this.enter(scope, `exec ${name} ${cmd.join(' ')}`);
    const c = this.containers.get(name);
    if (!c) throw new DockerLayerError('not-found', `container ${name} not found`);
    if (c.state !== 'running') throw new DockerLayerError('conflict', `container ${name} is not running`);
    const override = this.onExec?.(name, cmd, options);
    if (override === 'hang') return new Promise<ExecResult>(() => undefined);
    if (override) return override;
    return this.chat.handles(cmd) ? this.chat.exec(name, cmd) : simulateExec(this, name, cmd);
  }

  async top(scope: LabScope, name: string): Promise<string[]> {
    this.fail(`top ${scope.labId} ${name}`);
  }

  async openTerminal(scope: LabScope, name: string): Promise<TerminalStream> {
    this.fail(`openTerminal ${scope.labId} ${name}`);
  }

  async killTerminal(scope: LabScope, name: string): Promise<number> {
    this.fail(`killTerminal ${scope.labId} ${name}`);
  }

  async removeLab(scope: LabRef): Promise<LabRemoval> {
    this.fail(`removeLab ${scope.labId}`);
  }

  async removeLabs(labs: LabRef[]): Promise<LabRemoval[]> {
    this.fail(`removeLabs ${labs.map((l) => l.labId).join(' ')}`);
  }

  async listOwned(): Promise<OwnedObject[]> {
    this.fail('listOwned');
  }

  async usage(): Promise<ContainerUsage[]> {
    this.fail('usage');
  }

  async stopContainerById(id: string): Promise<void> {
    this.fail(`stopContainerById ${id}`);
  }

  // ---- internals -----------------------------------------------------------------

  /** Records the call and refuses any scope but the fake's lab: the runner must never reach another lab. */
  private enter(scope: LabScope, call: string): void {
    this.calls.push(call);
    if (scope.labId !== this.options.scope.labId || scope.prefix !== this.options.scope.prefix) {
      this.fail(`${call} for lab ${scope.labId} (this fake is lab ${this.options.scope.labId})`);
    }
  }

  mustHave(name: string): FakeContainer {
    const c = this.containers.get(name);
    if (!c) throw new Error(`FakeTenantDocker: test asked for unknown container ${name}`);
    return c;
  }

  isHttpd(c: FakeContainer): boolean {
    return c.spec.image === this.options.images.httpd;
  }

  /** The fixed address asked for, or the first free one of the ip-range (of the subnet, after the gateway), as Docker does. */
  private freeAddress(network: string, wanted?: string): string {
    if (wanted) return wanted;
    const { subnet, ipRange, gateway } = this.networks.get(network)!.spec;
    const parsed = parseCidr(ipRange ?? subnet);
    if (!parsed.ok) throw new Error(`bad subnet on ${network}`);
    const used = new Set([...this.containers.values()].map((c) => c.addresses.get(network)));
    if (gateway) used.add(gateway);
    for (let n = parsed.cidr.network + (ipRange ? 0 : 2); ; n++) if (!used.has(formatIpv4(n))) return formatIpv4(n);
  }

  private networkInfo(name: string): NetworkInfo | null {
    const n = this.networks.get(name);
    if (!n) return null;
    const attached = [...this.containers.entries()].filter(([, c]) => c.addresses.has(name));
    return {
      id: n.id,
      name,
      engineName: `${this.options.scope.prefix}-${name}`,
      driver: n.driver,
      subnet: n.spec.subnet,
      gateway: n.spec.gateway,
      ipRange: n.spec.ipRange,
      bridgeName: n.spec.bridgeName,
      labels: { 'netlabs.lab': this.options.scope.labId },
      containers: attached.map(([cname, c]) => ({ name: cname, ipv4: c.addresses.get(name) })),
    };
  }

  private containerInfo(name: string): ContainerInfo | null {
    const c = this.containers.get(name);
    if (!c) return null;
    const network = c.spec.network ?? DEFAULT_NETWORK;
    return {
      id: c.id,
      name,
      engineName: `${this.options.scope.prefix}-${name}`,
      image: c.spec.image,
      state: c.state,
      running: c.state === 'running',
      exitCode: c.exitCode,
      networkMode: network,
      networks: [...c.addresses.entries()].map(([net, ipv4]) => ({ name: net, ipv4, aliases: [name, ...(c.spec.aliases ?? [])] })),
      ports: c.spec.publish ? [{ containerPort: c.spec.publish.containerPort, hostPort: c.spec.publish.hostPort }] : [],
      labels: { 'netlabs.lab': this.options.scope.labId },
      limits: { memoryBytes: 256 << 20, nanoCpus: 5e8, pidsLimit: 256, privileged: false },
    };
  }

  private async startServer(c: FakeContainer): Promise<void> {
    if (!this.isHttpd(c) || !c.spec.publish || c.spec.publish.containerPort !== 80 || c.server) return;
    const hang = this.options.http === 'hang';
    const server = createServer((_req, res) => {
      if (!hang) res.end(APACHE_PAGE);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(c.spec.publish!.hostPort, '127.0.0.1', resolve);
    });
    c.server = server;
  }

  /** The container whose network namespace `c` uses (itself, or the one it joined). */
  namespaceOwner(c: FakeContainer): FakeContainer | undefined {
    const network = c.spec.network ?? DEFAULT_NETWORK;
    return network.startsWith('container:') ? this.containers.get(network.slice(10)) : c;
  }

  /** The container that `host` (an IP or a name) means from inside `from`, as Docker's DNS and links would resolve it. */
  resolveFrom(from: FakeContainer, host: string): FakeContainer | undefined {
    const ns = this.namespaceOwner(from);
    if (!ns) return undefined;
    const nets = [...ns.addresses.keys()];
    const onShared = (c: FakeContainer) => nets.some((n) => c.addresses.has(n));
    if (parseIpv4(host) !== null) return [...this.containers.values()].find((c) => nets.some((n) => c.addresses.get(n) === host));
    const linked = ns.spec.links?.find((l) => l.alias === host || l.container === host);
    if (linked) return this.containers.get(linked.container);
    const byName = this.containers.get(host);
    return byName && onShared(byName) ? byName : undefined;
  }
}

async function closeServer(c: FakeContainer): Promise<void> {
  const server = c.server;
  c.server = undefined;
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A TCP port free on 127.0.0.1 right now, for a test lab's httpdPort. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
