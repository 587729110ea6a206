/**
 * Pure translation of our specs into engine requests: names, labels, limits and the
 * rules a lab may not break. No I/O here, so every rule is unit-tested (docker-specs.spec.ts).
 */
import type Docker from 'dockerode';
import { type EngineAccess, type EngineSecrets, hostKeyBlob, redactEndpoint, SSH_HOST_KEY_FILE, SSH_KEY_FILE } from '../config/engine-access';
import { type HardeningContext, labContainerHardening, publishHostIp, type HardeningPolicy } from './lab-hardening';
import {
  CONSOLE,
  CONSOLE_GATEWAY_DIR,
  DEFAULT_NETWORK,
  DockerLayerError,
  LABEL_CLASS,
  LABEL_LAB,
  LABEL_NAME,
  LABEL_ROLE,
  type ConsoleSpec,
  type ContainerSpec,
  type LabScope,
  type NetworkSpec,
} from './tenant-docker';

/**
 * Per-container limits of a host, from LAB_MEMORY_MB, LAB_CPUS, LAB_PIDS, LAB_MAX_CONTAINERS,
 * and the hardening policy (logs, disk, publish address: lab-hardening.ts).
 */
export interface LabLimits extends HardeningPolicy {
  memoryMb: number;
  cpus: number;
  pids: number;
  maxContainers: number;
}

/** Network names a lab may never attach to, whatever its prefix. */
const ENGINE_NETWORKS = new Set(['host', 'none', 'default']);
const TP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
// Linux IFNAMSIZ is 16 including the NUL; "/", ":" and whitespace are refused by the kernel or by iproute.
const BRIDGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function engineName(scope: Pick<LabScope, 'prefix'>, name: string): string {
  return `${scope.prefix}-${name}`;
}

/** The TP name back from an engine name, when it carries the lab's prefix. */
export function tpName(prefix: string | undefined, engine: string): string {
  const bare = engine.startsWith('/') ? engine.slice(1) : engine;
  return prefix && bare.startsWith(`${prefix}-`) ? bare.slice(prefix.length + 1) : bare;
}

export function labelsFor(scope: LabScope, name: string): Record<string, string> {
  // Our three labels last: scope.labels must not be able to move an object to another lab.
  return { ...scope.labels, [LABEL_LAB]: scope.labId, [LABEL_CLASS]: scope.classId, [LABEL_NAME]: name };
}

export function belongsTo(labels: Record<string, string> | null | undefined, labId: string): boolean {
  return !!labels && labels[LABEL_LAB] === labId;
}

export const isTpName = (name: string) => TP_NAME.test(name);

export function assertTpName(kind: 'container' | 'network', name: string): void {
  if (!TP_NAME.test(name)) {
    throw new DockerLayerError('forbidden', `${kind} name "${name}" must be letters, digits, "_", "." or "-" (64 at most)`);
  }
}

export function assertBridgeName(bridgeName: string): void {
  if (!BRIDGE_NAME.test(bridgeName)) {
    throw new DockerLayerError(
      'forbidden',
      `bridge name "${bridgeName}" is not a valid interface name: 1 to 15 letters, digits, "_", "." or "-"`,
    );
  }
}

function assertIpv4(what: string, value: string | undefined, cidr = false): void {
  if (value === undefined) return;
  const [ip, mask, ...rest] = value.split('/');
  const m = IPV4.exec(ip);
  const okMask = cidr ? mask !== undefined && /^\d{1,2}$/.test(mask) && Number(mask) <= 32 : mask === undefined;
  if (!m || rest.length || !okMask || m.slice(1).some((o) => Number(o) > 255)) {
    throw new DockerLayerError('forbidden', `${what} "${value}" is not an IPv4 ${cidr ? 'CIDR' : 'address'}`);
  }
}

export function networkCreateOptions(scope: LabScope, spec: NetworkSpec): Docker.NetworkCreateOptions {
  assertTpName('network', spec.name);
  if (ENGINE_NETWORKS.has(spec.name)) {
    throw new DockerLayerError('forbidden', `"${spec.name}" is reserved by Docker and cannot be a lab network`);
  }
  assertBridgeName(spec.bridgeName);
  assertIpv4('subnet', spec.subnet, true);
  assertIpv4('gateway', spec.gateway);
  assertIpv4('ip-range', spec.ipRange, true);
  const ipam: Docker.IPAM['Config'] = [
    {
      Subnet: spec.subnet,
      ...(spec.gateway ? { Gateway: spec.gateway } : {}),
      ...(spec.ipRange ? { IPRange: spec.ipRange } : {}),
    },
  ];
  return {
    Name: engineName(scope, spec.name),
    // Best effort only: two creates at the same instant still both succeed, see createNetwork.
    CheckDuplicate: true,
    Driver: 'bridge',
    IPAM: { Driver: 'default', Config: ipam },
    Options: {
      'com.docker.network.bridge.name': spec.bridgeName,
      'com.docker.network.bridge.enable_icc': 'true',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
    },
    Labels: labelsFor(scope, spec.name),
  };
}

/** How a container spec attaches to the network, before any engine lookup. */
export type NetworkChoice = { kind: 'network'; name: string } | { kind: 'container'; name: string };

export function parseNetwork(spec: Pick<ContainerSpec, 'network'>): NetworkChoice {
  const raw = spec.network ?? DEFAULT_NETWORK;
  if (raw.startsWith('container:')) {
    const name = raw.slice('container:'.length);
    assertTpName('container', name);
    return { kind: 'container', name };
  }
  if (ENGINE_NETWORKS.has(raw)) {
    throw new DockerLayerError('forbidden', `network "${raw}" is not allowed in a lab: use the lab's own networks`);
  }
  assertTpName('network', raw);
  return { kind: 'network', name: raw };
}

/** Options a container sharing another one's namespace cannot have (Docker refuses them too). */
export function assertSharedNamespaceSpec(spec: ContainerSpec): void {
  const conflicting = [
    spec.publish && 'port publishing',
    spec.links?.length && 'links',
    spec.aliases?.length && 'network aliases',
    spec.ipv4 && 'a fixed IP address',
  ].filter(Boolean);
  if (conflicting.length) {
    throw new DockerLayerError(
      'forbidden',
      `conflicting options: ${conflicting.join(', ')} and the container:<name> network mode`,
    );
  }
}

/** Engine-side facts runContainer looked up before building the request. */
export interface ResolvedAttachment {
  /** Engine network name, or `container:<engine id>`. */
  networkMode: string;
  /** Engine names of the link targets, in spec.links order. */
  linkEngineNames?: string[];
  /** The host's storage driver enforces a writable-layer size (overlay2 on xfs with pquota). */
  diskQuota?: boolean;
}

/**
 * The HostConfig every lab container gets, whoever creates it (the worker's solutions, a
 * student's `docker run` through the lab daemon, the console): limits, then the hardening
 * of lab-hardening.ts (capabilities, logs, disk, no privileges, no mounts). One place, so
 * the paths can never drift apart.
 */
export function enforcedHostConfig(limits: LabLimits, context: HardeningContext = { sharesNamespace: false, diskQuota: false }): Docker.HostConfig {
  const memory = Math.round(limits.memoryMb * 1024 * 1024);
  return {
    Memory: memory,
    // Equal to Memory: no swap on top of the memory limit.
    MemorySwap: memory,
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
    // An init as PID 1 reaps the zombies students' shells leave and forwards signals.
    Init: true,
    // Last, so that nothing above can loosen it: capabilities, logs, disk, no mounts.
    ...labContainerHardening(limits, context),
  };
}

export function containerCreateOptions(
  scope: LabScope,
  spec: ContainerSpec,
  limits: LabLimits,
  attach: ResolvedAttachment,
): Docker.ContainerCreateOptions {
  assertTpName('container', spec.name);
  // Last line of defence: only the lab's own networks or a namespace of the lab, never
  // host, none or the shared docker0 ("bridge" on the engine).
  const own = attach.networkMode.startsWith(`${scope.prefix}-`) || /^container:[0-9a-f]{12,64}$/.test(attach.networkMode);
  if (!own) {
    throw new DockerLayerError('forbidden', `network mode "${attach.networkMode}" is not one of the lab's networks`);
  }
  assertIpv4('ip address', spec.ipv4);
  const sharesNamespace = attach.networkMode.startsWith('container:');
  if (sharesNamespace) assertSharedNamespaceSpec(spec);

  const hostConfig: Docker.HostConfig = {
    NetworkMode: attach.networkMode,
    // Containers running when the engine stops come back with it; one the student stopped stays stopped.
    RestartPolicy: { Name: 'unless-stopped' },
    ...enforcedHostConfig(limits, { sharesNamespace, diskQuota: !!attach.diskQuota }),
  };
  const options: Docker.ContainerCreateOptions = {
    name: engineName(scope, spec.name),
    Image: spec.image,
    Labels: labelsFor(scope, spec.name),
    Tty: !!spec.tty,
    OpenStdin: !!spec.openStdin,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: hostConfig,
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.env ? { Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) } : {}),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
  };
  if (spec.publish) {
    const key = `${spec.publish.containerPort}/tcp`;
    options.ExposedPorts = { [key]: {} };
    hostConfig.PortBindings = { [key]: [{ HostIp: publishHostIp(limits), HostPort: String(spec.publish.hostPort) }] };
  }
  if (!sharesNamespace) {
    const links = (spec.links ?? []).map((link, i) => `${attach.linkEngineNames?.[i] ?? engineName(scope, link.container)}:${link.alias}`);
    options.NetworkingConfig = {
      EndpointsConfig: {
        [attach.networkMode]: {
          Aliases: [...new Set([spec.name, ...(spec.aliases ?? [])])],
          ...(links.length ? { Links: links } : {}),
          ...(spec.ipv4 ? { IPAMConfig: { IPv4Address: spec.ipv4 } } : {}),
        },
      },
    };
  }
  return options;
}

/** Whether an object is NetLabs' own in the lab (the console), not one of the TP's. */
export const isHidden = (labels: Record<string, string> | null | undefined) => !!labels?.[LABEL_ROLE];

/**
 * The console's create request: the hardening and limits of every lab container, the lab's
 * labels plus its role, and one bind mount, read-only, of the gateway socket's directory
 * (connecting to a unix socket needs no write access to its file system; read-only keeps a
 * student who is root in the console from removing the socket everyone's labs use).
 */
export function consoleCreateOptions(scope: LabScope, spec: ConsoleSpec, limits: LabLimits, networkEngineName: string): Docker.ContainerCreateOptions {
  if (!networkEngineName.startsWith(`${scope.prefix}-`)) {
    throw new DockerLayerError('forbidden', `network "${networkEngineName}" is not one of the lab's networks`);
  }
  if (!spec.gatewayDir.startsWith('/') || spec.gatewayDir.split('/').includes('..') || spec.gatewayDir === '/') {
    throw new DockerLayerError('forbidden', `gateway directory "${spec.gatewayDir}" must be an absolute path other than /`);
  }
  assertIpv4('ip address', spec.ipv4);
  for (const host of spec.loopbackHosts ?? []) {
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?$/.test(host)) throw new DockerLayerError('forbidden', `"${host}" is not a host name`);
  }
  return {
    name: engineName(scope, CONSOLE),
    Hostname: 'hote',
    Image: spec.image,
    Labels: { ...labelsFor(scope, CONSOLE), [LABEL_ROLE]: 'console' },
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Tty: false,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: {
      NetworkMode: networkEngineName,
      RestartPolicy: { Name: 'unless-stopped' },
      // The same fence as every lab container (no NET_RAW: raw frames reached the host over IPv6).
      ...enforcedHostConfig(limits),
      Mounts: [{ Type: 'bind', Source: spec.gatewayDir, Target: CONSOLE_GATEWAY_DIR, ReadOnly: true }],
      ...(spec.loopbackHosts?.length ? { ExtraHosts: spec.loopbackHosts.map((h) => `${h}:127.0.0.1`) } : {}),
    },
    NetworkingConfig: {
      EndpointsConfig: { [networkEngineName]: spec.ipv4 ? { IPAMConfig: { IPv4Address: spec.ipv4 } } : {} },
    },
  };
}

/** Adds `:latest` when a reference has neither tag nor digest (a bare pull would fetch every tag). */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

/**
 * The access of a bare endpoint, without credentials: a unix socket, or plain tcp:// (tests and
 * tools only; NetLabs itself gets every host's access from its configuration, which refuses a
 * plain tcp:// host that DOCKER_INSECURE_HOSTS does not list, see libs/config/engine-access.ts).
 */
export function bareAccess(endpoint: string): EngineAccess {
  if (endpoint.startsWith('unix://')) {
    const socketPath = endpoint.slice('unix://'.length);
    if (socketPath.startsWith('/')) return { kind: 'unix', socketPath };
  }
  const tcp = /^tcp:\/\/([^/:]+|\[[^\]]+\]):(\d{1,5})\/?$/.exec(endpoint);
  if (tcp) return { kind: 'tcp', host: tcp[1].replace(/^\[|\]$/g, ''), port: Number(tcp[2]), tls: null };
  throw new DockerLayerError('unreachable', `Docker endpoint "${redactEndpoint(endpoint)}" needs its credentials from the configuration (DOCKER_HOSTS)`);
}

/** dockerode (docker-modem) connection options for one engine: unix socket, tcp with mutual TLS or plain, ssh. */
export function connectionFor(access: EngineAccess): Docker.DockerOptions {
  switch (access.kind) {
    case 'unix':
      return { socketPath: access.socketPath };
    case 'tcp':
      if (!access.tls) return { host: access.host, port: access.port, protocol: 'http' };
      return { host: access.host, port: access.port, protocol: 'https', ...tlsOptions(access.tls) };
    case 'ssh':
      return { host: access.host, port: access.port, protocol: 'ssh', username: access.username, sshOptions: sshOptions(access.secrets) };
  }
}

/** Node TLS options of a mutual-TLS engine: its CA only (not the system's), our client certificate and key. */
export function tlsOptions(tls: EngineSecrets): { ca: Buffer; cert: Buffer; key: Buffer } {
  return { ca: tls.file('ca.pem') as Buffer, cert: tls.file('cert.pem') as Buffer, key: tls.file('key.pem') as Buffer };
}

/**
 * ssh2 options of an ssh:// engine: our key (else the agent of SSH_AUTH_SOCK), and the engine
 * machine's host key pinned (ssh2 would otherwise accept any machine answering on that address).
 */
export function sshOptions(secrets: EngineSecrets): { privateKey?: Buffer; agent?: string; hostVerifier: (key: Buffer) => boolean } {
  const pinned = hostKeyBlob(secrets.file(SSH_HOST_KEY_FILE));
  const privateKey = secrets.file(SSH_KEY_FILE);
  return {
    ...(privateKey ? { privateKey } : { agent: process.env.SSH_AUTH_SOCK }),
    hostVerifier: (key: Buffer) => !!pinned && Buffer.isBuffer(key) && key.equals(pinned),
  };
}
