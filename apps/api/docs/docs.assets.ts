import { existsSync } from 'node:fs';
import path from 'node:path';

/** The /docs page's files: a fixed list (no path from a request is ever read), Swagger UI from node_modules. */
const fromPackage = (rel: string): string => path.join(path.dirname(require.resolve('swagger-ui-dist/package.json')), rel);

let dir: string | undefined;

/** apps/api/docs/assets, whether this code runs from the sources or from dist/ (tsc does not copy them). */
function assetsDir(): string {
  if (dir) return dir;
  for (let at = __dirname; ; at = path.dirname(at)) {
    const candidate = path.join(at, 'apps/api/docs/assets');
    if (existsSync(path.join(at, 'package.json')) && existsSync(candidate)) return (dir = candidate);
    if (path.dirname(at) === at) break;
  }
  throw new Error(`docs assets not found above ${__dirname}`);
}

export const DOCS_ASSETS: ReadonlyMap<string, { file: () => string; type: string }> = new Map([
  ['swagger-ui.css', { file: () => fromPackage('swagger-ui.css'), type: 'text/css; charset=utf-8' }],
  ['swagger-ui-bundle.js', { file: () => fromPackage('swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' }],
  ['docs.js', { file: () => path.join(assetsDir(), 'docs.js'), type: 'text/javascript; charset=utf-8' }],
]);

export const docsPage = (): string => path.join(assetsDir(), 'docs.html');
