import { sourceAssetsDir } from '../common/source-assets';

/** apps/api/metrics/assets: see sourceAssetsDir. */
export const adminAssetsDir = (): string => sourceAssetsDir('apps/api/metrics/assets');
