import type { AppConfig } from '../config/app-config';
import type { LabScope } from './tenant-docker';

export const LABEL_DEPLOYMENT = 'netlabs.deployment';

/**
 * The tenant scope of a lab row: its ids and prefix, plus the labels that say which
 * deployment owns it (DEPLOYMENT_ID) and any configured extra labels (LAB_LABELS).
 */
export function scopeOf(
  lab: { id: string; classId: string; prefix: string },
  config: Pick<AppConfig, 'DEPLOYMENT_ID' | 'LAB_LABELS'>,
): LabScope {
  return { labId: lab.id, classId: lab.classId, prefix: lab.prefix, labels: { ...config.LAB_LABELS, [LABEL_DEPLOYMENT]: config.DEPLOYMENT_ID } };
}
