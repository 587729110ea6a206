/**
 * Traces provisioning jobs (not a test, not part of `npm run bench`): runs the worker's
 * ProvisioningService in this process on the real engine and database and prints every
 * SQL statement and engine call of each job with its time, then the counts.
 *
 *   npm run build && DATABASE_URL=... LAB_SUBNET_POOL=... LAB_PORT_MIN=... LAB_PORT_MAX=... \
 *     LAB_IMAGE_CONSOLE=netlabs-local/console:1 node dist/test/bench/provision-trace.js [labs=3]
 *
 * The first job of a process pays for what is cached afterwards (connections, images
 * known present): the later ones are what a class sees.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Client } from 'pg';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Modem = require('docker-modem') as { prototype: { dial: (options: { method: string; path: string }, cb: (...args: unknown[]) => void) => unknown } };
import { ConfigModule } from '../../libs/config/config.module';
import { DockerModule } from '../../libs/docker/docker.module';
import { DockerHostPool } from '../../libs/docker/docker-host-pool';
import { PersistenceModule } from '../../libs/persistence/persistence.module';
import { ClassRepository } from '../../libs/persistence/class.repository';
import { PrismaService } from '../../libs/persistence/prisma.service';
import { HostPlacementService } from '../../apps/worker/provisioning/host-placement.service';
import { LabAllocatorService } from '../../apps/worker/provisioning/lab-allocator.service';
import { LabConsoleService } from '../../apps/worker/provisioning/lab-console.service';
import { ProvisioningService } from '../../apps/worker/provisioning/provisioning.service';
import { HostCapacityService } from '../../libs/placement/host-capacity.service';

@Module({
  imports: [ConfigModule, PersistenceModule, DockerModule],
  providers: [HostCapacityService, HostPlacementService, LabAllocatorService, LabConsoleService, ProvisioningService],
})
class TraceModule {}

type Event = { at: number; ms: number; kind: 'sql' | 'engine'; what: string };
let events: Event[] | null = null;

function record(kind: Event['kind'], what: string, started: number): void {
  events?.push({ at: started, ms: performance.now() - started, kind, what });
}

function instrument(): void {
  const query = Client.prototype.query as (...args: unknown[]) => unknown;
  (Client.prototype as unknown as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
    const started = performance.now();
    const first = args[0] as string | { text?: string };
    const text = (typeof first === 'string' ? first : (first?.text ?? '?')).replace(/\s+/g, ' ').slice(0, 110);
    const last = args.length - 1;
    if (typeof args[last] === 'function') {
      const cb = args[last] as (...cbArgs: unknown[]) => void;
      args[last] = (...cbArgs: unknown[]) => {
        record('sql', cbArgs[0] ? `${text} (error)` : text, started);
        cb(...cbArgs);
      };
    }
    const result = query.apply(this, args);
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(() => record('sql', text, started), () => record('sql', `${text} (error)`, started));
    }
    return result;
  };
  const dial = Modem.prototype.dial;
  Modem.prototype.dial = function (options, cb) {
    const started = performance.now();
    return dial.call(this, options, (...args: unknown[]) => {
      record('engine', `${options.method} ${options.path.split('?')[0]}`, started);
      cb(...args);
    });
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 3);
  process.env.LAB_LABELS ??= `netlabs.test=trace-${randomBytes(3).toString('hex')}`;
  process.env.DEPLOYMENT_ID ??= `trace-${randomBytes(3).toString('hex')}`;
  process.env.LAB_IMAGE_PULL ??= 'false';
  instrument();
  const app = await NestFactory.createApplicationContext(TraceModule, { logger: ['error', 'warn'] });
  const classes = app.get(ClassRepository);
  const provisioning = app.get(ProvisioningService);
  const prisma = app.get(PrismaService);
  const pool = app.get(DockerHostPool);
  const students = Array.from({ length: n }, (_, i) => ({
    externalId: `trace-${i}`,
    tokenHash: randomBytes(16).toString('hex'),
    labPrefix: `nl-${randomBytes(3).toString('hex')}`,
  }));
  const created = await classes.createWithLabs({
    name: 'trace',
    labDefinitionId: 'docker-network',
    labTtlMinutes: 30,
    idleMinutes: 30,
    settings: { runPolicy: 'always', runAfterFailures: 0, language: 'en' },
    students,
    warmPool: null,
    deployment: process.env.DEPLOYMENT_ID!,
  });
  const prefixes = new Map(created.labs.map(({ lab }, i) => [lab.id, students[i].labPrefix]));
  try {
    for (const { lab } of created.labs) {
      events = [];
      const started = performance.now();
      const result = await provisioning.provision(lab.id);
      const total = performance.now() - started;
      const seen = events;
      events = null;
      console.log(`\nlab ${lab.id}: ${JSON.stringify(result)} in ${total.toFixed(0)} ms`);
      for (const e of seen.sort((a, b) => a.at - b.at)) {
        console.log(`  +${(e.at - started).toFixed(0).padStart(4)} ms ${e.ms.toFixed(1).padStart(6)} ms  ${e.kind.padEnd(6)} ${e.what}`);
      }
      const sql = seen.filter((e) => e.kind === 'sql').length;
      const engine = seen.filter((e) => e.kind === 'engine').length;
      console.log(`  => ${sql} SQL statements, ${engine} engine calls, ${total.toFixed(0)} ms`);
    }
  } finally {
    for (const { lab } of created.labs) {
      const row = await prisma.lab.findUnique({ where: { id: lab.id } });
      if (row?.hostId) await pool.get(row.hostId).removeLab({ labId: lab.id, prefix: prefixes.get(lab.id)! }).catch((e: unknown) => console.warn(String(e)));
    }
    const ids = created.labs.map(({ lab }) => lab.id);
    await prisma.allocation.deleteMany({ where: { labId: { in: ids } } });
    await prisma.lab.updateMany({ where: { id: { in: ids } }, data: { status: 'destroyed', destroyedAt: new Date(), endReason: 'deleted' } });
    await prisma.class.update({ where: { id: created.class.id }, data: { deletedAt: new Date() } });
    await app.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
