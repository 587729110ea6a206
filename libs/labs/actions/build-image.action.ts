import path from 'node:path';
import { z } from 'zod';
import { type LogicalImage, logicalImageSchema } from '../lab-context';
import { type ActionEnv, type ActionImpl, StepActionError } from './action';
import { shellLine } from './transcript';

const schema = z
  .object({
    do: z.literal('build-image'),
    /** A logical image with a recipe in LabContext.imageBuilds (`mypython2`). */
    image: logicalImageSchema,
  })
  .strict();
export type BuildImageAction = z.infer<typeof schema>;

/**
 * Makes a logical image available on the lab's host: built from its recipe when it has
 * one (the tenant layer skips a tag the host already has, and shares one build between
 * labs asking at once), pulled if missing otherwise.
 */
export async function provideImage(env: Pick<ActionEnv, 'docker' | 'images' | 'imageBuilds'>, image: LogicalImage): Promise<void> {
  const recipe = env.imageBuilds[image];
  if (recipe) await env.docker.buildImage(env.images[image], recipe.contextDir, recipe.buildArgs);
  else await env.docker.ensureImage(env.images[image]);
}

/**
 * `docker build -t mypython2 ...`: the TP has students build the chat's image. The image
 * is shared by every lab of the host under its configured reference, which the
 * transcript says, so that `docker run` lines further down make sense.
 */
export const buildImageAction: ActionImpl<BuildImageAction> = {
  do: 'build-image',
  schema,
  async run(spec, env) {
    const recipe = env.imageBuilds[spec.image];
    if (!recipe) throw new StepActionError(`no recipe to build the ${spec.image} image on this worker`);
    const args = ['docker', 'build', '-t', spec.image];
    for (const [key, value] of Object.entries(recipe.buildArgs ?? {})) args.push('--build-arg', `${key}=${value}`);
    // The folder as the TP has it (`chat`), not where this worker keeps it.
    args.push(`./${path.basename(recipe.contextDir)}`);
    env.transcript.command(shellLine(args));
    await env.docker.buildImage(env.images[spec.image], recipe.contextDir, recipe.buildArgs);
    env.transcript.note(`${spec.image} is ${env.images[spec.image]} on this Docker host: built once, shared by every lab on it`);
  },
};
