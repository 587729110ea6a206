import { sourceAssetsDir } from '../common/source-assets';
import path from 'node:path';

/**
 * The files the student page is made of. A fixed list, so a request can never name a path
 * of its own (no traversal, nothing else of the disk served). The page's own files stay
 * plain HTML/CSS/JS beside this source (tsc does not copy them to dist/, so they are
 * looked up from the repository root); xterm.js comes from node_modules, never a CDN.
 */
export interface Asset {
  file: string;
  type: string;
}

const own = (name: string): string => path.join(assetsDir(), name);
const fromPackage = (pkg: string, rel: string): string => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), rel);

const TYPES = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' } as const;

let cache: Map<string, Asset> | undefined;

/** Static files by public name (`/assets/<name>`). */
export function assets(): Map<string, Asset> {
  cache ??= new Map<string, Asset>([
    ['student-page.css', { file: own('student-page.css'), type: TYPES.css }],
    ['landing.js', { file: own('landing.js'), type: TYPES.js }],
    ['lab-page.js', { file: own('lab-page.js'), type: TYPES.js }],
    ['markdown.js', { file: own('markdown.js'), type: TYPES.js }],
    ['terminals.js', { file: own('terminals.js'), type: TYPES.js }],
    ['i18n.js', { file: own('i18n.js'), type: TYPES.js }],
    ['xterm.js', { file: fromPackage('@xterm/xterm', 'lib/xterm.js'), type: TYPES.js }],
    ['xterm.css', { file: fromPackage('@xterm/xterm', 'css/xterm.css'), type: TYPES.css }],
    ['addon-fit.js', { file: fromPackage('@xterm/addon-fit', 'lib/addon-fit.js'), type: TYPES.js }],
  ]);
  return cache;
}

export const pageFile = (name: 'landing.html' | 'lab-page.html'): string => own(name);

/** apps/api/student-page/assets: see sourceAssetsDir. */
const assetsDir = (): string => sourceAssetsDir('apps/api/student-page/assets');
