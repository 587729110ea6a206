import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './app-config';
import { EngineSecrets, endpointProblem, redactEndpoint, resolveEngineAccess } from './engine-access';

const KEY = '-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n';
const HOST_KEY = `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.alloc(32, 9)]).toString('base64')} root@c`;

/** A fake file system: folders and files by path (a folder read fails with EISDIR, as fs does). */
function reader(files: Record<string, string>, folders: string[]) {
  return (file: string): Buffer => {
    if (folders.includes(file)) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (file in files) return Buffer.from(files[file]);
    throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
  };
}
const tlsFolder = (id: string) => ({ [`/certs/${id}/ca.pem`]: 'CA', [`/certs/${id}/cert.pem`]: 'CERT', [`/certs/${id}/key.pem`]: KEY });

describe('resolveEngineAccess', () => {
  it('uses mutual TLS for a tcp host with a certificate folder', () => {
    const { access, problems } = resolveEngineAccess([{ id: 'c', endpoint: 'tcp://10.0.0.5:2376' }], '/certs', [], reader(tlsFolder('c'), ['/certs/c']));
    expect(problems).toEqual([]);
    const c = access.get('c');
    expect(c).toMatchObject({ kind: 'tcp', host: '10.0.0.5', port: 2376 });
    expect(c?.kind === 'tcp' && c.tls?.file('key.pem')?.toString()).toBe(KEY);
  });

  it('refuses a plain tcp host not listed as insecure, saying why and how to fix it', () => {
    const { problems } = resolveEngineAccess([{ id: 'c', endpoint: 'tcp://10.0.0.5:2375' }], '/certs', [], reader({}, []));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/host "c" \(tcp:\/\/10\.0\.0\.5:2375\)/);
    expect(problems[0]).toMatch(/root on its machine/);
    expect(problems[0]).toMatch(/\/certs\/c\//);
    expect(problems[0]).toMatch(/DOCKER_INSECURE_HOSTS=c/);
  });

  it('accepts plain HTTP for a host listed in DOCKER_INSECURE_HOSTS, and refuses a listed id that is no host', () => {
    const hosts = [{ id: 'b', endpoint: 'tcp://10.0.0.6:2375' }];
    expect(resolveEngineAccess(hosts, '/certs', ['b'], reader({}, [])).access.get('b')).toEqual({ kind: 'tcp', host: '10.0.0.6', port: 2375, tls: null });
    expect(resolveEngineAccess(hosts, '/certs', ['b', 'x'], reader({}, [])).problems).toEqual(['DOCKER_INSECURE_HOSTS: "x" is not a host of DOCKER_HOSTS']);
  });

  it('names a missing or unreadable certificate file, never its content', () => {
    const files = tlsFolder('c');
    delete files['/certs/c/cert.pem'];
    const read = (file: string) => {
      if (file === '/certs/c/key.pem') throw Object.assign(new Error(`EACCES ${KEY}`), { code: 'EACCES' });
      return reader(files, ['/certs/c'])(file);
    };
    const { problems, access } = resolveEngineAccess([{ id: 'c', endpoint: 'tcp://h:2376' }], '/certs', [], read);
    expect(access.has('c')).toBe(false);
    expect(problems).toEqual(['DOCKER_CERT_DIR: host "c": cannot read /certs/c/cert.pem (ENOENT)', 'DOCKER_CERT_DIR: host "c": cannot read /certs/c/key.pem (EACCES)']);
  });

  it('an ssh host needs the pinned host key and a key (or an agent)', () => {
    const hosts = [{ id: 's', endpoint: 'ssh://netlabs@engine-s.example.org:2222' }];
    const files = { '/certs/s/ssh-host-key.pub': HOST_KEY, '/certs/s/ssh-key': KEY };
    expect(resolveEngineAccess(hosts, '/certs', [], reader(files, ['/certs/s'])).access.get('s')).toMatchObject({ kind: 'ssh', host: 'engine-s.example.org', port: 2222, username: 'netlabs' });
    expect(resolveEngineAccess(hosts, '/certs', [], reader({ '/certs/s/ssh-key': KEY }, ['/certs/s'])).problems[0]).toMatch(/cannot read \/certs\/s\/ssh-host-key\.pub/);
    expect(resolveEngineAccess(hosts, '/certs', [], reader({ ...files, '/certs/s/ssh-host-key.pub': 'nonsense' }, ['/certs/s'])).problems[0]).toMatch(/not an SSH public key/);
    const agent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      expect(resolveEngineAccess(hosts, '/certs', [], reader({ '/certs/s/ssh-host-key.pub': HOST_KEY }, ['/certs/s'])).problems[0]).toMatch(/needs an SSH key: \/certs\/s\/ssh-key, or an agent/);
    } finally {
      if (agent !== undefined) process.env.SSH_AUTH_SOCK = agent;
    }
  });
});

describe('endpoints', () => {
  it.each(['unix:///var/run/docker.sock', 'tcp://10.0.0.5:2376', 'tcp://engine-c.example.org:2376', 'tcp://[fd00::5]:2376', 'ssh://netlabs@10.0.0.7', 'ssh://netlabs@c.example.org:2222'])('accepts %s', (endpoint) => {
    expect(endpointProblem(endpoint)).toBeNull();
  });

  it.each([
    ['tcp://user:secret@10.0.0.5:2376', /must be tcp:\/\/host:port/],
    ['ssh://netlabs:hunter2@10.0.0.7', /carries a password/],
    ['ssh://10.0.0.7', /ssh:\/\/user@host/],
    ['http://10.0.0.5:2375', /unix:\/\/\/path, tcp:\/\/host:port or ssh:\/\//],
    ['tcp://10.0.0.5:99999', /no valid port/],
  ])('refuses %s without repeating a password', (endpoint, message) => {
    const problem = endpointProblem(endpoint);
    expect(problem).toMatch(message);
    expect(problem).not.toMatch(/secret|hunter2/);
  });

  it('redacts a password from an endpoint', () => {
    expect(redactEndpoint('ssh://u:pw@h')).toBe('ssh://u:***@h');
  });
});

describe('EngineSecrets', () => {
  it('never shows its content in JSON, strings or inspect', () => {
    const secrets = new EngineSecrets({ 'key.pem': Buffer.from(KEY) });
    const holder = { access: { kind: 'tcp', tls: secrets } };
    for (const shown of [JSON.stringify(holder), String(secrets), inspect(holder, { depth: 10, showHidden: true }), `${secrets}`]) {
      expect(shown).not.toMatch(/SECRETKEYMATERIAL|PRIVATE KEY/);
    }
    expect(secrets.file('key.pem')?.toString()).toBe(KEY);
  });
});

describe('loadConfig and remote engines', () => {
  const base = { ADMIN_TOKEN: 'x'.repeat(16), DOCKER_CERT_DIR: '/nonexistent-netlabs-certs' };

  it('stops start-up on a plain tcp host, naming the variable, the host and the fix', () => {
    const load = () => loadConfig({ ...base, DOCKER_HOSTS: 'local=unix:///var/run/docker.sock,c=tcp://10.0.0.5:2375' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/DOCKER_HOSTS: host "c" \(tcp:\/\/10\.0\.0\.5:2375\) would be plain HTTP.*DOCKER_INSECURE_HOSTS=c/);
  });

  it('starts with the host listed in DOCKER_INSECURE_HOSTS, and gives every host its access', () => {
    const config = loadConfig({ ...base, DOCKER_HOSTS: 'local=unix:///var/run/docker.sock,c=tcp://10.0.0.5:2375', DOCKER_INSECURE_HOSTS: 'c' });
    expect(config.DOCKER_HOSTS.map((h) => h.access)).toEqual([
      { kind: 'unix', socketPath: '/var/run/docker.sock' },
      { kind: 'tcp', host: '10.0.0.5', port: 2375, tls: null },
    ]);
  });

  it('defaults DOCKER_CERT_DIR to /etc/netlabs/docker-certs', () => {
    expect(loadConfig({ ADMIN_TOKEN: 'x'.repeat(16) }).DOCKER_CERT_DIR).toBe('/etc/netlabs/docker-certs');
  });
});
