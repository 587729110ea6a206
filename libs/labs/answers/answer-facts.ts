import { DEFAULT_NETWORK, type LabScope, type NetworkSettings, type TenantDocker } from '../../docker/tenant-docker';

/**
 * The live facts a question's answer is compared with. Read from the lab's own state at
 * verification time, never from the instructions, so the answer is the student's lab's.
 */
export interface FactEnv {
  scope: LabScope;
  docker: TenantDocker;
  networkSettings(name: string): Promise<NetworkSettings | null>;
}

export type FactValue =
  | { value: string | string[]; alternatives?: string[][] }
  | { unavailable: string };

/** Docker's own networks every engine has; on a shared host each lab sees them beside its own. */
export const ENGINE_NETWORK_NAMES = ['host', 'none'];

const MISSING_BRIDGE: FactValue = {
  unavailable: `your lab's ${DEFAULT_NETWORK} network is missing, so the answer cannot be checked: ask your instructor to reset the lab`,
};

const FACTS = {
  /** 1a: the networks a lab starts with (its bridge stand-in, host, none). */
  'initial-network-names': async (env: FactEnv): Promise<FactValue> => {
    if (!(await env.networkSettings(DEFAULT_NETWORK))) return MISSING_BRIDGE;
    // A student who already created `chat` and lists everything they see is right too.
    const now = (await env.docker.listNetworks(env.scope)).map((n) => n.name);
    return { value: [DEFAULT_NETWORK, ...ENGINE_NETWORK_NAMES], alternatives: [[...now, ...ENGINE_NETWORK_NAMES]] };
  },
  /** 1b: the subnet of the lab's default bridge network. */
  'bridge-subnet': async (env: FactEnv): Promise<FactValue> => {
    const bridge = await env.networkSettings(DEFAULT_NETWORK);
    return bridge?.subnet ? { value: bridge.subnet } : MISSING_BRIDGE;
  },
  /** 1c: the host interface that is the gateway of the lab's default bridge network. */
  'bridge-interface': async (env: FactEnv): Promise<FactValue> => {
    const bridge = await env.networkSettings(DEFAULT_NETWORK);
    return bridge?.bridgeName ? { value: bridge.bridgeName } : MISSING_BRIDGE;
  },
  /** 3a: the bridge driver option that names the Linux bridge (a fact of Docker, not of the lab). */
  'bridge-name-option': async (): Promise<FactValue> => ({ value: 'com.docker.network.bridge.name' }),
} satisfies Record<string, (env: FactEnv) => Promise<FactValue>>;

export type FactName = keyof typeof FACTS;
export const FACT_NAMES = Object.keys(FACTS) as [FactName, ...FactName[]];

export function resolveFact(name: FactName, env: FactEnv): Promise<FactValue> {
  return FACTS[name](env);
}
