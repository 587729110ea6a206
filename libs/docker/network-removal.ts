/**
 * Removing a network the engine may refuse to remove ("has active endpoints"). Seen on
 * engine 20.10 under hundreds of parallel removals: the network keeps an endpoint count
 * above zero with no container listed, and every later removal is refused until the
 * engine restarts. A teardown must not wait for that forever: force-disconnect whatever
 * the engine still lists, retry after a pause, and past the last attempt report the
 * network as leaked (the caller records it and keeps its subnet out of use) instead of
 * failing the teardown.
 *
 * Pure decision logic over `RefusableNetwork`, our own interface, so it is unit-tested
 * with fakes; docker-networks.ts gives it the dockerode implementation.
 */

/** One endpoint the engine lists on the network: a container, or an endpoint with no container (`ep-<id>`). */
export interface NetworkEndpoint {
  /** The key the engine lists it under: a container id, or `ep-<endpoint id>` when no container holds it. */
  key: string;
  /** Container name, or the endpoint's own name (what `docker network disconnect -f` takes for an orphan endpoint). */
  name: string;
}

export interface RefusableNetwork {
  /** Removes the network; throws what the engine said. */
  remove(): Promise<void>;
  /** The endpoints the engine lists on the network now. */
  endpoints(): Promise<NetworkEndpoint[]>;
  /** Force-disconnects one endpoint (by container id or endpoint name); throws when the engine refuses. */
  disconnect(target: string): Promise<void>;
}

/** How the engine's answer to a removal reads. */
export type RemovalRefusal = 'gone' | 'in-use' | 'other';

export interface RemovalPolicy {
  /** Pauses before each retry; their count is the number of retries. */
  pausesMs: number[];
  classify(error: unknown): RemovalRefusal;
  /** The refusal in the engine's words (default: the error's message). */
  describe?(error: unknown): string;
  sleep(ms: number): Promise<void>;
  onDisconnect?(endpoint: NetworkEndpoint, error?: unknown): void;
}

export type RemovalOutcome =
  | { outcome: 'removed'; attempts: number }
  | { outcome: 'gone'; attempts: number }
  | { outcome: 'leaked'; attempts: number; reason: string; endpoints: NetworkEndpoint[] };

/** Default pauses: short first (an endpoint being released settles in milliseconds), then longer. */
export const DEFAULT_REMOVAL_PAUSES_MS = [250, 1000, 3000];

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Tries to remove the network; on "in use", disconnects every endpoint the engine lists
 * and tries again after the next pause. Errors that are not "in use" (the engine is
 * unreachable, a 500) are thrown: the job retries them. Never throws for a refusal.
 */
export async function removeRefusableNetwork(network: RefusableNetwork, policy: RemovalPolicy): Promise<RemovalOutcome> {
  let lastRefusal = '';
  let lastEndpoints: NetworkEndpoint[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      await network.remove();
      return { outcome: 'removed', attempts: attempt };
    } catch (error) {
      const kind = policy.classify(error);
      if (kind === 'gone') return { outcome: 'gone', attempts: attempt };
      if (kind === 'other') throw error;
      lastRefusal = (policy.describe ?? messageOf)(error);
    }
    const pause = policy.pausesMs[attempt - 1];
    // An inspect that fails is no reason to stop: the next removal says what is going on.
    lastEndpoints = await network.endpoints().catch(() => lastEndpoints);
    if (pause === undefined) return { outcome: 'leaked', attempts: attempt, reason: lastRefusal, endpoints: lastEndpoints };
    for (const endpoint of lastEndpoints) {
      // An endpoint with no container is disconnected by its name (the engine's force-delete path).
      const target = endpoint.key.startsWith('ep-') ? endpoint.name : endpoint.key;
      await network.disconnect(target).then(
        () => policy.onDisconnect?.(endpoint),
        (error: unknown) => policy.onDisconnect?.(endpoint, error),
      );
    }
    await policy.sleep(pause);
  }
}
