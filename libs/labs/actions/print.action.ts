import { z } from 'zod';
import type { ActionImpl } from './action';

const schema = z
  .object({
    do: z.literal('print'),
    /** The command the student would type to see this, e.g. `docker network create --help`. */
    command: z.string().min(1).optional(),
    text: z.string().min(1),
  })
  .strict();
export type PrintAction = z.infer<typeof schema>;

/** Shows a fixed text (a help page, an explanation): for steps whose solution is reading, not doing. */
export const printAction: ActionImpl<PrintAction> = {
  do: 'print',
  schema,
  async run(spec, env) {
    if (spec.command) env.transcript.command(env.render(spec.command));
    env.transcript.output(env.render(spec.text), 200);
  },
};
