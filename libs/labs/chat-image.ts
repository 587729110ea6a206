import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ImageRecipe } from './lab-context';

/**
 * The TP's `mypython2` image (step 3c): built by the worker on each Docker host from the
 * repository's chat/ folder, on the configured ubuntu image (BASE_IMAGE build arg).
 *
 * Its reference is LAB_IMAGE_CHAT_TAG with a digest of the recipe appended to the tag
 * (`netlabs/mypython2:1-0a1b2c3d4e`): the layer skips building a tag the host already has,
 * so without the digest a host would keep serving an image of an older chat/ for ever.
 * Images of older digests stay on the host until someone removes them, like any cache.
 */
export interface ChatImage {
  /** The image reference labs run (what LabImages.mypython2 holds). */
  ref: string;
  recipe: ImageRecipe;
}

/** Thrown when there is no chat/ folder to build from. */
export class ChatImageError extends Error {}

/**
 * The chat/ folder of the repository this code runs from: walks up from `start` to a
 * directory holding package.json and chat/Dockerfile. Works from the sources
 * (libs/labs) and from the build (dist/libs/labs), which has no package.json of its own.
 */
export function findChatDir(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'chat', 'Dockerfile'))) return path.join(dir, 'chat');
    if (path.dirname(dir) === dir) break;
  }
  throw new ChatImageError(`no chat/Dockerfile next to a package.json above ${start}: the worker cannot build the mypython2 image`);
}

/** The files the build sends, as `docker build` would: the folder less what .dockerignore lists (simple patterns). */
export function contextFiles(dir: string): string[] {
  const ignore = existsSync(path.join(dir, '.dockerignore'))
    ? readFileSync(path.join(dir, '.dockerignore'), 'utf8')
        .split('\n')
        .map((line) => line.trim().replace(/\/$/, ''))
        .filter((line) => line && !line.startsWith('#'))
    : [];
  const matches = (name: string, pattern: string) =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`).test(name);
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      if (ignore.some((pattern) => matches(relPath, pattern) || matches(name, pattern))) continue;
      const stat = statSync(path.join(dir, relPath));
      if (stat.isDirectory()) walk(relPath);
      else if (stat.isFile()) out.push(relPath);
    }
  };
  walk('');
  return out;
}

/** Digest of what makes the image: every file of the context (name and content) and the build args. */
export function recipeDigest(recipe: ImageRecipe): string {
  const hash = createHash('sha256');
  for (const file of contextFiles(recipe.contextDir)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(recipe.contextDir, file)));
    hash.update('\0');
  }
  for (const [key, value] of Object.entries(recipe.buildArgs ?? {}).sort(([a], [b]) => a.localeCompare(b))) hash.update(`arg ${key}=${value}\0`);
  return hash.digest('hex').slice(0, 10);
}

/** `netlabs/mypython2:1` + digest -> `netlabs/mypython2:1-<digest>`; a name without tag gets `:<digest>`. */
export function withDigest(tag: string, digest: string): string {
  const lastSlash = tag.lastIndexOf('/');
  const colon = tag.lastIndexOf(':');
  return colon > lastSlash ? `${tag}-${digest}` : `${tag}:${digest}`;
}

export function chatImage(config: { LAB_IMAGE_CHAT_TAG: string; LAB_IMAGE_UBUNTU: string }, chatDir: string = findChatDir()): ChatImage {
  const recipe: ImageRecipe = { contextDir: chatDir, buildArgs: { BASE_IMAGE: config.LAB_IMAGE_UBUNTU } };
  return { ref: withDigest(config.LAB_IMAGE_CHAT_TAG, recipeDigest(recipe)), recipe };
}
