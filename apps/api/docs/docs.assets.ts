import { sourceAssetsDir } from '../common/source-assets';
import path from 'node:path';

/** The /docs page's files: a fixed list (no path from a request is ever read), Swagger UI from node_modules. */
const fromPackage = (rel: string): string => path.join(path.dirname(require.resolve('swagger-ui-dist/package.json')), rel);

/** apps/api/docs/assets: see sourceAssetsDir. */
const assetsDir = (): string => sourceAssetsDir('apps/api/docs/assets');

export const DOCS_ASSETS: ReadonlyMap<string, { file: () => string; type: string }> = new Map([
  ['swagger-ui.css', { file: () => fromPackage('swagger-ui.css'), type: 'text/css; charset=utf-8' }],
  ['swagger-ui-bundle.js', { file: () => fromPackage('swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' }],
  ['docs.js', { file: () => path.join(assetsDir(), 'docs.js'), type: 'text/javascript; charset=utf-8' }],
]);

export const docsPage = (): string => path.join(assetsDir(), 'docs.html');
