import type { Lang, LabDefinition } from '../lab-definition';
import type { LabValues } from '../lab-values';
import type { FactName } from './answer-facts';

/**
 * Keeps the answers of a lab's question steps out of what a student reads before they
 * pass the step: the lab's values (the API omits them) and any text (instructions, check
 * messages, run transcripts) where they appear (masked as `[answer of 1b]`).
 *
 * What counts as an answer, per fact:
 * - bridge-subnet (1b): the lab's bridge subnet as written (`10.96.4.0/24`) and its gateway
 *   (`10.96.4.1`, from which the subnet is one guess away). Container addresses in messages
 *   stay: finding mon-serveur's address is step 2c's own task, and docker prints them to
 *   the student anyway.
 * - bridge-interface (1c): the lab's bridge interface name (`nlb4`), as a whole word.
 * - bridge-name-option (3a): `com.docker.network.bridge.name`.
 * - initial-network-names (1a): `bridge`, `host`, `none` are ordinary words of the TP's
 *   prose (its introduction explains the bridge, host and none drivers, as the original
 *   TP does), so they cannot be masked in text. What would give 1a away is a list of the
 *   lab's networks presented as such; no check message lists them (a wrong answer is told
 *   how many names are missing, never which) and only 1a's own `run` prints one.
 *
 * A student who types a guess into another step's answer could see it masked: that tells
 * no more than verifying the guess on its own step does.
 */

/** Which LabValues fields give a fact's answer away (omitted from `values` until the step passes). */
const SECRET_VALUES: Partial<Record<FactName, (keyof LabValues)[]>> = {
  'bridge-subnet': ['bridgeSubnet', 'bridgeGateway'],
  'bridge-interface': ['bridgeInterface'],
};

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A whole token: not part of a longer name or address (`nlb4` is not in `nlb40`, `10.96.4.0/24` not in `110.96.4.0/24`). */
const word = (text: string) => new RegExp(`(?<![\\w.-])${escape(text)}(?![\\w-]|\\.\\w)`, 'gi');

const SECRET_TEXTS: Record<FactName, (values: LabValues) => RegExp[]> = {
  'initial-network-names': () => [],
  'bridge-subnet': (v) => [word(v.bridgeSubnet), word(v.bridgeGateway)],
  'bridge-interface': (v) => [word(v.bridgeInterface)],
  'bridge-name-option': () => [word('com.docker.network.bridge.name')],
};

const MASK: Record<Lang, (stepId: string) => string> = {
  fr: (stepId) => `[réponse de ${stepId}]`,
  en: (stepId) => `[answer of ${stepId}]`,
};

export interface HiddenAnswer {
  stepId: string;
  patterns: RegExp[];
  valueKeys: (keyof LabValues)[];
}

export class AnswerFence {
  /** Lets everything through: instructors see the answers. */
  static readonly open = new AnswerFence([], 'en');

  constructor(
    readonly hidden: readonly HiddenAnswer[],
    private readonly lang: Lang,
  ) {}

  /**
   * The fence for one lab: every question step not in `passed` is hidden, except
   * `reveal` (a step whose reference solution the caller just ran: its output is the answer).
   */
  static forLab(definition: LabDefinition, values: LabValues, passed: Iterable<string>, lang: Lang, reveal?: string): AnswerFence {
    const done = new Set(passed);
    const hidden = definition.steps
      .filter((step) => step.answer && !done.has(step.id) && step.id !== reveal)
      .map((step) => ({
        stepId: step.id,
        patterns: SECRET_TEXTS[step.answer!.fact](values),
        valueKeys: SECRET_VALUES[step.answer!.fact] ?? [],
      }));
    return new AnswerFence(hidden, lang);
  }

  redact(text: string): string {
    let out = text;
    for (const { stepId, patterns } of this.hidden) {
      for (const pattern of patterns) out = out.replace(pattern, MASK[this.lang](stepId));
    }
    return out;
  }

  /** Every string inside a JSON-like value, redacted (a new value; the input is not changed). */
  redactDeep<T>(value: T): T {
    if (!this.hidden.length) return value;
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.redactDeep(item)) as T;
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.redactDeep(item)])) as T;
    }
    return value;
  }

  /** The lab's values without those that answer a hidden question. */
  values(values: LabValues): Partial<LabValues> {
    const drop = new Set(this.hidden.flatMap((h) => h.valueKeys));
    return Object.fromEntries(Object.entries(values).filter(([key]) => !drop.has(key as keyof LabValues))) as Partial<LabValues>;
  }
}
