/**
 * The body of `POST /containers/create`, rebuilt from an allowlist: what the TP needs
 * passes (ports on the lab's own port, the lab's networks, links and `container:` modes
 * inside the lab, TTYs, commands), what would cross the fence is refused with a message
 * naming the option, and limits, labels and hardening are always NetLabs'. Nothing the
 * student sent reaches the engine unless it is named here.
 */
import { enforcedHostConfig } from '../../docker/docker-specs';
import { DEFAULT_NETWORK } from '../../docker/tenant-docker';
import { labelsFor } from '../../docker/docker-specs';
import { type GatewayLab, type GatewaySettings, LABEL_ROLE } from '../gateway-lab';
import { badRequest, forbidden } from '../refusal';
import { isEmpty, ownLabels } from './values';

type Json = Record<string, unknown>;

/** Container settings (the top level of the body) passed on as given. */
const CONFIG_PASS = [
  'Hostname',
  'Domainname',
  'User',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'ExposedPorts',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'Env',
  'Cmd',
  'Healthcheck',
  'ArgsEscaped',
  'WorkingDir',
  'Entrypoint',
  'NetworkDisabled',
  'StopSignal',
  'StopTimeout',
  'Shell',
  'MacAddress',
];

/** Top-level keys that are read elsewhere here, or that the CLI sends empty. */
const CONFIG_HANDLED = new Set(['Image', 'Labels', 'HostConfig', 'NetworkingConfig', 'Volumes', 'OnBuild', 'Platform', 'name']);

/** HostConfig keys passed on as given once checked (everything else must be empty). */
const HOST_PASS = ['AutoRemove', 'ConsoleSize', 'ExtraHosts', 'ReadonlyRootfs', 'Dns', 'DnsOptions', 'DnsSearch'];

/** HostConfig keys NetLabs sets itself: the student's value is ignored (the CLI always sends them). */
const HOST_OURS = new Set([
  'Memory',
  'MemorySwap',
  'MemoryReservation',
  'MemorySwappiness',
  'NanoCpus',
  'CpuShares',
  'CpuPeriod',
  'CpuQuota',
  'CpusetCpus',
  'CpusetMems',
  'PidsLimit',
  'Init',
  'LogConfig',
  'KernelMemory',
  'KernelMemoryTCP',
  'BlkioWeight',
  'IOMaximumBandwidth',
  'IOMaximumIOps',
  'CpuCount',
  'CpuPercent',
  'CpuRealtimePeriod',
  'CpuRealtimeRuntime',
  'ShmSize',
  'OomScoreAdj',
  'Isolation',
]);

/** Non-empty values refused with a reason the student can act on. */
const HOST_REFUSED: Record<string, string> = {
  Privileged: '--privileged is not allowed in a lab',
  CapAdd: '--cap-add is not allowed in a lab: containers keep the default capabilities',
  Devices: '--device is not allowed in a lab',
  DeviceRequests: '--gpus and device requests are not allowed in a lab',
  DeviceCgroupRules: '--device-cgroup-rule is not allowed in a lab',
  Binds: 'bind mounts (-v /host/path:...) are not allowed in a lab: copy files in with docker cp, or build an image',
  Mounts: '--mount is not allowed in a lab: copy files in with docker cp, or build an image',
  Tmpfs: '--tmpfs is not allowed in a lab',
  VolumesFrom: '--volumes-from is not allowed in a lab',
  VolumeDriver: '--volume-driver is not allowed in a lab',
  PidMode: '--pid is not allowed in a lab: containers have their own process namespace',
  UTSMode: '--uts is not allowed in a lab',
  UsernsMode: '--userns is not allowed in a lab',
  SecurityOpt: '--security-opt is not allowed in a lab',
  Sysctls: '--sysctl is not allowed in a lab',
  CgroupParent: '--cgroup-parent is not allowed in a lab',
  Cgroup: '--cgroup is not allowed in a lab',
  Runtime: '--runtime is not allowed in a lab',
  OomKillDisable: '--oom-kill-disable is not allowed in a lab',
  GroupAdd: '--group-add is not allowed in a lab',
  PublishAllPorts: '-P (publish all ports) is not allowed in a lab: publish port 80 on your lab\'s own port with -p',
  CapDrop: '',
  MaskedPaths: '--security-opt systempaths is not allowed in a lab',
  ReadonlyPaths: '--security-opt systempaths is not allowed in a lab',
  Ulimits: '--ulimit is not allowed in a lab',
  StorageOpt: '--storage-opt is not allowed in a lab',
  BlkioDeviceReadBps: 'block I/O options are not allowed in a lab',
  BlkioDeviceWriteBps: 'block I/O options are not allowed in a lab',
  BlkioDeviceReadIOps: 'block I/O options are not allowed in a lab',
  BlkioDeviceWriteIOps: 'block I/O options are not allowed in a lab',
  BlkioWeightDevice: 'block I/O options are not allowed in a lab',
  ContainerIDFile: '',
};

const RESTART = new Set(['', 'no', 'on-failure', 'unless-stopped', 'always']);

/** What the create needs resolved on the engine, asked for by name. */
export interface CreateLookups {
  /** A lab container's id and engine name by the student's reference. */
  container(ref: string): Promise<{ id: string; engineName: string }>;
  /** A lab network's engine id by the student's reference ("bridge" = the lab's bridge). */
  network(ref: string): Promise<{ engineRef: string; name: string; engine: boolean }>;
  /** The engine image the student's reference stands for. */
  image(ref: string): string;
}

export interface CreatePlan {
  body: Json;
  /** The network the container joins, as the student named it (for messages). */
  network: string;
}

function refuseNonEmpty(host: Json): void {
  for (const [key, reason] of Object.entries(HOST_REFUSED)) {
    const value = host[key];
    if (isEmpty(value)) continue;
    if (key === 'CapDrop') continue; // every capability is dropped anyway (lab-hardening.ts)
    if (key === 'ContainerIDFile') continue;
    throw forbidden(reason);
  }
  const ipc = host.IpcMode;
  if (!isEmpty(ipc) && ipc !== 'private' && ipc !== 'shareable' && ipc !== 'none') {
    throw forbidden('--ipc is not allowed in a lab: containers have their own IPC namespace');
  }
  const cgroupns = host.CgroupnsMode;
  if (!isEmpty(cgroupns) && cgroupns !== 'private') throw forbidden('--cgroupns=host is not allowed in a lab');
  const known = new Set([...HOST_PASS, ...HOST_OURS, ...Object.keys(HOST_REFUSED), 'IpcMode', 'CgroupnsMode', 'NetworkMode', 'PortBindings', 'Links', 'RestartPolicy']);
  for (const [key, value] of Object.entries(host)) {
    if (!known.has(key) && !isEmpty(value)) throw forbidden(`HostConfig.${key} is not allowed in a lab`);
  }
}

function portBindings(host: Json, lab: GatewayLab, settings: GatewaySettings): Json | undefined {
  const bindings = host.PortBindings as Record<string, { HostIp?: string; HostPort?: string }[] | null> | undefined;
  if (isEmpty(bindings)) return undefined;
  const port = String(lab.values.httpdPort);
  const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
  let count = 0;
  for (const [containerPort, list] of Object.entries(bindings!)) {
    if (!/^\d{1,5}(\/(tcp|udp|sctp))?$/.test(containerPort)) throw badRequest(`invalid container port "${containerPort}"`);
    for (const b of list ?? []) {
      if (b.HostPort !== port) {
        throw forbidden(`this lab may publish only on its own host port ${port}: use -p ${port}:${containerPort.split('/')[0]}`);
      }
      if (!isEmpty(b.HostIp) && b.HostIp !== '0.0.0.0' && b.HostIp !== settings.publishAddress) {
        throw forbidden(`published ports bind to ${settings.publishAddress} in this lab: leave the address out (-p ${port}:80)`);
      }
      out[containerPort] = [{ HostIp: settings.publishAddress, HostPort: port }];
      count++;
    }
  }
  if (count > 1) throw forbidden(`this lab has one host port (${port}): publish one container port on it`);
  return out;
}

export function endpointConfig(raw: Json | undefined, tpName: string, links: string[]): Json {
  const ep = raw ?? {};
  for (const [key, value] of Object.entries(ep)) {
    if (!['Aliases', 'IPAMConfig', 'Links', 'MacAddress', 'NetworkID', 'EndpointID', 'Gateway', 'IPAddress', 'IPPrefixLen', 'IPv6Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'DriverOpts'].includes(key) && !isEmpty(value)) {
      throw forbidden(`endpoint option ${key} is not allowed in a lab`);
    }
  }
  if (!isEmpty(ep.DriverOpts)) throw forbidden('network driver options for an endpoint are not allowed in a lab');
  const ipam = (ep.IPAMConfig ?? {}) as Json;
  if (!isEmpty(ipam.IPv6Address) || !isEmpty(ipam.LinkLocalIPs)) throw forbidden('IPv6 and link-local addresses are not available in a lab');
  const ipv4 = ipam.IPv4Address;
  if (!isEmpty(ipv4) && (typeof ipv4 !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ipv4))) throw badRequest(`invalid IPv4 address "${String(ipv4)}"`);
  const aliases = Array.isArray(ep.Aliases) ? (ep.Aliases as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  return {
    Aliases: [...new Set([tpName, ...aliases])],
    ...(links.length ? { Links: links } : {}),
    ...(ipv4 ? { IPAMConfig: { IPv4Address: ipv4 } } : {}),
    ...(typeof ep.MacAddress === 'string' && ep.MacAddress ? { MacAddress: ep.MacAddress } : {}),
  };
}

export async function planContainerCreate(
  raw: Json,
  tpName: string,
  lab: GatewayLab,
  settings: GatewaySettings,
  lookups: CreateLookups,
): Promise<CreatePlan> {
  if (typeof raw.Image !== 'string' || !raw.Image) throw badRequest('no image given');
  for (const [key, value] of Object.entries(raw)) {
    if (!CONFIG_PASS.includes(key) && !CONFIG_HANDLED.has(key) && !isEmpty(value)) throw forbidden(`${key} is not allowed in a lab`);
  }
  // Not isEmpty: `-v /data` arrives as {"/data": {}}, which is empty all the way down.
  if (raw.Volumes && typeof raw.Volumes === 'object' && Object.keys(raw.Volumes).length) {
    throw forbidden('volumes (-v /path) are not available in a lab: use the container\'s own filesystem');
  }
  if (!isEmpty(raw.OnBuild)) throw forbidden('OnBuild is not allowed here');
  const host = (raw.HostConfig ?? {}) as Json;
  refuseNonEmpty(host);

  const restart = (host.RestartPolicy ?? {}) as { Name?: string; MaximumRetryCount?: number };
  if (!RESTART.has(restart.Name ?? '')) throw badRequest(`unknown restart policy "${restart.Name}"`);

  // The network: "default"/"bridge" is the lab's bridge, container:<name> a lab container's namespace.
  const mode = typeof host.NetworkMode === 'string' && host.NetworkMode ? host.NetworkMode : 'default';
  let networkMode: string;
  let endpointKey: string | undefined;
  let studentNetwork = mode;
  if (mode.startsWith('container:')) {
    const target = await lookups.container(mode.slice('container:'.length));
    networkMode = `container:${target.id}`;
  } else if (mode === 'host') {
    throw forbidden('--net host is not allowed in a lab: use the lab\'s networks (bridge, or one you created)');
  } else if (mode === 'none') {
    networkMode = 'none';
  } else {
    const net = await lookups.network(mode === 'default' ? DEFAULT_NETWORK : mode);
    if (net.engine) throw forbidden(`--net ${mode} is not allowed in a lab`);
    networkMode = net.engineRef;
    endpointKey = net.engineRef;
    studentNetwork = net.name;
  }

  const links: string[] = [];
  for (const link of Array.isArray(host.Links) ? (host.Links as string[]) : []) {
    const [target, alias, ...rest] = String(link).split(':');
    if (rest.length || !target) throw badRequest(`invalid link "${link}": use --link <container>:<alias>`);
    const found = await lookups.container(target.replace(/^\//, ''));
    links.push(`${found.engineName}:${alias || target}`);
  }
  const shared = networkMode.startsWith('container:');
  if (shared && links.length) throw badRequest('conflicting options: --link and the container:<name> network mode');

  const endpoints = ((raw.NetworkingConfig as Json | undefined)?.EndpointsConfig ?? {}) as Record<string, Json>;
  const given = Object.entries(endpoints);
  if (given.length > 1) throw badRequest('a container joins one network at create: use docker network connect for more');
  const ports = portBindings(host, lab, settings);
  if (shared && ports) throw badRequest('conflicting options: port publishing and the container:<name> network mode');

  const body: Json = {};
  for (const key of CONFIG_PASS) if (raw[key] !== undefined) body[key] = raw[key];
  body.Image = lookups.image(raw.Image);
  // A container inherits its image's labels, and an image built in the lab may say
  // `LABEL netlabs.role=console`: set empty here, the role can never hide a student's
  // container from the lab's view or from its container limit.
  body.Labels = { ...ownLabels(raw.Labels), ...labelsFor(lab.scope, tpName), [LABEL_ROLE]: '' };
  body.HostConfig = {
    ...Object.fromEntries(HOST_PASS.filter((k) => host[k] !== undefined).map((k) => [k, host[k]])),
    ...(isEmpty(host.IpcMode) ? {} : { IpcMode: host.IpcMode }),
    RestartPolicy: { Name: restart.Name || 'no', MaximumRetryCount: restart.MaximumRetryCount ?? 0 },
    NetworkMode: networkMode,
    ...(ports ? { PortBindings: ports } : {}),
    // Disk quotas are enforced by the lab guard's watchdog here (the daemon does not probe the storage driver).
    ...enforcedHostConfig(settings.limits, { sharesNamespace: shared, diskQuota: false }),
  };
  if (endpointKey) {
    body.NetworkingConfig = { EndpointsConfig: { [endpointKey]: endpointConfig(given[0]?.[1], tpName, links) } };
  }
  return { body, network: studentNetwork };
}
