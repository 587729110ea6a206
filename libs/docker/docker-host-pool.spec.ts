import { describe, expect, it } from 'vitest';
import { DockerHostPool, type TenantDockerFactory } from './docker-host-pool';
import { toLayerError } from './docker-errors';
import { DockerLayerError, type TenantDocker } from './tenant-docker';

const limits = { memoryMb: 256, cpus: 0.5, pids: 256, maxContainers: 8 };

/** A strict fake: any call on it fails the test. */
function strictHost(hostId: string): TenantDocker {
  return new Proxy({ hostId } as TenantDocker, {
    get(target, prop) {
      if (prop in target || prop === 'then') return Reflect.get(target, prop);
      throw new Error(`unexpected call ${String(prop)} on host ${hostId}`);
    },
  });
}

describe('DockerHostPool', () => {
  const built: { id: string; endpoint: string }[] = [];
  const factory: TenantDockerFactory = (host, l) => {
    expect(l).toBe(limits);
    built.push(host);
    return strictHost(host.id);
  };
  const sut = new DockerHostPool(
    [
      { id: 'a', endpoint: 'unix:///var/run/docker.sock' },
      { id: 'b', endpoint: 'tcp://10.0.0.2:2375' },
    ],
    limits,
    factory,
  );

  it('builds one TenantDocker per configured host', () => {
    expect(built.map((h) => h.id)).toEqual(['a', 'b']);
    expect(sut.ids()).toEqual(['a', 'b']);
    expect(sut.all().map((h) => h.hostId)).toEqual(['a', 'b']);
    expect(sut.get('b').hostId).toBe('b');
  });

  it('answers not-found for a host it does not know', () => {
    const err = (() => {
      try {
        sut.get('c');
      } catch (e) {
        return e as DockerLayerError;
      }
    })();
    expect(err).toBeInstanceOf(DockerLayerError);
    expect(err?.kind).toBe('not-found');
  });

  it('refuses the same host id twice', () => {
    expect(() => new DockerHostPool([{ id: 'a', endpoint: 'x' }, { id: 'a', endpoint: 'y' }], limits, factory)).toThrow(/twice/);
  });
});

describe('toLayerError', () => {
  it('says which host does not answer', () => {
    const err = toLayerError('h1', 'ping', Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), { code: 'ECONNREFUSED' }));
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(/^Docker host h1 does not answer: connect ECONNREFUSED/);
  });

  it('keeps the engine message and maps 404 and 409', () => {
    const engineError = (statusCode: number) => Object.assign(new Error('(HTTP code)'), { statusCode, json: { message: 'No such container: x' } });
    expect(toLayerError('h1', 'inspect x', engineError(404))).toMatchObject({ kind: 'not-found', message: 'inspect x: No such container: x' });
    expect(toLayerError('h1', 'remove x', engineError(409)).kind).toBe('conflict');
    expect(toLayerError('h1', 'remove x', engineError(500)).kind).toBe('engine');
  });
});
