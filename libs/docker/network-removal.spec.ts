import { describe, expect, it } from 'vitest';
import { type NetworkEndpoint, type RefusableNetwork, type RemovalPolicy, removeRefusableNetwork } from './network-removal';

class Refusal extends Error {
  constructor(readonly kind: 'gone' | 'in-use' | 'other') {
    super(kind === 'in-use' ? 'error while removing network: network nl-1-bridge id 1234 has active endpoints' : `engine said ${kind}`);
  }
}

/**
 * A network that refuses its first `refusals` removals. `endpoints` is what the engine
 * lists; each disconnect takes the endpoint off the list unless it is `stuck`.
 */
function fakeNetwork(opts: { refusals: number | 'always'; endpoints?: NetworkEndpoint[]; stuck?: string[]; failWith?: Refusal['kind'] }) {
  const calls: string[] = [];
  let listed = [...(opts.endpoints ?? [])];
  let refused = 0;
  const sut: RefusableNetwork = {
    remove: async () => {
      calls.push('remove');
      if (opts.failWith) throw new Refusal(opts.failWith);
      if (opts.refusals === 'always' || refused < opts.refusals) {
        refused++;
        throw new Refusal('in-use');
      }
    },
    endpoints: async () => {
      calls.push('endpoints');
      return listed;
    },
    disconnect: async (target) => {
      calls.push(`disconnect ${target}`);
      if (opts.stuck?.includes(target)) throw new Error(`cannot disconnect ${target}`);
      listed = listed.filter((e) => e.key !== target && e.name !== target);
    },
  };
  return { network: sut, calls };
}

function policy(pausesMs = [10, 20, 30]) {
  const slept: number[] = [];
  const disconnects: { name: string; failed: boolean }[] = [];
  const p: RemovalPolicy = {
    pausesMs,
    classify: (error) => (error instanceof Refusal ? error.kind : 'other'),
    describe: (error) => (error as Error).message,
    sleep: async (ms) => void slept.push(ms),
    onDisconnect: (endpoint, error) => void disconnects.push({ name: endpoint.name, failed: !!error }),
  };
  return { policy: p, slept, disconnects };
}

describe('removeRefusableNetwork', () => {
  it('removes a network at once when the engine lets it', async () => {
    const { network, calls } = fakeNetwork({ refusals: 0 });
    const { policy: p, slept } = policy();
    expect(await removeRefusableNetwork(network, p)).toEqual({ outcome: 'removed', attempts: 1 });
    expect(calls).toEqual(['remove']);
    expect(slept).toEqual([]);
  });

  it('says gone for a network already removed', async () => {
    const { network } = fakeNetwork({ refusals: 0, failWith: 'gone' });
    expect(await removeRefusableNetwork(network, policy().policy)).toEqual({ outcome: 'gone', attempts: 1 });
  });

  it('throws what is not a refusal (the job retries it)', async () => {
    const { network } = fakeNetwork({ refusals: 0, failWith: 'other' });
    await expect(removeRefusableNetwork(network, policy().policy)).rejects.toThrow('engine said other');
  });

  it('force-disconnects every endpoint the engine lists, then retries after a pause', async () => {
    const endpoints = [
      { key: 'c0ffee', name: 'someone-elses-container' },
      { key: 'ep-1234abcd', name: 'gw-1234abcd' },
    ];
    const { network, calls } = fakeNetwork({ refusals: 1, endpoints });
    const { policy: p, slept, disconnects } = policy();
    expect(await removeRefusableNetwork(network, p)).toEqual({ outcome: 'removed', attempts: 2 });
    // A container by id; an endpoint with no container by its name (the engine's force-delete path).
    expect(calls).toEqual(['remove', 'endpoints', 'disconnect c0ffee', 'disconnect gw-1234abcd', 'remove']);
    expect(slept).toEqual([10]);
    expect(disconnects).toEqual([
      { name: 'someone-elses-container', failed: false },
      { name: 'gw-1234abcd', failed: false },
    ]);
  });

  it('retries a refusal with nothing listed (the engine-20.10 stale endpoint) and succeeds when it clears', async () => {
    const { network } = fakeNetwork({ refusals: 2 });
    const { policy: p, slept } = policy();
    expect(await removeRefusableNetwork(network, p)).toEqual({ outcome: 'removed', attempts: 3 });
    expect(slept).toEqual([10, 20]);
  });

  it('reports the network leaked after the last pause, with what the engine said and still lists', async () => {
    const endpoints = [{ key: 'abc123', name: 'stuck-one' }];
    const { network, calls } = fakeNetwork({ refusals: 'always', endpoints, stuck: ['abc123'] });
    const { policy: p, slept, disconnects } = policy([5, 6]);
    const result = await removeRefusableNetwork(network, p);
    expect(result).toEqual({
      outcome: 'leaked',
      attempts: 3,
      reason: 'error while removing network: network nl-1-bridge id 1234 has active endpoints',
      endpoints,
    });
    expect(slept).toEqual([5, 6]);
    expect(calls.filter((c) => c === 'remove')).toHaveLength(3);
    expect(disconnects).toEqual([
      { name: 'stuck-one', failed: true },
      { name: 'stuck-one', failed: true },
    ]);
  });

  it('reports a refusal with no container listed as leaked with no endpoints', async () => {
    const { network } = fakeNetwork({ refusals: 'always' });
    const result = await removeRefusableNetwork(network, policy([1]).policy);
    expect(result).toMatchObject({ outcome: 'leaked', attempts: 2, endpoints: [] });
  });
});
