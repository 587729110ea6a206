import { existsSync } from 'node:fs';
import path from 'node:path';

let dir: string | undefined;

/** apps/api/metrics/assets, from the sources or from dist/ (tsc does not copy them). */
export function adminAssetsDir(): string {
  if (dir) return dir;
  for (let at = __dirname; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'apps/api/metrics/assets');
    if (existsSync(path.join(at, 'package.json')) && existsSync(candidate)) return (dir = candidate);
    if (path.dirname(at) === at) break;
  }
  throw new Error(`admin assets not found above ${__dirname}`);
}
