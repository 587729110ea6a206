import { existsSync } from 'node:fs';
import path from 'node:path';

const found = new Map<string, string>();

/**
 * A folder of static files kept beside the sources (`apps/api/<part>/assets`), whether the
 * code runs from the sources or from dist/ (tsc copies no assets): the first folder above
 * this file that holds package.json and that path. Found once per path, then remembered.
 */
export function sourceAssetsDir(relative: string): string {
  const known = found.get(relative);
  if (known) return known;
  for (let at = __dirname; ; at = path.dirname(at)) {
    const candidate = path.join(at, relative);
    if (existsSync(path.join(at, 'package.json')) && existsSync(candidate)) {
      found.set(relative, candidate);
      return candidate;
    }
    if (path.dirname(at) === at) break;
  }
  throw new Error(`${relative} not found above ${__dirname}`);
}
