/**
 * How NetLabs reaches each Docker engine of DOCKER_HOSTS, and with which credentials:
 *
 *  - `unix:///path`: the local socket, nothing to add.
 *  - `tcp://host:port`: mutual TLS with `<DOCKER_CERT_DIR>/<id>/{ca,cert,key}.pem` (Docker's own
 *    DOCKER_CERT_PATH layout, one folder per host id); plain HTTP only for a host listed in
 *    DOCKER_INSECURE_HOSTS, since anyone who can reach a plain port is root on that machine.
 *  - `ssh://user@host[:port]`: `docker system dial-stdio` over SSH (docker-modem), with the key
 *    `<DOCKER_CERT_DIR>/<id>/ssh-key` (or the agent of SSH_AUTH_SOCK), and the engine machine's
 *    host key pinned in `<DOCKER_CERT_DIR>/<id>/ssh-host-key.pub`.
 *
 * The files are read once, at start (a rotation is new files and a restart). Their contents
 * live only in EngineSecrets, which never serialises nor prints them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';

export const DEFAULT_CERT_DIR = '/etc/netlabs/docker-certs';
export const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;
export const SSH_KEY_FILE = 'ssh-key';
export const SSH_HOST_KEY_FILE = 'ssh-host-key.pub';

/** Key material of one engine: readable by the code that connects, invisible to logs, JSON and inspect. */
export class EngineSecrets {
  readonly #files: Readonly<Record<string, Buffer>>;

  constructor(files: Record<string, Buffer>) {
    this.#files = Object.freeze({ ...files });
  }

  file(name: string): Buffer | undefined {
    return this.#files[name];
  }

  toJSON(): string {
    return '[engine credentials]';
  }

  toString(): string {
    return '[engine credentials]';
  }

  [inspect.custom](): string {
    return '[engine credentials]';
  }
}

export type EngineAccess =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls: EngineSecrets | null }
  | { kind: 'ssh'; host: string; port: number; username: string; secrets: EngineSecrets };

export type FileReader = (file: string) => Buffer;

const TCP = /^tcp:\/\/([a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\]):(\d{1,5})\/?$/;
const SSH = /^ssh:\/\/([a-z_][a-z0-9_.-]{0,31})@([a-zA-Z0-9.-]+|\[[0-9a-fA-F:.]+\])(?::(\d{1,5}))?\/?$/;

/** Why an endpoint is not one NetLabs can use, or null (syntax only: no file is read). */
export function endpointProblem(endpoint: string): string | null {
  if (/^unix:\/\/\/.+/.test(endpoint)) return null;
  if (endpoint.startsWith('ssh://')) {
    if (/^ssh:\/\/[^@/]*:[^@/]*@/.test(endpoint)) {
      return `endpoint "${redactEndpoint(endpoint)}" carries a password: put an SSH key in the host's certificate folder instead (the endpoint is shown on /health and kept in the database)`;
    }
    return SSH.test(endpoint) ? portProblem(endpoint, Number(SSH.exec(endpoint)?.[3] ?? 22)) : `endpoint "${redactEndpoint(endpoint)}" must be ssh://user@host or ssh://user@host:port`;
  }
  if (endpoint.startsWith('tcp://')) {
    return TCP.test(endpoint) ? portProblem(endpoint, Number(TCP.exec(endpoint)?.[2])) : `endpoint "${redactEndpoint(endpoint)}" must be tcp://host:port`;
  }
  return `endpoint "${redactEndpoint(endpoint)}" must be unix:///path, tcp://host:port or ssh://user@host[:port]`;
}

function portProblem(endpoint: string, port: number): string | null {
  return port >= 1 && port <= 65535 ? null : `endpoint "${endpoint}" has no valid port`;
}

/** An endpoint as it may be printed: any `user:password@` reduced to `user:***@`. */
export function redactEndpoint(endpoint: string): string {
  return endpoint.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

/**
 * The access of every host, reading its credential files; a list of problems (one line each,
 * naming the host, the file and the fix) instead when any host cannot be reached safely.
 */
export function resolveEngineAccess(
  hosts: { id: string; endpoint: string }[],
  certDir: string,
  insecureHosts: string[],
  read: FileReader = readFileSync,
): { access: Map<string, EngineAccess>; problems: string[] } {
  const access = new Map<string, EngineAccess>();
  const problems: string[] = [];
  const ids = new Set(hosts.map((h) => h.id));
  for (const id of insecureHosts) {
    if (!ids.has(id)) problems.push(`DOCKER_INSECURE_HOSTS: "${id}" is not a host of DOCKER_HOSTS`);
  }
  for (const host of hosts) {
    const folder = path.join(certDir, host.id);
    const readAll = (names: readonly string[], optional: string[] = []): EngineSecrets | null => {
      const files: Record<string, Buffer> = {};
      let failed = false;
      for (const name of names) {
        try {
          files[name] = read(path.join(folder, name));
        } catch (err) {
          if (optional.includes(name) && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          failed = true;
          problems.push(`DOCKER_CERT_DIR: host "${host.id}": cannot read ${path.join(folder, name)} (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`);
        }
      }
      return failed ? null : new EngineSecrets(files);
    };
    const endpoint = host.endpoint;
    if (endpoint.startsWith('unix://')) {
      access.set(host.id, { kind: 'unix', socketPath: endpoint.slice('unix://'.length) });
      continue;
    }
    const tcp = TCP.exec(endpoint);
    if (tcp) {
      const hostName = tcp[1].replace(/^\[|\]$/g, '');
      const port = Number(tcp[2]);
      if (!folderExists(read, folder)) {
        if (insecureHosts.includes(host.id)) {
          access.set(host.id, { kind: 'tcp', host: hostName, port, tls: null });
        } else {
          problems.push(
            `DOCKER_HOSTS: host "${host.id}" (${endpoint}) would be plain HTTP, and anyone who can reach that port is root on its machine. ` +
              `Put its TLS client files in ${folder}/ (ca.pem, cert.pem, key.pem: see infra/engine-certs.sh) and run its engine with --tlsverify, ` +
              `or accept plain HTTP knowingly with DOCKER_INSECURE_HOSTS=${host.id}`,
          );
        }
        continue;
      }
      const tls = readAll(TLS_FILES);
      if (tls) access.set(host.id, { kind: 'tcp', host: hostName, port, tls });
      continue;
    }
    const ssh = SSH.exec(endpoint);
    if (ssh) {
      const secrets = readAll([SSH_HOST_KEY_FILE, SSH_KEY_FILE], [SSH_KEY_FILE]);
      if (secrets && !secrets.file(SSH_KEY_FILE) && !process.env.SSH_AUTH_SOCK) {
        problems.push(`DOCKER_HOSTS: host "${host.id}" (${endpoint}) needs an SSH key: ${path.join(folder, SSH_KEY_FILE)}, or an agent in SSH_AUTH_SOCK`);
      } else if (secrets && !hostKeyBlob(secrets.file(SSH_HOST_KEY_FILE))) {
        problems.push(`DOCKER_CERT_DIR: host "${host.id}": ${path.join(folder, SSH_HOST_KEY_FILE)} is not an SSH public key line (copy /etc/ssh/ssh_host_ed25519_key.pub of that machine)`);
      } else if (secrets) {
        access.set(host.id, { kind: 'ssh', host: ssh[2].replace(/^\[|\]$/g, ''), port: Number(ssh[3] ?? 22), username: ssh[1], secrets });
      }
      continue;
    }
    problems.push(`DOCKER_HOSTS: ${endpointProblem(endpoint) ?? `endpoint of host "${host.id}" is not usable`}`);
  }
  return { access, problems };
}

/** Whether the host's folder exists: a missing folder means "no TLS", a missing file in it is a mistake. */
function folderExists(read: FileReader, folder: string): boolean {
  try {
    read(folder);
    return true;
  } catch (err) {
    // Reading a folder fails with EISDIR: it is there. Any refusal but "no such folder" is
    // reported by the file reads that follow, rather than taken for "no TLS".
    const code = (err as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** The raw host key of an OpenSSH public key line (`ssh-ed25519 AAAA... comment`), or null. */
export function hostKeyBlob(line: Buffer | undefined): Buffer | null {
  const fields = line?.toString('utf8').trim().split(/\s+/) ?? [];
  const keyField = fields.find((f, i) => i > 0 && /^AAAA[0-9A-Za-z+/=]+$/.test(f));
  if (!keyField) return null;
  const blob = Buffer.from(keyField, 'base64');
  return blob.length > 16 ? blob : null;
}
