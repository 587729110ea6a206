/**
 * What every lab container gets on top of its spec, whoever asks for it (a step's solution,
 * a student's `docker run` through the gateway, the console): one place, so a new kind of
 * lab container cannot forget part of the fence. Pure: no I/O, unit-tested in
 * lab-hardening.spec.ts.
 */
import type Docker from 'dockerode';

/**
 * Capabilities a lab container keeps; Docker's other defaults are dropped. What the TP
 * needs: Apache binding :80 and switching to its user (NET_BIND_SERVICE, SETUID, SETGID),
 * apt-get/dpkg installing net-tools and curl (CHOWN, DAC_OVERRIDE, FOWNER, FSETID, and
 * SETUID/SETGID for apt's `_apt` sandbox), a student's `kill` (KILL).
 * Dropped: NET_RAW (raw and AF_PACKET sockets: hand-built frames reached the host over
 * IPv6 link-local, see infra/isolation.sh), MKNOD, AUDIT_WRITE, SETFCAP, SETPCAP, SYS_CHROOT.
 * `ping` keeps working without NET_RAW through ICMP datagram sockets (sysctl below).
 */
export const LAB_CAPABILITIES = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'NET_BIND_SERVICE'];

/** Every group may open ICMP datagram sockets: `ping` without NET_RAW (the engine's own default since 20.10, set here for older or other engines). */
export const PING_SYSCTLS = { 'net.ipv4.ping_group_range': '0 2147483647' };

/** Host-wide choices for lab containers, from the configuration (LAB_LOG_MB, LAB_DISK_MB, LAB_PUBLISH_ADDRESS). */
export interface HardeningPolicy {
  /** Total json-file log kept per container, in MB, split over two files (rotated by the engine). */
  logMb?: number;
  /** Writable-layer limit in MB; only sent when the host's storage driver enforces it (diskQuota). */
  diskMb?: number;
  /** Host address published ports bind to (never every address unless configured so). */
  publishAddress?: string;
}

export const DEFAULT_LOG_MB = 4;
const LOG_FILES = 2;

/** The json-file rotation: `LOG_FILES` files of logMb / LOG_FILES each (at least 1 MB in all). */
export function logConfig(logMb = DEFAULT_LOG_MB): Docker.HostConfig['LogConfig'] {
  const perFileKb = Math.max(64, Math.floor((logMb * 1024) / LOG_FILES));
  return { Type: 'json-file', Config: { 'max-size': `${perFileKb}k`, 'max-file': String(LOG_FILES) } };
}

export interface HardeningContext {
  /** The container joins another one's network namespace (`--net container:x`): net sysctls are the owner's. */
  sharesNamespace: boolean;
  /** The host's storage driver enforces a per-container size (overlay2 on xfs with pquota). */
  diskQuota: boolean;
}

/** HostConfig fields every lab container gets; merged over the spec-derived ones by containerCreateOptions. */
export function labContainerHardening(policy: HardeningPolicy, context: HardeningContext): Partial<Docker.HostConfig> {
  return {
    Privileged: false,
    SecurityOpt: ['no-new-privileges'],
    CapDrop: ['ALL'],
    CapAdd: [...LAB_CAPABILITIES],
    // Docker refuses network sysctls on a container sharing another's namespace.
    ...(context.sharesNamespace ? {} : { Sysctls: { ...PING_SYSCTLS } }),
    LogConfig: logConfig(policy.logMb),
    ...(context.diskQuota && policy.diskMb ? { StorageOpt: { size: `${policy.diskMb}M` } } : {}),
    Binds: [],
    Mounts: [],
  };
}

/** The address published ports bind to: the configured one, else every IPv4 address. */
export function publishHostIp(policy: HardeningPolicy): string {
  return policy.publishAddress ?? '0.0.0.0';
}
