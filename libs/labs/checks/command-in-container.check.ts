import { z } from 'zod';
import { formatDuration } from '../deadline';
import { type CheckImpl, checkBaseFields, displayCommand, fail, pass, regexSource, tail } from './check';

const schema = z
  .object({
    type: z.literal('command-in-container'),
    ...checkBaseFields,
    container: z.string().min(1),
    cmd: z.array(z.string()).min(1),
    /** Expected exit code (0 when absent). */
    exitCode: z.number().int().optional(),
    /** Regular expression stdout must match (case-sensitive, multi-line). */
    outputMatches: regexSource.optional(),
    /** Messages for particular exit codes, e.g. 127: "netstat is not installed: ...". */
    onExitCode: z.record(z.string().regex(/^\d+$/), z.string().min(1)).optional(),
    /** Added when the output does not match: what to do about it. */
    hint: z.string().min(1).optional(),
  })
  .strict();
export type CommandInContainerCheckSpec = z.infer<typeof schema>;

/** Runs a command inside a lab container; passes on the expected exit code and output. */
export const commandInContainerCheck: CheckImpl<CommandInContainerCheckSpec> = {
  type: 'command-in-container',
  schema,
  describe: (spec) => `${spec.container}: ${displayCommand(spec.cmd)}`,
  needs: (spec) => ({ running: [spec.container] }),
  timeoutMessage: (spec, ms) => `${spec.container}: \`${displayCommand(spec.cmd)}\` timed out, still running after ${formatDuration(ms)}`,
  async run(spec, env) {
    const shown = `\`${displayCommand(spec.cmd)}\``;
    const result = await env.docker.exec(env.scope, spec.container, spec.cmd, { timeoutMs: env.timeouts.execMs });
    if (result.timedOut) return fail(`${spec.container}: ${shown} timed out, still running after ${formatDuration(env.timeouts.execMs)}`);
    const wantCode = spec.exitCode ?? 0;
    if (result.exitCode !== wantCode) {
      const known = result.exitCode !== null ? spec.onExitCode?.[String(result.exitCode)] : undefined;
      if (known) return fail(`${spec.container}: ${env.render(known)}`);
      const said = tail(result.stderr || result.stdout);
      return fail(`${spec.container}: ${shown} exited with code ${result.exitCode}, expected ${wantCode}${said ? ` (${said})` : ''}`);
    }
    if (spec.outputMatches && !new RegExp(spec.outputMatches, 'm').test(result.stdout)) {
      const hint = spec.hint ? ` — ${env.render(spec.hint)}` : '';
      return fail(`${spec.container}: the output of ${shown} does not show what was expected (/${spec.outputMatches}/)${hint}`);
    }
    return pass(`${spec.container}: ${shown} ${spec.outputMatches ? `shows /${spec.outputMatches}/` : `exited with code ${wantCode}`}`);
  },
};
