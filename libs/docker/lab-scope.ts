import type { AppConfig } from '../config/app-config';
import type { LabScope } from './tenant-docker';

export const LABEL_DEPLOYMENT = 'netlabs.deployment';

/**
 * The `netlabs.class` label of what a warm lab creates before a student claims it (its
 * bridge network and console): Docker cannot relabel an object, so these keep it after
 * the claim; what the student creates later carries the real class. `netlabs.lab` is
 * the label that says which lab owns an object.
 */
export const WARM_CLASS_LABEL = 'warm';

/**
 * The tenant scope of a lab row: its ids and prefix, plus the labels that say which
 * deployment owns it (DEPLOYMENT_ID) and any configured extra labels (LAB_LABELS).
 */
export function scopeOf(
  lab: { id: string; classId: string | null; prefix: string },
  config: Pick<AppConfig, 'DEPLOYMENT_ID' | 'LAB_LABELS'>,
): LabScope {
  return { labId: lab.id, classId: lab.classId ?? WARM_CLASS_LABEL, prefix: lab.prefix, labels: { ...config.LAB_LABELS, [LABEL_DEPLOYMENT]: config.DEPLOYMENT_ID } };
}
