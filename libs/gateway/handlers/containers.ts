/**
 * Container endpoints: every reference resolved inside the lab, every body rebuilt by the
 * policy, every query reduced to the parameters named here.
 */
import { LABEL_NAME } from '../../docker/tenant-docker';
import { planContainerCreate } from '../policy/container-create';
import { isEmpty } from '../policy/values';
import { badRequest, conflict, forbidden } from '../refusal';
import { type GatewayCall, type Handler, json, pick } from './call';
import { generatedName } from './names';

const TP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** One create per lab at a time in this process, so the container limit holds under parallel runs. */
const creating = new Map<string, Promise<unknown>>();
function serial<T>(labId: string, fn: () => Promise<T>): Promise<T> {
  const next = (creating.get(labId) ?? Promise.resolve()).catch(() => undefined).then(fn);
  creating.set(labId, next.catch(() => undefined));
  return next;
}

export const createContainer: Handler = async (call) => {
  const body = await call.json();
  const given = call.query.get('name') ?? '';
  const name = given.replace(/^\//, '') || generatedName();
  if (!TP_NAME.test(name)) throw badRequest(`Invalid container name (${given}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return serial(call.lab.labId, async () => {
    const existing = await call.view.containers();
    if (existing.some((c) => c.Labels?.[LABEL_NAME] === name)) {
      throw conflict(`Conflict. The container name "/${name}" is already in use in your lab. You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const max = call.settings.limits.maxContainers;
    if (existing.length >= max) {
      throw forbidden(`this lab may have at most ${max} containers: remove one first (docker ps -a, then docker rm <name>)`);
    }
    const plan = await planContainerCreate(body, name, call.lab, call.settings, {
      container: (ref) => call.view.container(ref),
      network: (ref) => call.view.network(ref),
      image: (ref) => call.images.engineRef(ref),
    });
    return { kind: 'forward', reply: 'json', call: { method: 'POST', path: '/containers/create', query: { name: call.view.engineName(name) }, json: plan.body } };
  });
};

export const listContainers: Handler = async (call) => {
  let filters: Record<string, string[]> = {};
  const raw = call.query.get('filters');
  if (raw) {
    try {
      const parsed = JSON.parse(raw) as Record<string, string[] | Record<string, boolean>>;
      // Both filter encodings the CLI has used: {"k":["v"]} and {"k":{"v":true}}.
      filters = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, Array.isArray(v) ? v : Object.keys(v)]));
    } catch {
      throw badRequest('invalid filters');
    }
  }
  const list = await call.view.containers(
    Object.fromEntries(Object.entries(pick(call.query, ['all', 'limit', 'size'])).filter(([, v]) => v !== undefined)) as Record<string, string>,
    filters,
  );
  return json(200, call.rewriter.value(list));
};

/** The lab container a route's first capture names, as its engine id. */
async function target(call: GatewayCall): Promise<string> {
  return (await call.view.container(call.params[0])).id;
}

const forward = (method: string, path: string, query: Record<string, string | undefined> = {}) =>
  ({ kind: 'forward', reply: 'json', call: { method, path, query } }) as const;

export const inspectContainer: Handler = async (call) => {
  const id = await target(call);
  return forward('GET', `/containers/${id}/json`, pick(call.query, ['size']));
};

export const startContainer: Handler = async (call) => {
  // Old API versions accept a HostConfig at start: no body, ever (research: /v1.23 bypass).
  await call.noBody();
  return forward('POST', `/containers/${await target(call)}/start`, pick(call.query, ['detachKeys']));
};

export const stopContainer: Handler = async (call) => {
  await call.noBody();
  return forward('POST', `/containers/${await target(call)}/stop`, pick(call.query, ['t']));
};

export const restartContainer: Handler = async (call) => {
  await call.noBody();
  return forward('POST', `/containers/${await target(call)}/restart`, pick(call.query, ['t']));
};

export const killContainer: Handler = async (call) => {
  await call.noBody();
  return forward('POST', `/containers/${await target(call)}/kill`, pick(call.query, ['signal']));
};

export const pauseContainer: Handler = async (call) => {
  await call.noBody();
  const verb = call.params[1];
  return forward('POST', `/containers/${await target(call)}/${verb}`);
};

export const waitContainer: Handler = async (call) => {
  await call.noBody();
  const id = await target(call);
  return { kind: 'forward', reply: 'raw', call: { method: 'POST', path: `/containers/${id}/wait`, query: pick(call.query, ['condition']) } };
};

export const resizeContainer: Handler = async (call) => {
  await call.noBody();
  return forward('POST', `/containers/${await target(call)}/resize`, pick(call.query, ['h', 'w']));
};

export const removeContainer: Handler = async (call) => {
  await call.noBody();
  if (call.query.get('link') === '1' || call.query.get('link') === 'true') throw forbidden('docker rm --link is not available in a lab');
  return forward('DELETE', `/containers/${await target(call)}`, pick(call.query, ['force', 'v']));
};

export const renameContainer: Handler = async (call) => {
  await call.noBody();
  const name = (call.query.get('name') ?? '').replace(/^\//, '');
  if (!TP_NAME.test(name)) throw badRequest(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  // The TP name lives in a label the engine cannot change: renaming would desynchronise it.
  throw forbidden('docker rename is not available in a lab: create a new container with --name ' + name);
};

export const containerLogs: Handler = async (call) => {
  const id = await target(call);
  return {
    kind: 'forward',
    reply: 'raw',
    call: { method: 'GET', path: `/containers/${id}/logs`, query: pick(call.query, ['follow', 'stdout', 'stderr', 'since', 'until', 'timestamps', 'tail', 'details']) },
  };
};

export const containerTop: Handler = async (call) => forward('GET', `/containers/${await target(call)}/top`, pick(call.query, ['ps_args']));

export const containerStats: Handler = async (call) => {
  const id = await target(call);
  return { kind: 'forward', reply: 'raw', call: { method: 'GET', path: `/containers/${id}/stats`, query: pick(call.query, ['stream', 'one-shot']) } };
};

export const attachContainer: Handler = async (call) => {
  await call.noBody();
  const id = await target(call);
  const query = pick(call.query, ['stream', 'stdin', 'stdout', 'stderr', 'logs', 'detachKeys']);
  const engineCall = { method: 'POST', path: `/containers/${id}/attach`, query };
  return call.upgrade ? { kind: 'upgrade', call: engineCall } : { kind: 'forward', reply: 'raw', call: engineCall };
};

/** `docker cp`: reads and writes of files in the lab's own containers only. */
export const containerArchive: Handler = async (call) => {
  const id = await target(call);
  const path = call.query.get('path');
  if (!path) throw badRequest('no path given');
  if (call.method === 'PUT') {
    return {
      kind: 'forward',
      reply: 'raw',
      call: {
        method: 'PUT',
        path: `/containers/${id}/archive`,
        query: pick(call.query, ['path', 'noOverwriteDirNonDir', 'copyUIDGID']),
        headers: { 'content-type': 'application/x-tar' },
        body: call.stream(),
      },
    };
  }
  return { kind: 'forward', reply: 'raw', call: { method: call.method, path: `/containers/${id}/archive`, query: { path } } };
};

export const createExec: Handler = async (call) => {
  const id = await target(call);
  const body = await call.json();
  if (!isEmpty(body.Privileged)) throw forbidden('docker exec --privileged is not allowed in a lab');
  const allowed = ['AttachStdin', 'AttachStdout', 'AttachStderr', 'DetachKeys', 'Tty', 'Env', 'Cmd', 'WorkingDir', 'User', 'ConsoleSize'];
  for (const [k, v] of Object.entries(body)) {
    if (!allowed.includes(k) && k !== 'Privileged' && k !== 'Detach' && k !== 'Container' && !isEmpty(v)) throw forbidden(`exec option ${k} is not allowed in a lab`);
  }
  if (!Array.isArray(body.Cmd) || !body.Cmd.length) throw badRequest('No exec command specified');
  const clean = Object.fromEntries(allowed.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
  return { kind: 'forward', reply: 'json', call: { method: 'POST', path: `/containers/${id}/exec`, json: { ...clean, Privileged: false } } };
};

export const refuseExport: Handler = async () => {
  throw forbidden('docker export is not available in a lab: use docker cp to copy files out, or docker commit');
};

export const refuseUpdate: Handler = async () => {
  throw forbidden('docker update is not available in a lab: the limits of lab containers are fixed');
};
