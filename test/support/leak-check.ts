import { execFileSync } from 'node:child_process';
import type { Pool } from 'pg';

const LIVE = ['provisioning', 'ready', 'destroying'];

/**
 * What a fault left behind: Docker objects of this deployment whose lab the database
 * does not hold as live, allocation rows of labs that are not live, and duplicated
 * networks or containers within one lab. Every list should be empty. An engine is a socket
 * url (`unix:///...`) or the docker CLI's arguments that reach it (`['-H', 'tcp://...', '--tlsverify', ...]`).
 */
export async function findLeaks(db: Pool, deploymentId: string, classIds: string[], sockets: (string | string[])[] = ['unix:///var/run/docker.sock']) {
  const { rows } = await db.query(`select id::text, status from "Lab"`);
  const status = new Map<string, string>(rows.map((r) => [r.id, r.status]));
  const orphans: string[] = [];
  const duplicates: string[] = [];
  for (const engine of sockets) {
    const engineArgs = typeof engine === 'string' ? ['-H', engine] : engine;
    const socket = typeof engine === 'string' ? engine : (engine[engine.indexOf('-H') + 1] ?? engine.join(' '));
    for (const kind of ['container', 'network'] as const) {
      const args = kind === 'container' ? ['ps', '-a'] : ['network', 'ls'];
      const format = '{{.ID}} {{.Label "netlabs.lab"}} {{.Label "netlabs.name"}}';
      const lines = execFileSync('docker', [...engineArgs, ...args, '--filter', `label=netlabs.deployment=${deploymentId}`, '--format', format])
        .toString()
        .split('\n')
        .filter(Boolean);
      const seen = new Set<string>();
      for (const line of lines) {
        const [id, labId, name] = line.split(' ');
        if (!LIVE.includes(status.get(labId) ?? '')) orphans.push(`${socket} ${kind} ${id} of lab ${labId} (${status.get(labId) ?? 'unknown'})`);
        const key = `${labId}/${name}`;
        if (seen.has(key)) duplicates.push(`${socket} ${kind} ${name} twice in lab ${labId}`);
        seen.add(key);
      }
    }
  }
  const allocations = await db.query(
    `select a.kind, a.value, l.status from "Allocation" a join "Lab" l on l.id = a."labId"
      where l.status not in ('provisioning','ready','destroying') and l."classId" = any($1::uuid[])`,
    [classIds],
  );
  const strayAllocations = allocations.rows.map((r) => `${r.kind} ${r.value} of a ${r.status} lab`);
  return { orphans, duplicates, strayAllocations };
}
