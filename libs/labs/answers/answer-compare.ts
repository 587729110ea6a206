import type { CheckOutcome } from '../checks/check';
import {
  compareCidr,
  compareNameLists,
  normaliseCidr,
  normaliseDockerOption,
  normaliseInterface,
  normaliseNameList,
} from '../net-compare';
import type { AnswerType } from './answer-spec';
import { checkMessage, type MessageKey } from '../check-messages';
import type { Lang } from '../lang';

/**
 * Compares a well-formed answer with the live fact. Failed messages say what is wrong
 * with the answer and where to look, but never print the expected value: these are
 * questions, and the lab's own values would give the answer away.
 */
export function compareAnswer(
  type: AnswerType,
  answer: string | string[],
  expected: { value: string | string[]; alternatives?: string[][] },
  lang: Lang = 'en',
): CheckOutcome {
  const say = (key: MessageKey, params: Record<string, string | number> = {}) => checkMessage(lang, key, params);
  const text = Array.isArray(answer) ? answer.join(' ') : answer;
  const one = Array.isArray(expected.value) ? expected.value.join(' ') : expected.value;
  switch (type) {
    case 'cidr':
      return compareSubnetAnswer(text, one, say);
    case 'interface':
      return compareInterfaceAnswer(text, one, say);
    case 'name-list':
      return compareNameListAnswer(answer, [toList(expected.value), ...(expected.alternatives ?? [])], say);
    case 'docker-option':
      return normaliseDockerOption(text) === normaliseDockerOption(one)
        ? { passed: true, message: say('answer.option-right', { answer: normaliseDockerOption(text) }) }
        : { passed: false, message: say('answer.option-wrong', { answer: text.trim() }) };
    case 'text':
      return squash(text) === squash(one) ? { passed: true, message: say('answer.right') } : { passed: false, message: say('answer.wrong-text', { answer: text.trim() }) };
  }
}

type Say = (key: MessageKey, params?: Record<string, string | number>) => string;

function toList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : normaliseNameList(value);
}

const squash = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

function compareSubnetAnswer(answer: string, expected: string, say: Say): CheckOutcome {
  const result = compareCidr(answer, expected);
  if (result.equal) return { passed: true, message: say('answer.subnet-right', { answer: normaliseCidr(answer) ?? answer.trim() }) };
  const shown = answer.trim();
  switch (result.reason) {
    case 'no-prefix':
      return { passed: false, message: say('answer.subnet-no-prefix', { answer: shown }) };
    case 'unreadable':
      return { passed: false, message: say('answer.subnet-unreadable', { answer: shown }) };
    case 'host-address':
      return { passed: false, message: say('answer.subnet-host-address', { answer: normaliseCidr(answer) ?? answer.trim() }) };
    case 'different':
      return { passed: false, message: say('answer.subnet-different', { answer: normaliseCidr(answer) ?? answer.trim() }) };
  }
}

/**
 * The hints point at the Options of `docker network inspect bridge`, not at the option's
 * key itself: that key is the answer of 3a.
 */
function compareInterfaceAnswer(answer: string, expected: string, say: Say): CheckOutcome {
  const got = normaliseInterface(answer);
  if (got === normaliseInterface(expected)) return { passed: true, message: say('answer.interface-right', { answer: got }) };
  if (got === 'docker0') return { passed: false, message: say('answer.interface-docker0') };
  return { passed: false, message: say('answer.interface-wrong', { answer: answer.trim() }) };
}

function compareNameListAnswer(answer: string | string[], accepted: string[][], say: Say): CheckOutcome {
  const given = normaliseNameList(answer);
  for (const expected of accepted) {
    if (compareNameLists(answer, expected).equal) return { passed: true, message: say('answer.networks-right', { answer: given.join(', ') }) };
  }
  const { missing, unexpected } = compareNameLists(answer, accepted[0]);
  const problems: string[] = [];
  if (unexpected.length) problems.push(say(unexpected.length > 1 ? 'answer.networks-unexpected-many' : 'answer.networks-unexpected-one', { names: unexpected.join(', ') }));
  // How many, never which: naming them would give 1a away.
  if (missing.length) problems.push(say(missing.length > 1 ? 'answer.networks-missing-many' : 'answer.networks-missing-one', { count: missing.length }));
  return { passed: false, message: say('answer.networks-wrong', { problems: problems.join('; ') }) };
}
