import { describe, expect, it } from 'vitest';
import { dockerNetworkDefinition } from './definitions/docker-network.definition';
import { LabDefinitionError, loadLabDefinition } from './lab-definition';

/** A deep copy of the built-in definition, to break one field at a time. */
const copy = (): any => JSON.parse(JSON.stringify(dockerNetworkDefinition));

function loadError(raw: unknown): LabDefinitionError {
  try {
    loadLabDefinition(raw);
  } catch (error) {
    if (error instanceof LabDefinitionError) return error;
    throw error;
  }
  throw new Error('expected the definition to be refused');
}

describe('loadLabDefinition', () => {
  it('loads the docker-network definition with the TP steps in order', () => {
    const sut = loadLabDefinition(dockerNetworkDefinition);
    expect(sut.steps.map((s) => s.id)).toEqual(['1a', '1b', '1c', '2a', '2b', '2c', '3a', '3b', '3c']);
    expect(Object.isFrozen(sut.steps[0])).toBe(true);
  });

  it('names an unknown check type with its path', () => {
    const raw = copy();
    raw.steps[3].checks[0].type = 'netwrk';
    expect(loadError(raw).message).toContain('steps[3].checks[0].type: unknown check type "netwrk"');
  });

  it('names an unknown solution action with its path', () => {
    const raw = copy();
    raw.steps[7].solution[0].do = 'create-netwrk';
    expect(loadError(raw).message).toContain('steps[7].solution[0].do: unknown action "create-netwrk"');
  });

  it('refuses an unknown placeholder in instructions', () => {
    const raw = copy();
    raw.steps[7].instructions.en += ' {{chatSubnt}}';
    expect(loadError(raw).message).toContain('steps[7].instructions.en: unknown placeholder {{chatSubnt}}');
  });

  it('refuses an unknown placeholder in a check', () => {
    const raw = copy();
    raw.steps[7].checks[0].subnet = '{{chat_subnet}}';
    expect(loadError(raw).message).toContain('steps[7].checks[0].subnet: unknown placeholder {{chat_subnet}}');
  });

  it('names a wrong field inside a check', () => {
    const raw = copy();
    raw.steps[3].checks[0].image = 'nginx';
    raw.steps[4].checks[3].outputMatches = '(unclosed';
    raw.steps[7].checks[0].ipRange = { usableAddresses: 15 };
    const { problems } = loadError(raw);
    expect(problems.some((p) => p.startsWith('steps[3].checks[0].image: '))).toBe(true);
    expect(problems).toContain('steps[4].checks[3].outputMatches: not a valid regular expression');
    expect(problems).toContain('steps[7].checks[0].ipRange.usableAddresses: no address block has exactly this many usable addresses');
  });

  it('refuses a field no check type has', () => {
    const raw = copy();
    raw.steps[3].checks[0].contianer = 'x';
    expect(loadError(raw).message).toMatch(/steps\[3\]\.checks\[0\]: Unrecognized key\(s\) in object: 'contianer'/);
  });

  it('refuses a question without an answer spec, and an unknown fact', () => {
    const raw = copy();
    delete raw.steps[0].answer;
    raw.steps[1].answer.fact = 'bridge-subnett';
    const { problems } = loadError(raw);
    expect(problems).toContain('steps[0].answer: a question step needs an answer spec');
    expect(problems.some((p) => p.startsWith('steps[1].answer.fact: '))).toBe(true);
  });

  it('refuses duplicate step ids', () => {
    const raw = copy();
    raw.steps[1].id = '1a';
    expect(loadError(raw).problems).toEqual(['steps[1].id: duplicate step id "1a"']);
  });

  it('refuses a missing title and an empty step list', () => {
    const raw = copy();
    delete raw.steps[2].title.en;
    expect(loadError(raw).problems).toEqual(['steps[2].title.en: Required']);
    expect(loadError({ ...copy(), steps: [] }).message).toContain('steps: Array must contain at least 1 element(s)');
  });

  it('says which definition is broken', () => {
    const raw = copy();
    raw.steps[0].checks = [];
    expect(loadError(raw).message).toMatch(/^invalid lab definition "docker-network": steps\[0\]\.checks: /);
  });
});
