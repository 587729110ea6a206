import { DockerLayerError, type ContainerInfo, type NetworkInfo, type NetworkSettings } from '../docker/tenant-docker';
import type { CheckResult } from '../queue/jobs';
import { type CheckEnv, type CheckNeeds, describeState } from './checks/check';
import { type CheckSpec, checkImpl } from './checks/check-registry';
import { DeadlineExceeded, formatDuration, withDeadline } from './deadline';
import { type LabContext, timeoutsOf } from './lab-context';
import type { LabStep } from './lab-definition';
import { renderTemplate, templateValues } from './lab-templates';
import { checkMessage } from './check-messages';
import type { Lang } from './lang';

/**
 * Runs every check of a step against the live lab, all of them (a step done half
 * fails with the half that is missing), each under its own deadline.
 */
export async function runChecks(step: LabStep, ctx: LabContext, answer: unknown, lang: Lang = 'en'): Promise<CheckResult[]> {
  const env = checkEnv(step, ctx, answer, lang);
  return Promise.all(step.checks.map((spec) => runOne(spec, env)));
}

/** Whether every check of the step only reads the engine's state (CheckImpl.readsOnly). */
export function checksReadOnly(step: LabStep): boolean {
  return step.checks.every((spec) => checkImpl(spec.type).readsOnly === true);
}

function checkEnv(step: LabStep, ctx: LabContext, answer: unknown, lang: Lang): CheckEnv {
  const values = templateValues(ctx.values);
  // One inspection per object per verification: checks running in parallel share it.
  const containers = new Map<string, Promise<ContainerInfo | null>>();
  const networks = new Map<string, Promise<NetworkInfo | null>>();
  const settings = new Map<string, Promise<NetworkSettings | null>>();
  const memo = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>) => {
    let hit = cache.get(key);
    if (!hit) cache.set(key, (hit = load()));
    return hit;
  };
  return {
    scope: ctx.scope,
    docker: ctx.docker,
    values: ctx.values,
    images: ctx.images,
    timeouts: timeoutsOf(ctx),
    render: (template) => renderTemplate(template, values),
    container: (name) => memo(containers, name, () => ctx.docker.inspectContainer(ctx.scope, name)),
    network: (name) => memo(networks, name, () => ctx.docker.inspectNetwork(ctx.scope, name)),
    networkSettings: (name) => memo(settings, name, () => ctx.docker.networkSettings(ctx.scope, name)),
    answer: { stepId: step.id, spec: step.answer, value: answer },
    lang,
  };
}

async function runOne(spec: CheckSpec, env: CheckEnv): Promise<CheckResult> {
  const impl = checkImpl(spec.type);
  const name = typeof spec.name === 'object' ? spec.name[env.lang] : (spec.name ?? impl.describe(spec, env));
  const ms = env.timeouts.checkMs;
  try {
    return await withDeadline(ms, async (signal) => {
      const skipped = await missingDependency(mergeNeeds(impl.needs?.(spec), spec.requires), env);
      if (skipped) return { name, passed: false, message: skipped };
      return { name, ...(await impl.run(spec, env, signal)) };
    });
  } catch (error) {
    if (error instanceof DeadlineExceeded) {
      const message = impl.timeoutMessage?.(spec, ms, env) ?? checkMessage(env.lang, 'check.timed-out', { name, duration: formatDuration(ms) });
      return { name, passed: false, message };
    }
    // The engine being down is not the student's failure: let the job fail (and be retried) instead of recording it.
    if (error instanceof DockerLayerError && (error.kind === 'unreachable' || error.kind === 'engine')) throw error;
    return { name, passed: false, message: checkMessage(env.lang, 'check.unchecked', { name, reason: error instanceof Error ? error.message : String(error) }) };
  }
}

function mergeNeeds(needs: CheckNeeds | undefined, requires: string[] | undefined): CheckNeeds {
  return { exist: needs?.exist ?? [], running: [...(requires ?? []), ...(needs?.running ?? [])] };
}

/** Why a check cannot run (a container it depends on is missing or stopped), or null. */
async function missingDependency(needs: CheckNeeds, env: CheckEnv): Promise<string | null> {
  const running = new Set(needs.running);
  const all = [...new Set([...(needs.exist ?? []), ...running])];
  const infos = await Promise.all(all.map((name) => env.container(name)));
  for (const [i, name] of all.entries()) {
    const info = infos[i];
    if (!info) return checkMessage(env.lang, 'check.skipped-missing', { container: name });
    if (running.has(name) && !info.running) return checkMessage(env.lang, 'check.skipped-stopped', { container: name, state: describeState(info) });
  }
  return null;
}
