import { z } from 'zod';
import { compareAnswer } from '../answers/answer-compare';
import { answerShapeProblem } from '../answers/answer-spec';
import { resolveFact } from '../answers/answer-facts';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, fail } from './check';

const schema = z.object({ type: z.literal('answer'), ...checkBaseFields }).strict();
export type AnswerCheckSpec = z.infer<typeof schema>;

/** The student's typed answer against the live fact named by the step's `answer` spec. */
export const answerCheck: CheckImpl<AnswerCheckSpec> = {
  type: 'answer',
  readsOnly: true,
  schema,
  describe: () => 'answer',
  async run(_spec, env) {
    const { stepId, spec, value } = env.answer;
    if (!spec) return fail(checkMessage(env.lang, 'answer.no-question', { step: stepId }));
    const problem = answerShapeProblem(stepId, spec, value);
    if (problem) return fail(problem);
    const fact = await resolveFact(spec.fact, env);
    if ('unavailable' in fact) return fail(fact.unavailable);
    return compareAnswer(spec.type, value as string | string[], fact, env.lang);
  },
};
