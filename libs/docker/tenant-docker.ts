/**
 * The tenant Docker layer: everything NetLabs does on a Docker engine, in our words,
 * scoped to one lab. The dockerode implementation (dockerode-tenant-docker.ts) is the
 * only code that talks to an engine; no dockerode type leaks out of this folder.
 *
 * Names: callers use the TP's names ("mon-serveur", "chat"); the layer stores them on
 * the engine as `<prefix>-<name>` with the lab's labels, and gives containers the TP
 * name as a network alias so they find each other by it inside the lab.
 */

export const LABEL_LAB = 'netlabs.lab';
export const LABEL_CLASS = 'netlabs.class';
/** The TP name of the object ("mon-serveur", "chat"), as the student knows it. */
export const LABEL_NAME = 'netlabs.name';
/** Set on objects that tests create, so a test sweep never touches real labs. */
export const LABEL_TEST = 'netlabs.test';
/**
 * Marks a container NetLabs runs in a lab for itself (value: its role, e.g. "console"):
 * not one of the TP's, so hidden from the student's daemon (libs/gateway), from
 * listContainers and from the lab's container limit.
 */
export const LABEL_ROLE = 'netlabs.role';

/**
 * The lab's console: the TP's "host machine" as the student sees it, a small container on
 * the lab's bridge with the docker CLI wired to the lab's own daemon (the gateway), the
 * TP's chat folder, curl and an editor. Terminals open on it first. In this layer's calls
 * (inspectContainer, exec, openTerminal, removeContainer) it is named CONSOLE; on the engine
 * `<prefix>--console`. A TP name starts with a letter or digit, so no student object can
 * ever be, or be confused with, it.
 */
export const CONSOLE = '-console';

export interface ConsoleSpec {
  image: string;
  /**
   * Host directory holding the gateway's socket, mounted read-only at CONSOLE_GATEWAY_DIR:
   * the only host path any lab container ever sees. The directory, not the socket file, so
   * that a socket the API re-creates at restart is seen by consoles already running.
   */
  gatewayDir: string;
  /** DOCKER_HOST, the lab's credential and what else the entrypoint reads. */
  env: Record<string, string>;
  /** Fixed IPv4 on the lab's bridge (its last host address, so the TP's containers get the first ones as on docker0). */
  ipv4?: string;
  /** Host names that resolve to the console's own loopback (the lab's public host, served there by the console). */
  loopbackHosts?: string[];
}

/** Where the console sees the gateway socket's directory. */
export const CONSOLE_GATEWAY_DIR = '/run/netlabs';

/** Which lab an operation acts for. */
export interface LabScope {
  labId: string;
  classId: string;
  /** Short prefix of every object name, e.g. "nl-3f9a2c". */
  prefix: string;
  /** Extra labels (tests add netlabs.test=<run>). */
  labels?: Record<string, string>;
}

/** The lab's stand-in for the TP's default `bridge` network: containers with no network join it. */
export const DEFAULT_NETWORK = 'bridge';

export interface NetworkSpec {
  /** TP name: "bridge" (the lab's default network) or "chat". */
  name: string;
  subnet: string;
  gateway?: string;
  ipRange?: string;
  /** Linux bridge interface name, 15 characters at most. */
  bridgeName: string;
}

export interface NetworkInfo {
  id: string;
  /** TP name. */
  name: string;
  /** Name on the engine. */
  engineName: string;
  driver: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  bridgeName?: string;
  labels: Record<string, string>;
  /** TP names of the containers attached, with their IPv4 address (no mask). */
  containers: { name: string; ipv4?: string }[];
}

/** A network without its members: what the engine's list call tells of it. */
export type NetworkSettings = Omit<NetworkInfo, 'containers'>;

export interface ContainerSpec {
  /** TP name, e.g. "mon-serveur". */
  name: string;
  image: string;
  /** TP network name (default "bridge"), or `container:<TP name>` to share its namespace. */
  network?: string;
  /** Extra aliases on the network (the TP name is always one). */
  aliases?: string[];
  /** `--link <container>:<alias>` in TP names. */
  links?: { container: string; alias: string }[];
  /** Publish a container port on the host (the host port comes from the lab's allocation). */
  publish?: { containerPort: number; hostPort: number };
  cmd?: string[];
  env?: Record<string, string>;
  /** Keep a shell-like main process alive (docker run -it). */
  tty?: boolean;
  openStdin?: boolean;
  workingDir?: string;
  /** Fixed IPv4 address on the network. */
  ipv4?: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  engineName: string;
  image: string;
  /** "running", "exited", ... */
  state: string;
  running: boolean;
  exitCode?: number;
  oomKilled?: boolean;
  /** "container:<TP name>" when sharing another container's namespace, else the TP network names. */
  networkMode: string;
  networks: { name: string; ipv4?: string; aliases: string[] }[];
  ports: { containerPort: number; hostPort?: number }[];
  labels: Record<string, string>;
  limits: { memoryBytes: number; nanoCpus: number; pidsLimit: number; privileged: boolean };
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  timedOut: boolean;
  /** Set when stdout or stderr went over the layer's cap (1 MB each) and was cut. */
  truncated?: boolean;
}

export interface ExecOptions {
  timeoutMs?: number;
  stdin?: string;
  user?: string;
  env?: Record<string, string>;
  /**
   * Leave what the command started in the background running (`docker exec -d`-like). By
   * default it is killed when the command ends: a check must not leave a fork bomb behind.
   */
  keepBackground?: boolean;
}

/** An interactive shell inside a lab container (a TTY exec), for the terminal broker. */
export interface TerminalStream {
  execId: string;
  write(data: Buffer | string): void;
  onData(listener: (data: Buffer) => void): void;
  onEnd(listener: () => void): void;
  resize(rows: number, cols: number): Promise<void>;
  /** Ends the shell process in the container, not just the stream (portainer#665). */
  kill(): Promise<void>;
  pause(): void;
  resume(): void;
}

/** A Docker object carrying our labels, as listed by the reconciler. */
export interface OwnedObject {
  kind: 'container' | 'network';
  id: string;
  engineName: string;
  labId: string;
  classId?: string;
  running?: boolean;
}

/** What one lab container uses, for the lab guard. */
export interface ContainerUsage {
  id: string;
  labId: string;
  /** TP name. */
  name: string;
  running: boolean;
  /** Size of the container's writable layer (what it wrote), in bytes. */
  sizeRwBytes: number;
  /** Processes in the container and its pids limit, when running and the engine said. */
  pids?: number;
  pidsLimit?: number;
}

export interface RemovedCount {
  containers: number;
  networks: number;
}

/** A Docker object of a lab that the engine refused to remove (teardown then goes on without it). */
export interface LeakedObject {
  kind: 'network';
  id: string;
  engineName: string;
  /** What the engine said, and what it still listed on the network. */
  reason: string;
}

/** What removing one lab did: counts, images (tags and untagged images), and what the engine refused to remove. */
export interface LabRemoval extends RemovedCount {
  labId: string;
  /** Image tags and untagged images of the lab removed. */
  images: number;
  leaked: LeakedObject[];
}

/** Which lab to remove: its id, and its prefix when known (the image tags it made live under it). */
export type LabRef = Pick<LabScope, 'labId'> & { prefix?: string };

/** Failure kinds the rest of NetLabs reacts to; message says what happened in plain words. */
export class DockerLayerError extends Error {
  constructor(
    readonly kind: 'not-found' | 'conflict' | 'image-missing' | 'unreachable' | 'forbidden' | 'limit' | 'engine',
    message: string,
  ) {
    super(message);
  }
}

/**
 * createNetwork: a network that is not this lab's holds the asked subnet (or an
 * overlapping one) or bridge name. The caller should pick other values rather than retry
 * the same ones.
 */
export class AddressClashError extends DockerLayerError {
  constructor(
    message: string,
    readonly subnet: string | undefined,
    readonly bridgeName: string | undefined,
  ) {
    super('conflict', message);
  }
}

/** What an engine reports of its machine (`docker info`: NCPU, MemTotal): placement's capacity. */
export interface EngineResources {
  cpus: number;
  memoryBytes: number;
}

export interface TenantDocker {
  readonly hostId: string;
  ping(): Promise<void>;
  /** The engine's CPUs and memory (`docker info`); bounded by the ping deadline. */
  resources(): Promise<EngineResources>;
  /** Makes sure the image is on the host: pulls it if missing; throws image-missing when it cannot. */
  ensureImage(ref: string): Promise<void>;
  /** Builds an image from a directory with a Dockerfile, unless `tag` exists; shared by all labs of the host. */
  buildImage(tag: string, contextDir: string, buildArgs?: Record<string, string>): Promise<void>;

  /** Creates the network, or returns the lab's existing network of that name (idempotent). */
  createNetwork(scope: LabScope, spec: NetworkSpec): Promise<NetworkInfo>;
  inspectNetwork(scope: LabScope, name: string): Promise<NetworkInfo | null>;
  /**
   * The network without its members (subnet, gateway, bridge name), null when absent or not
   * the lab's. Any engine read goes through all the engine's networks; the reads of this host's
   * labs that come together share one call (inspectNetwork is one call each).
   */
  networkSettings(scope: LabScope, name: string): Promise<NetworkSettings | null>;
  listNetworks(scope: LabScope): Promise<NetworkInfo[]>;
  removeNetwork(scope: LabScope, name: string): Promise<void>;

  /**
   * Makes sure the lab's console runs on the lab's bridge: returns it when it does, else
   * (missing, stopped, on a network that is gone, another image or env) creates it anew.
   * `bridge`: the lab's default network as createNetwork just returned it (saves a lookup).
   */
  runConsole(scope: LabScope, spec: ConsoleSpec, bridge?: NetworkInfo): Promise<ContainerInfo>;
  /** Creates and starts a container with the lab's labels and limits. Throws conflict if the name is taken. */
  runContainer(scope: LabScope, spec: ContainerSpec): Promise<ContainerInfo>;
  /** A container by TP name (or CONSOLE); null when absent or not the lab's. */
  inspectContainer(scope: LabScope, name: string): Promise<ContainerInfo | null>;
  /** The TP's containers of the lab (the console and other NetLabs containers left out). */
  listContainers(scope: LabScope): Promise<ContainerInfo[]>;
  startContainer(scope: LabScope, name: string): Promise<void>;
  stopContainer(scope: LabScope, name: string, timeoutSeconds?: number): Promise<void>;
  /** Removes the container (forced); no error when it does not exist. */
  removeContainer(scope: LabScope, name: string): Promise<void>;
  /** Runs a command in a running container; never hangs past timeoutMs. */
  exec(scope: LabScope, name: string, cmd: string[], options?: ExecOptions): Promise<ExecResult>;
  /** Process list of a container (docker top), one command line per process. */
  top(scope: LabScope, name: string): Promise<string[]>;
  /** A shell in the container; `terminalId` (a uuid) names it so that killTerminal can end it from any process. */
  openTerminal(scope: LabScope, name: string, terminalId: string, size: { rows: number; cols: number }): Promise<TerminalStream>;
  /**
   * Kills the shell opened as `terminalId` and every process it started, without its stream
   * (the process holding the stream may have died). How many processes went; 0 when the
   * container is gone or stopped.
   */
  killTerminal(scope: LabScope, name: string, terminalId: string): Promise<number>;

  /**
   * Removes every container and network labelled with the lab, whatever its name, and the
   * image tags it made. A network the engine keeps refusing to remove (after disconnecting
   * what it lists and retrying) is reported in `leaked`, not thrown.
   */
  removeLab(scope: LabRef): Promise<LabRemoval>;
  /**
   * removeLab for many labs of this host at once (a class's teardown): one listing of each
   * kind for all of them, every container removed in parallel, then every network.
   */
  removeLabs(labs: LabRef[]): Promise<LabRemoval[]>;
  /** Disk and process use of every lab container on the host carrying the extra label (e.g. this deployment's). */
  usage(filterLabel?: { key: string; value: string }): Promise<ContainerUsage[]>;
  /** Stops a container of any lab by engine id (the lab guard acting on an offender); no error when it is gone or stopped. */
  stopContainerById(id: string, timeoutSeconds?: number): Promise<void>;
  /** Every container and network on the host that carries netlabs.lab (optionally filtered by extra label). */
  listOwned(filterLabel?: { key: string; value: string }): Promise<OwnedObject[]>;
}
