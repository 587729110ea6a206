import { describe, expect, it } from 'vitest';
import { LabCatalogue } from '../lab-catalogue';
import { LabRunner } from '../lab-runner';
import { labFixture } from '../testing/lab-fixture';
import { AnswerFence } from './answer-fence';

const definition = new LabCatalogue().get('docker-network')!;
const OPTION = 'com.docker.network.bridge.name';

describe('AnswerFence', () => {
  const runner = new LabRunner();

  it('masks the subnet, interface and option of unpassed questions, whole tokens only', async () => {
    const { values } = await labFixture();
    const sut = AnswerFence.forLab(definition, values, [], 'en');
    const text = `subnet ${values.bridgeSubnet} via ${values.bridgeGateway}, "${OPTION}": "${values.bridgeInterface}", not nlb40 nor 110.96.4.0/24 nor 10.96.4.10 nor ${values.bridgeInterface}.x`;
    expect(sut.redact(text)).toBe('subnet [answer of 1b] via [answer of 1b], "[answer of 3a]": "[answer of 1c]", not nlb40 nor 110.96.4.0/24 nor 10.96.4.10 nor nlb4.x');
    expect(AnswerFence.forLab(definition, values, [], 'fr').redact(values.bridgeSubnet)).toBe('[réponse de 1b]');
  });

  it('lets a passed step, or the step whose solution was just run, through', async () => {
    const { values } = await labFixture();
    const text = `${values.bridgeSubnet} ${values.bridgeInterface} ${OPTION}`;
    expect(AnswerFence.forLab(definition, values, ['1b', '3a'], 'en').redact(text)).toBe(`${values.bridgeSubnet} [answer of 1c] ${OPTION}`);
    expect(AnswerFence.forLab(definition, values, [], 'en', '1c').redact(text)).toBe(`[answer of 1b] ${values.bridgeInterface} [answer of 3a]`);
    expect(AnswerFence.open.redact(text)).toBe(text);
  });

  it('omits the values that answer a hidden question', async () => {
    const { values } = await labFixture();
    const hidden = AnswerFence.forLab(definition, values, [], 'en').values(values);
    expect(Object.keys(hidden).sort()).toEqual(['chatInterface', 'chatSubnet', 'httpdPort', 'publicHost']);
    expect(AnswerFence.forLab(definition, values, ['1b'], 'en').values(values)).toMatchObject({ bridgeSubnet: values.bridgeSubnet, bridgeGateway: values.bridgeGateway });
    expect(AnswerFence.forLab(definition, values, ['1b'], 'en').values(values)).not.toHaveProperty('bridgeInterface');
  });

  it('redacts deep inside a result without changing it', async () => {
    const { values } = await labFixture();
    const result = { step: '1b', checks: [{ name: 'x', passed: false, message: `near ${values.bridgeInterface}` }], at: new Date(0), n: 3 };
    const out = AnswerFence.forLab(definition, values, [], 'en').redactDeep(result);
    expect(out.checks[0].message).toBe('near [answer of 1c]');
    expect(out.at).toEqual(new Date(0));
    expect(result.checks[0].message).toContain(values.bridgeInterface);
  });

  it('hides 1c and 3a in the transcript of 1b`s solution, and 3a in 3b`s hints', async () => {
    const { values, ctx } = await labFixture();
    const run = await runner.runStep(definition, '1b', ctx);
    expect(run.output).toContain(values.bridgeInterface);
    const shown = AnswerFence.forLab(definition, values, [], 'en', '1b').redact(run.output);
    expect(shown).toContain(values.bridgeSubnet);
    expect(shown).not.toContain(values.bridgeInterface);
    expect(shown).not.toContain(OPTION);

    const verify = await runner.verifyStep(definition, '3b', ctx);
    const messages = verify.checks.map((c) => c.message).join('\n');
    expect(messages).toContain(OPTION);
    expect(AnswerFence.forLab(definition, values, ['1a', '1b', '1c'], 'en').redact(messages)).not.toContain(OPTION);
  });
});
