/**
 * The lab daemon beside the engine itself, same CLI, same machine, interleaved rounds:
 * `docker ps`, `docker run -d` and `docker exec` through a lab's gateway socket vs
 * straight on the engine's socket. Part of `npm run bench` (third argument: rounds).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DOCKER_CLI, LabCli } from '../support/lab-cli';
import type { TestStack } from '../support/stack';
import { summary } from './stats';

const run = promisify(execFile);

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export async function benchGateway(stack: TestStack, socketPath: string, labId: string, rounds: number): Promise<void> {
  const cli = LabCli.forLab(stack.adminToken, socketPath, labId);
  const direct = (args: string[]) => run(DOCKER_CLI, args, { env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  const label = `netlabs.test=${stack.runId}`;
  const image = process.env.LAB_IMAGE_UBUNTU ?? 'netlabs-local/ubuntu:24.04';
  const times = { gwPs: [] as number[], enginePs: [] as number[], gwRun: [] as number[], engineRun: [] as number[], gwExec: [] as number[], engineExec: [] as number[] };
  try {
    await cli.ok(['run', '-d', '--name', 'bench-exec', 'ubuntu', 'sleep', '3600']);
    await direct(['run', '-d', '--name', `bench-exec-${stack.runId}`, '--label', label, image, 'sleep', '3600']);
    for (let i = 0; i < rounds; i++) {
      times.gwPs.push(await timed(() => cli.ok(['ps'])));
      times.enginePs.push(await timed(() => direct(['ps'])));
      times.gwRun.push(await timed(() => cli.ok(['run', '-d', '--name', `bench-${i}`, 'ubuntu', 'true'])));
      times.engineRun.push(await timed(() => direct(['run', '-d', '--name', `bench-${stack.runId}-${i}`, '--label', label, image, 'true'])));
      times.gwExec.push(await timed(() => cli.ok(['exec', 'bench-exec', 'true'])));
      times.engineExec.push(await timed(() => direct(['exec', `bench-exec-${stack.runId}`, 'true'])));
      await cli.ok(['rm', '-f', `bench-${i}`]);
      await direct(['rm', '-f', `bench-${stack.runId}-${i}`]);
    }
  } finally {
    await cli.docker(['rm', '-f', 'bench-exec']);
    await direct(['rm', '-f', `bench-exec-${stack.runId}`]).catch(() => undefined);
    cli.dispose();
  }
  console.log(summary('docker ps, lab daemon', times.gwPs));
  console.log(summary('docker ps, engine socket', times.enginePs));
  console.log(summary('docker run -d, lab daemon', times.gwRun));
  console.log(summary('docker run -d, engine socket', times.engineRun));
  console.log(summary('docker exec, lab daemon', times.gwExec));
  console.log(summary('docker exec, engine socket', times.engineExec));
}
