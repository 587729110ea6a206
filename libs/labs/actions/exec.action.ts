import { z } from 'zod';
import { formatDuration } from '../deadline';
import { type ActionImpl, StepActionError } from './action';
import { shellLine } from './transcript';

const schema = z
  .object({
    do: z.literal('exec'),
    container: z.string().min(1),
    /** Arguments are templates: `{{chatSubnet}}` is replaced by the lab's value. */
    cmd: z.array(z.string()).min(1),
    /** Go on when the command fails (its output is still shown). */
    allowFailure: z.boolean().optional(),
  })
  .strict();
export type ExecAction = z.infer<typeof schema>;

/** `docker exec <container> <cmd>`; a non-zero exit stops the step unless allowed. */
export const execAction: ActionImpl<ExecAction> = {
  do: 'exec',
  schema,
  async run(spec, env) {
    const cmd = spec.cmd.map((arg) => env.render(arg));
    const line = `docker exec ${spec.container} ${shellLine(cmd)}`;
    env.transcript.command(line);
    const result = await env.docker.exec(env.scope, spec.container, cmd, { timeoutMs: env.timeouts.actionMs });
    env.transcript.output([result.stdout, result.stderr].filter((s) => s.trim()).join('\n'));
    if (result.timedOut) throw new StepActionError(`${line}: still running after ${formatDuration(env.timeouts.actionMs)}, stopped`);
    if (result.exitCode !== 0 && !spec.allowFailure) throw new StepActionError(`${line}: exited with code ${result.exitCode}`);
  },
};
