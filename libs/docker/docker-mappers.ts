/**
 * Engine JSON (dockerode's inspect/list shapes) into our types. Pure functions: the
 * only place that knows Docker's field names for reads.
 */
import type Docker from 'dockerode';
import { tpName } from './docker-specs';
import { LABEL_CLASS, LABEL_LAB, LABEL_NAME, type ContainerInfo, type NetworkInfo, type NetworkSettings, type OwnedObject } from './tenant-docker';

const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

function withoutMask(address: string | undefined): string | undefined {
  if (!address) return undefined;
  return address.split('/')[0] || undefined;
}

/** The TP name of an object: its netlabs.name label, else its engine name without the lab prefix. */
function nameOf(labels: Record<string, string> | null | undefined, engine: string, prefix?: string): string {
  return labels?.[LABEL_NAME] ?? tpName(prefix, engine);
}

export function toNetworkSettings(net: Docker.NetworkInspectInfo, prefix?: string): NetworkSettings {
  const ipam = net.IPAM?.Config?.[0];
  const labels = net.Labels ?? {};
  return {
    id: net.Id,
    name: nameOf(labels, net.Name, prefix),
    engineName: net.Name,
    driver: net.Driver,
    subnet: ipam?.Subnet || undefined,
    gateway: ipam?.Gateway || undefined,
    ipRange: ipam?.IPRange || undefined,
    bridgeName: net.Options?.[BRIDGE_NAME_OPTION] || undefined,
    labels,
  };
}

export function toNetworkInfo(net: Docker.NetworkInspectInfo, prefix?: string): NetworkInfo {
  const containers = Object.values(net.Containers ?? {})
    .map((c) => ({ name: tpName(prefix, c.Name), ipv4: withoutMask(c.IPv4Address) }))
    // `<prefix>--console` and any other NetLabs container: not a member the TP knows of.
    .filter((c) => !c.name.startsWith('-'))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { ...toNetworkSettings(net, prefix), containers };
}

type PortMap = Record<string, { HostIp?: string; HostPort?: string }[] | null | undefined>;

function portsOf(inspect: Docker.ContainerInspectInfo): ContainerInfo['ports'] {
  // Live bindings while running; the requested ones otherwise (NetworkSettings.Ports is empty once stopped).
  const live = (inspect.NetworkSettings?.Ports ?? {}) as PortMap;
  const requested = (inspect.HostConfig?.PortBindings ?? {}) as PortMap;
  const byPort = new Map<number, number | undefined>();
  for (const map of [requested, live]) {
    for (const [key, bindings] of Object.entries(map)) {
      const [port, proto] = key.split('/');
      if (proto && proto !== 'tcp') continue;
      const hostPort = bindings?.find((b) => b.HostPort)?.HostPort;
      const containerPort = Number(port);
      if (!Number.isInteger(containerPort)) continue;
      byPort.set(containerPort, hostPort ? Number(hostPort) : byPort.get(containerPort));
    }
  }
  return [...byPort.entries()]
    .sort(([a], [b]) => a - b)
    .map(([containerPort, hostPort]) => (hostPort === undefined ? { containerPort } : { containerPort, hostPort }));
}

/**
 * @param sharedWithName TP name of the container whose namespace this one uses
 *   (resolved by the caller from the `container:<id>` network mode).
 */
export function toContainerInfo(
  inspect: Docker.ContainerInspectInfo,
  prefix?: string,
  sharedWithName?: string,
): ContainerInfo {
  const labels = inspect.Config?.Labels ?? {};
  const engine = inspect.Name.replace(/^\//, '');
  const shortId = inspect.Id.slice(0, 12);
  const mode = inspect.HostConfig?.NetworkMode ?? '';
  const networks = Object.entries(inspect.NetworkSettings?.Networks ?? {})
    .map(([netName, ep]) => ({
      name: tpName(prefix, netName),
      ipv4: ep.IPAddress || (ep.IPAMConfig as { IPv4Address?: string } | null)?.IPv4Address || undefined,
      // Docker 20.10 adds the short container id as an alias; nobody asked for it.
      aliases: ((ep.Aliases as string[] | null) ?? []).filter((a) => a !== shortId && a !== inspect.Id),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const networkMode = mode.startsWith('container:')
    ? `container:${sharedWithName ?? mode.slice('container:'.length)}`
    : tpName(prefix, mode);
  const state = inspect.State;
  return {
    id: inspect.Id,
    name: nameOf(labels, engine, prefix),
    engineName: engine,
    image: inspect.Config?.Image ?? inspect.Image,
    state: state?.Status ?? 'unknown',
    running: !!state?.Running,
    ...(state && !state.Running ? { exitCode: state.ExitCode } : {}),
    ...(state?.OOMKilled ? { oomKilled: true } : {}),
    networkMode,
    networks,
    ports: portsOf(inspect),
    labels,
    limits: {
      memoryBytes: inspect.HostConfig?.Memory ?? 0,
      nanoCpus: inspect.HostConfig?.NanoCpus ?? 0,
      pidsLimit: inspect.HostConfig?.PidsLimit ?? 0,
      privileged: !!inspect.HostConfig?.Privileged,
    },
  };
}

/** The id a `container:<id>` network mode points at, if any. */
export function sharedNamespaceId(inspect: Docker.ContainerInspectInfo): string | undefined {
  const mode = inspect.HostConfig?.NetworkMode ?? '';
  return mode.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

export function ownedContainer(c: Docker.ContainerInfo): OwnedObject {
  return {
    kind: 'container',
    id: c.Id,
    engineName: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
    labId: c.Labels?.[LABEL_LAB] ?? '',
    ...(c.Labels?.[LABEL_CLASS] ? { classId: c.Labels[LABEL_CLASS] } : {}),
    running: c.State === 'running',
  };
}

export function ownedNetwork(n: Docker.NetworkInspectInfo): OwnedObject {
  return {
    kind: 'network',
    id: n.Id,
    engineName: n.Name,
    labId: n.Labels?.[LABEL_LAB] ?? '',
    ...(n.Labels?.[LABEL_CLASS] ? { classId: n.Labels[LABEL_CLASS] } : {}),
  };
}

/** The command column of `docker top`, whatever ps_args produced it. */
export function topCommands(top: { Titles?: string[]; Processes?: string[][] }): string[] {
  const titles = top.Titles ?? [];
  let col = titles.findIndex((t) => t === 'CMD' || t === 'COMMAND' || t === 'ARGS');
  if (col < 0) col = titles.length - 1;
  return (top.Processes ?? []).map((row) => row[col] ?? row.join(' '));
}
