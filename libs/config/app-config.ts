import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_CERT_DIR, type EngineAccess, endpointProblem, resolveEngineAccess } from './engine-access';

/** One Docker engine NetLabs may place labs on: `name=endpoint` in DOCKER_HOSTS. */
export interface DockerHostConfig {
  id: string;
  /** unix:///var/run/docker.sock, tcp://host:port or ssh://user@host[:port]: never a credential (it is shown and stored). */
  endpoint: string;
  /** How to reach it, with the credentials read from DOCKER_CERT_DIR at start (engine-access.ts); absent: the bare endpoint. */
  access?: EngineAccess;
}

const dockerHosts = z
  .string()
  .min(1)
  .transform((raw, ctx): DockerHostConfig[] => {
    const hosts = raw.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
      const eq = entry.indexOf('=');
      return eq > 0 ? { id: entry.slice(0, eq), endpoint: entry.slice(eq + 1) } : { id: 'local', endpoint: entry };
    });
    for (const host of hosts) {
      if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(host.id)) {
        ctx.addIssue({ code: 'custom', message: `host name "${host.id}" must be lowercase letters, digits and dashes` });
      }
      const problem = endpointProblem(host.endpoint);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
    if (new Set(hosts.map((h) => h.id)).size !== hosts.length) {
      ctx.addIssue({ code: 'custom', message: 'host names must be unique' });
    }
    return hosts;
  });

/** LAB_LABELS: `key=value,...`. Values stay plain words: they are also written into students' Dockerfiles (images.ts). */
const labels = z
  .string()
  .transform((raw, ctx): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const pair of raw.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [key, value, ...more] = pair.split('=');
      if (!key || value === undefined || more.length || !/^[a-z0-9.-]+$/.test(key) || !/^[A-Za-z0-9._:/@+-]+$/.test(value)) {
        ctx.addIssue({ code: 'custom', message: `"${pair}" is not key=value (key: a-z 0-9 . -; value: letters, digits and . _ : / @ + -)` });
      } else out[key] = value;
    }
    return out;
  });

/**
 * HOST_MAX_LABS: `40` (every host) or `a=40,b=100` (per host id); a bare number among named
 * hosts (`40,b=100`) is the value of the hosts not named. Hosts not named at all get the default.
 */
export interface HostMaxLabs {
  all: number;
  byHost: Record<string, number>;
}
export const DEFAULT_HOST_MAX_LABS = 200;
const hostMaxLabs = z.string().transform((raw, ctx): HostMaxLabs => {
  const out: HostMaxLabs = { all: DEFAULT_HOST_MAX_LABS, byHost: {} };
  for (const entry of raw.split(',').map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const id = eq > 0 ? entry.slice(0, eq) : null;
    const value = eq > 0 ? entry.slice(eq + 1) : entry;
    if (!/^\d{1,6}$/.test(value) || (id !== null && !/^[a-z0-9][a-z0-9-]{0,30}$/.test(id))) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is neither a number of labs (40) nor host=number (a=40)` });
      continue;
    }
    if (id === null) out.all = Number(value);
    else out.byHost[id] = Number(value);
  }
  return out;
});

/** NetLabs' own subnet pool when LAB_SUBNET_POOL is not set (the tests' is 10.98.0.0/15, infra/test.sh). */
export const DEFAULT_LAB_SUBNET_POOL = '10.96.0.0/15';

const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be a CIDR such as 10.96.0.0/14');
/** Express `trust proxy`: a hop count, or names (loopback, linklocal, uniquelocal), addresses and subnets. */
const trustProxy = z
  .string()
  .trim()
  .min(1)
  .transform((raw, ctx): number | string[] => {
    if (/^\d+$/.test(raw)) return Number(raw);
    const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
    for (const entry of entries) {
      const [address, bits, extra] = entry.split('/');
      const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
      const valid = named || (isIP(address) > 0 && extra === undefined && (bits === undefined || /^\d{1,3}$/.test(bits)));
      if (!valid) {
        ctx.addIssue({
          code: 'custom',
          message: `"${entry}" is not loopback, linklocal, uniquelocal, an IP address or a subnet (trusting every address, "true", would let any client choose its address: list your proxy's)`,
        });
      }
    }
    return entries;
  });
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/netlabs'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  /** Prefix of every BullMQ key, so that several deployments (or test runs) can share one Redis. */
  QUEUE_PREFIX: z.string().min(1).default('netlabs'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters'),
  DOCKER_HOSTS: dockerHosts.default('local=unix:///var/run/docker.sock'),
  /**
   * Credentials of the remote engines, one folder per host id: `<id>/ca.pem, cert.pem, key.pem`
   * for a tcp:// host (mutual TLS, Docker's DOCKER_CERT_PATH layout), `<id>/ssh-host-key.pub`
   * (and `<id>/ssh-key` unless SSH_AUTH_SOCK has an agent) for an ssh:// host. Read at start.
   */
  DOCKER_CERT_DIR: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path').default(DEFAULT_CERT_DIR),
  /** Host ids whose tcp:// endpoint may be plain HTTP (no certificate folder): anyone reaching that port is root there. */
  DOCKER_INSECURE_HOSTS: z
    .string()
    .default('')
    .transform((raw) => raw.split(',').map((id) => id.trim()).filter(Boolean)),
  LAB_IMAGE_HTTPD: z.string().min(1).default('httpd:2.4'),
  LAB_IMAGE_UBUNTU: z.string().min(1).default('ubuntu:24.04'),
  /**
   * The lab console (the TP's host machine: docker CLI wired to the lab's daemon, the chat
   * folder), NetLabs' own image built from infra/images/console (infra/images.sh offline).
   */
  LAB_IMAGE_CONSOLE: z.string().min(1).default('netlabs/console:1'),
  /**
   * The TP's `mypython2` image (step 3c), built by the worker on each Docker host from the
   * repository's chat/ folder on LAB_IMAGE_UBUNTU. The tag actually built gets a digest of
   * the recipe appended (`netlabs/mypython2:1-<digest>`), so a changed chat/ is rebuilt.
   */
  LAB_IMAGE_CHAT_TAG: z
    .string()
    .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,100})?$/, 'must be an image name such as netlabs/mypython2:1')
    .default('netlabs/mypython2:1'),
  /** Whether a missing lab image may be pulled from its registry (false on offline machines). */
  LAB_IMAGE_PULL: bool.default('true'),
  /**
   * Subnets of every lab network are carved as /24s out of this pool, per Docker host.
   * 10.96.0.0/15 by default; the tests use 10.98.0.0/15 (infra/test.sh), so a running
   * NetLabs and a test run on one engine never want the same subnet. infra/isolation.sh
   * fences 10.96.0.0/14, both of them.
   */
  LAB_SUBNET_POOL: cidr.default(DEFAULT_LAB_SUBNET_POOL),
  /**
   * `host`: subnets, bridge names and ports are unique per Docker host (hosts are separate
   * machines). `shared`: unique across all hosts, for several engines on one kernel.
   */
  ALLOCATION_SCOPE: z.enum(['host', 'shared']).default('host'),
  /** Host ports published by labs (httpd in step 2a), per Docker host. */
  LAB_PORT_MIN: z.coerce.number().int().min(1024).max(65535).default(20000),
  LAB_PORT_MAX: z.coerce.number().int().min(1024).max(65535).default(29999),
  /** Address students use to reach published ports (the Docker host as seen from outside). */
  LAB_PUBLIC_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Host address published lab ports bind to. Default: LAB_PUBLIC_HOST when it is an IP
   * address (127.0.0.1 out of the box: nothing published is reachable from other
   * machines until you say so), 127.0.0.1 for `localhost`, and every IPv4 address
   * (0.0.0.0) only for a LAB_PUBLIC_HOST that is a DNS name (set this then).
   */
  LAB_PUBLISH_ADDRESS: z.string().refine((v) => isIP(v) !== 0, 'must be an IP address such as 192.0.2.10 or 0.0.0.0').optional(),
  /**
   * Where students open NetLabs in their browser (scheme, host, port), used to build the
   * student links POST /classes returns. Default: http://<LAB_PUBLIC_HOST>:<PORT>. An origin
   * only: the student page finds its lab in the path /labs/<id>/page, so no path prefix.
   */
  PUBLIC_URL: z
    .string()
    .url()
    .regex(/^https?:\/\/[^/?#]+\/?$/, 'must be an http(s) origin such as https://labs.example.org (no path, query or fragment)')
    .optional(),
  /**
   * Names this NetLabs deployment on shared engines: its objects carry
   * netlabs.deployment=<id>, and its reconciler only ever removes objects with that label.
   */
  DEPLOYMENT_ID: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lowercase letters, digits, dots, dashes').default('netlabs'),
  /** Extra labels on every lab object, `key=value,...` (tests mark what they create). */
  LAB_LABELS: labels.default(''),
  LAB_MEMORY_MB: z.coerce.number().int().min(16).default(256),
  LAB_CPUS: z.coerce.number().min(0.05).default(0.5),
  LAB_PIDS: z.coerce.number().int().min(16).default(256),
  LAB_MAX_CONTAINERS: z.coerce.number().int().min(1).default(8),
  /**
   * Writable-layer size of a lab container, in MB: a hard limit where the storage driver
   * enforces one (overlay2 on xfs with pquota), else the lab guard stops a container past it.
   */
  LAB_DISK_MB: z.coerce.number().int().min(16).default(1024),
  /** json-file log kept per lab container, in MB (two rotated files). */
  LAB_LOG_MB: z.coerce.number().int().min(1).default(4),
  /** A lab whose container stays at its pids limit this long is flagged (logged, recorded on the lab). */
  LAB_PIDS_FLAG_AFTER_MS: z.coerce.number().int().min(0).default(120_000),
  /** Whether lab containers may reach the internet (the TP's `apt-get install` needs a mirror). */
  LAB_OUTBOUND: bool.default('true'),
  /** How long the API waits for a run/verify job before answering 202. */
  STEP_WAIT_MS: z.coerce.number().int().min(0).default(20000),
  /**
   * Whether the API verifies itself the steps whose checks only read the engine (inspect,
   * list), instead of a trip through the worker; false sends every verify to the worker.
   */
  VERIFY_READS_IN_API: bool.default('true'),
  PROVISION_CONCURRENCY: z.coerce.number().int().min(1).default(8),
  STEP_CONCURRENCY: z.coerce.number().int().min(1).default(20),
  /**
   * Run/verify jobs one lab may have queued or running at once; more are refused with 429.
   * Keeps one student's slow or hanging checks from taking every step worker.
   */
  STEP_JOBS_PER_LAB: z.coerce.number().int().min(1).max(20).default(2),
  /** BullMQ lock: a job whose worker died is picked up again after about this long. */
  JOB_LOCK_MS: z.coerce.number().int().min(1000).default(30000),
  RATE_LIMIT_STUDENT: z.coerce.number().int().min(1).default(300),
  RATE_LIMIT_ADMIN: z.coerce.number().int().min(1).default(6000),
  /**
   * Requests without a valid token (none, wrong, revoked) allowed per client address and
   * minute; past it the address is refused (429) before any token lookup.
   */
  RATE_LIMIT_ANON: z.coerce.number().int().min(1).default(60),
  REAP_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** A lab provisioning or destroying for longer than this without change gets its job queued again. */
  STUCK_AFTER_MS: z.coerce.number().int().min(1000).default(120_000),
  /** A Docker host silent for this long has its labs reported host-lost (shorter outages are waited out). */
  HOST_LOST_AFTER_MS: z.coerce.number().int().min(0).default(60_000),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1000).default(60_000),
  TERMINAL_IDLE_MS: z.coerce.number().int().min(1000).default(15 * 60_000),
  TERMINAL_GRACE_MS: z.coerce.number().int().min(0).default(60_000),
  TERMINAL_MAX_PER_LAB: z.coerce.number().int().min(1).default(6),
  /** A terminal url not opened within this long stops working (and its session is dropped). */
  TERMINAL_TICKET_TTL_MS: z.coerce.number().int().min(1000).default(60_000),
  /** A terminal client that reads none of its output for this long is cut (its shell stays for the grace period). */
  TERMINAL_STUCK_MS: z.coerce.number().int().min(1000).default(30_000),
  /**
   * Terminal sessions are shared by every API process through Redis; the process holding a
   * shell renews its sessions' lease this often x3. A process that died stops renewing: its
   * sessions stop counting against TERMINAL_MAX_PER_LAB after this long.
   */
  TERMINAL_LEASE_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /**
   * Express `trust proxy` (README.md, "Several API processes"): unset trusts no proxy (the
   * client address is the socket's); `loopback`, a list of addresses or subnets, or a number
   * of hops. `true` (trust anyone) is refused: any client could then choose its address.
   */
  TRUST_PROXY: trustProxy.optional(),
  /**
   * The lab daemon (libs/gateway): the unix socket the API serves it on, bind-mounted into
   * every lab's console. It must be on the machine of the Docker hosts' engines.
   */
  GATEWAY_SOCKET: z.string().regex(/^\/[^\0]*$/, 'must be an absolute path').default('/run/netlabs/gateway.sock'),
  /** Secret lab credentials are derived from (default: derived from ADMIN_TOKEN). */
  GATEWAY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Images a lab may own (docker build, commit, tag). */
  LAB_MAX_IMAGES: z.coerce.number().int().min(0).default(5),
  /** The worker's Prometheus endpoint (GET /metrics, admin token); unset: the worker serves none. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The address the worker's metrics listen on: loopback unless a Prometheus on another machine scrapes it. */
  WORKER_METRICS_HOST: z.string().refine((v) => isIP(v) !== 0, 'must be an IP address such as 127.0.0.1 or 0.0.0.0').default('127.0.0.1'),
  /** Minutes the admin cookie of the queue board (/admin/queues) lasts. */
  ADMIN_SESSION_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(30),
  /**
   * Placement by capacity (README.md, "Capacity and placement"). A host takes at most the
   * smallest of: HOST_MAX_LABS, (its memory - HOST_MEMORY_RESERVE_MB) / LAB_MEMORY_ESTIMATE_MB,
   * its CPUs x LABS_PER_CPU, and what the subnet pool can give (2 subnets and 1 port a lab).
   */
  HOST_MAX_LABS: hostMaxLabs.default(String(DEFAULT_HOST_MAX_LABS)),
  /** Memory one lab uses on its host in practice (not its limit, LAB_MEMORY_MB per container). */
  LAB_MEMORY_ESTIMATE_MB: z.coerce.number().int().min(16).default(128),
  /** Memory of each host kept for the engine, the system and NetLabs' own processes. */
  HOST_MEMORY_RESERVE_MB: z.coerce.number().int().min(0).default(2048),
  /** Labs per CPU the engine reports: labs are idle most of the time (students read and type). */
  LABS_PER_CPU: z.coerce.number().min(0.1).default(64),
  /**
   * Provision, reset and teardown jobs running at once on one host, over every worker (Redis):
   * a job for a host at its limit waits in the queue (delayed), not in a worker slot.
   */
  HOST_PROVISION_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  /** Retry-After (seconds) of the 503 a class gets when its labs cannot all be placed. */
  PLACEMENT_RETRY_AFTER_S: z.coerce.number().int().min(1).max(3600).default(60),
  /**
   * Warm labs (README.md, "Warm labs"): labs kept provisioned ahead on each Docker host, claimed by
   * students as they arrive. 0 (default): no pool, every lab is provisioned for its student.
   */
  WARM_LABS_PER_HOST: z.coerce.number().int().min(0).max(500).default(0),
  /** How often the worker tops the warm pools up (and trims them when WARM_LABS_PER_HOST was lowered). */
  WARM_REFILL_INTERVAL_MS: z.coerce.number().int().min(500).default(5000),
  /** A class created with a future `startsAt` has its labs provisioned this long before it. */
  WARM_AHEAD_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  /** Encrypts the LTI tool's private keys in the database (default: derived from ADMIN_TOKEN). */
  LTI_KEY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Tries of one grade post to an LMS (exponential backoff from LTI_GRADE_BACKOFF_MS) before it is recorded failed. */
  LTI_GRADE_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  LTI_GRADE_BACKOFF_MS: z.coerce.number().int().min(10).default(2000),
});

/** LAB_PUBLISH_ADDRESS is always set once loaded (derived from LAB_PUBLIC_HOST when absent). */
export type AppConfig = z.infer<typeof schema> & { LAB_PUBLISH_ADDRESS: string };

/** Thrown when the environment is not a valid configuration; its message names every bad variable. */
export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  if (parsed.data.LAB_PORT_MIN > parsed.data.LAB_PORT_MAX) {
    throw new ConfigError('Invalid configuration:\n  LAB_PORT_MIN: must not exceed LAB_PORT_MAX');
  }
  const engines = resolveEngineAccess(parsed.data.DOCKER_HOSTS, parsed.data.DOCKER_CERT_DIR, parsed.data.DOCKER_INSECURE_HOSTS);
  if (engines.problems.length) {
    throw new ConfigError(`Invalid configuration:\n${engines.problems.map((p) => `  ${p}`).join('\n')}`);
  }
  for (const host of parsed.data.DOCKER_HOSTS) host.access = engines.access.get(host.id);
  return { ...parsed.data, LAB_PUBLISH_ADDRESS: parsed.data.LAB_PUBLISH_ADDRESS ?? publishAddressFor(parsed.data.LAB_PUBLIC_HOST) };
}

/** LAB_PUBLISH_ADDRESS when not set: the public host's own address when it is one (see the schema). */
export function publishAddressFor(publicHost: string): string {
  const bare = publicHost.replace(/^\[|\]$/g, '');
  if (isIP(bare)) return bare;
  return bare === 'localhost' ? '127.0.0.1' : '0.0.0.0';
}

/** The base URL of the student pages, without a trailing slash (PUBLIC_URL or its default). */
export function publicBaseUrl(config: Pick<AppConfig, 'PUBLIC_URL' | 'LAB_PUBLIC_HOST' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://${urlHost(config.LAB_PUBLIC_HOST)}:${config.PORT}`).replace(/\/+$/, '');
}

/** A host as it goes into a URL: an IPv6 address in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Nest injection token for AppConfig. */
export const APP_CONFIG = Symbol('APP_CONFIG');
