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

/**
 * Compares a well-formed answer with the live fact. Failed messages say what is wrong
 * with the answer and where to look, but never print the expected value: these are
 * questions, and the lab's own values would give the answer away.
 */
export function compareAnswer(
  type: AnswerType,
  answer: string | string[],
  expected: { value: string | string[]; alternatives?: string[][] },
): CheckOutcome {
  const text = Array.isArray(answer) ? answer.join(' ') : answer;
  const one = Array.isArray(expected.value) ? expected.value.join(' ') : expected.value;
  switch (type) {
    case 'cidr':
      return compareSubnetAnswer(text, one);
    case 'interface':
      return compareInterfaceAnswer(text, one);
    case 'name-list':
      return compareNameListAnswer(answer, [toList(expected.value), ...(expected.alternatives ?? [])]);
    case 'docker-option':
      return normaliseDockerOption(text) === normaliseDockerOption(one)
        ? { passed: true, message: `${normaliseDockerOption(text)} is the option that names the bridge interface` }
        : {
            passed: false,
            message: `"${text.trim()}" does not name the bridge interface: look for the bridge driver options in docker network create --help (they are given with -o)`,
          };
    case 'text':
      return squash(text) === squash(one)
        ? { passed: true, message: 'right answer' }
        : { passed: false, message: `"${text.trim()}" is not the expected answer` };
  }
}

function toList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : normaliseNameList(value);
}

const squash = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

function compareSubnetAnswer(answer: string, expected: string): CheckOutcome {
  const result = compareCidr(answer, expected);
  if (result.equal) return { passed: true, message: `${normaliseCidr(answer)} is the subnet of your lab's bridge network` };
  const shown = answer.trim();
  const where = 'look for IPAM > Config > Subnet in docker network inspect bridge';
  switch (result.reason) {
    case 'no-prefix':
      return { passed: false, message: `"${shown}" has no prefix length: give the subnet in CIDR notation, address/prefix (like 172.17.0.0/16)` };
    case 'unreadable':
      return { passed: false, message: `"${shown}" is not a subnet in CIDR notation (like 172.17.0.0/16)` };
    case 'host-address':
      return {
        passed: false,
        message: `${normaliseCidr(answer)} is an address inside the subnet, not the subnet's network address (its host bits must be 0)`,
      };
    case 'different':
      return { passed: false, message: `${normaliseCidr(answer)} is not the subnet of your lab's bridge network: ${where}` };
  }
}

function compareInterfaceAnswer(answer: string, expected: string): CheckOutcome {
  const got = normaliseInterface(answer);
  if (got === normaliseInterface(expected)) return { passed: true, message: `${got} is the gateway interface of your lab's bridge network` };
  const where = 'look for com.docker.network.bridge.name in docker network inspect bridge';
  if (got === 'docker0') {
    return {
      passed: false,
      message: `docker0 is the Docker host's default bridge, shared by everyone on this host; your lab's bridge network has its own interface: ${where}`,
    };
  }
  return { passed: false, message: `"${answer.trim()}" is not the interface of your lab's bridge network: ${where}` };
}

function compareNameListAnswer(answer: string | string[], accepted: string[][]): CheckOutcome {
  const given = normaliseNameList(answer);
  for (const expected of accepted) {
    if (compareNameLists(answer, expected).equal) return { passed: true, message: `${given.join(', ')}: right, those are your lab's networks` };
  }
  const { missing, unexpected } = compareNameLists(answer, accepted[0]);
  const problems: string[] = [];
  if (unexpected.length) problems.push(`${unexpected.join(', ')} ${unexpected.length > 1 ? 'are not networks' : 'is not a network'} your lab starts with`);
  if (missing.length) problems.push(`${missing.length} network${missing.length > 1 ? 's are' : ' is'} missing from your list`);
  return { passed: false, message: `${problems.join('; ')}: compare with what docker network ls lists` };
}
