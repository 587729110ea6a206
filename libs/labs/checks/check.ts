import { z } from 'zod';
import type { ContainerInfo, LabScope, NetworkInfo, NetworkSettings, TenantDocker } from '../../docker/tenant-docker';
import type { AnswerSpec } from '../answers/answer-spec';
import type { LabImages, LabTimeouts } from '../lab-context';
import type { LabValues } from '../lab-values';
import { type Lang, localizedSchema } from '../lang';

/** Fields every check may carry, whatever its type. */
export const checkBaseFields = {
  /** Shown to the student (one text, or one per language); each check type has a sensible default. */
  name: z.union([z.string().min(1), localizedSchema]).optional(),
  /**
   * Containers this check makes no sense without (e.g. a GET to the published port
   * needs mon-serveur): when one is missing or stopped the check is skipped with a
   * message naming it, instead of failing with a confusing network error.
   */
  requires: z.array(z.string().min(1)).optional(),
};

/** What a check can see: the lab's live state (inspections memoised for one verification). */
export interface CheckEnv {
  scope: LabScope;
  docker: TenantDocker;
  values: LabValues;
  images: LabImages;
  timeouts: LabTimeouts;
  render(template: string): string;
  container(name: string): Promise<ContainerInfo | null>;
  network(name: string): Promise<NetworkInfo | null>;
  /** The network without its members: a cheaper read, shared with other labs verifying at once. */
  networkSettings(name: string): Promise<NetworkSettings | null>;
  /** The step's question and the student's answer (question steps only). */
  answer: { stepId: string; spec?: AnswerSpec; value: unknown };
  /** The language of the messages (check-messages.ts has both; others are English only). */
  lang: Lang;
}

export interface CheckOutcome {
  passed: boolean;
  message: string;
}

export interface CheckNeeds {
  /** Containers that must exist. */
  exist?: string[];
  /** Containers that must be running (exec, HTTP from inside). */
  running?: string[];
}

/** One kind of check. Register it in check-registry.ts under its `type`. */
export interface CheckImpl<S extends { type: string }> {
  type: S['type'];
  schema: z.ZodType<S, z.ZodTypeDef, unknown>;
  /** The check's name when the definition gives none. */
  describe(spec: S, env: Pick<CheckEnv, 'render' | 'values' | 'lang'>): string;
  needs?(spec: S): CheckNeeds;
  /**
   * The check only reads the engine's state (inspect, list: no exec in a container, no HTTP
   * probe, nothing the lab's contents can make slow). A step whose checks all say so is
   * verified in the API process itself, without a trip through the worker (README.md,
   * "Lifecycle and faults"). Leave it out when unsure: the worker path suits every check.
   */
  readsOnly?: true;
  /** Message when the check hit its deadline; a generic one otherwise. */
  timeoutMessage?(spec: S, ms: number, env: Pick<CheckEnv, 'render' | 'values' | 'lang'>): string;
  run(spec: S, env: CheckEnv, signal: AbortSignal): Promise<CheckOutcome>;
}

export const pass = (message: string): CheckOutcome => ({ passed: true, message });
export const fail = (message: string): CheckOutcome => ({ passed: false, message });

/** A regular expression given as a string in a definition; refused at load when it does not compile. */
export const regexSource = z.string().min(1).refine((source) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}, 'not a valid regular expression');

/** A container's state as `docker ps -a` would say it: `running`, `exited (code 1)`. */
export function describeState(info: ContainerInfo): string {
  if (info.running) return 'running';
  const code = info.exitCode !== undefined && info.state === 'exited' ? ` (code ${info.exitCode}${info.oomKilled ? ', killed: out of memory' : ''})` : '';
  return `${info.state}${code}`;
}

/** A shell command for display: `sh -c "<script>"` shows just the script. */
export function displayCommand(cmd: readonly string[]): string {
  if (cmd.length >= 3 && /^(ba)?sh$/.test(cmd[0]) && cmd[1] === '-c') return cmd[2];
  return cmd.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** The last lines of a command's output, for messages. */
export function tail(text: string, lines = 2, chars = 300): string {
  const kept = text.trim().split('\n').slice(-lines).join(' ').trim();
  return kept.length > chars ? `…${kept.slice(-chars)}` : kept;
}
