import type { LabScope } from '../../../libs/docker/tenant-docker';

/** The tenant scope of a lab row; `labels` are the configured extra labels (LAB_LABELS). */
export function scopeOf(lab: { id: string; classId: string; prefix: string }, labels: Record<string, string> = {}): LabScope {
  return { labId: lab.id, classId: lab.classId, prefix: lab.prefix, labels };
}
