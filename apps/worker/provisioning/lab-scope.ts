import type { LabScope } from '../../../libs/docker/tenant-docker';

/** The tenant scope of a lab row. */
export function scopeOf(lab: { id: string; classId: string; prefix: string }): LabScope {
  return { labId: lab.id, classId: lab.classId, prefix: lab.prefix };
}
