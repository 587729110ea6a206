/**
 * Exec endpoints name an exec id, not a container: the exec must belong to one of the
 * lab's containers (sockguard never checked this). Checked with the engine once per id.
 */
import { forbidden, notFound } from '../refusal';
import { type GatewayCall, type Handler, pick } from './call';

const known = new Map<string, string>();
const KNOWN_MAX = 10_000;

async function ownExec(call: GatewayCall): Promise<string> {
  const id = call.params[0];
  if (!/^[0-9a-f]{64}$/.test(id)) throw notFound(`No such exec instance: ${id}`);
  if (known.get(id) === call.lab.labId) return id;
  const { status, body } = await call.view.engine.json<{ ContainerID?: string }>({ method: 'GET', path: `/exec/${id}/json` });
  const containerId = status === 200 ? body.ContainerID : undefined;
  const mine = containerId ? !!(await call.view.inspectOwn(containerId)) : false;
  // Another lab's exec gets the same answer as one that does not exist.
  if (!mine) throw notFound(`No such exec instance: ${id}`);
  if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as string);
  known.set(id, call.lab.labId);
  return id;
}

export const startExec: Handler = async (call) => {
  const id = await ownExec(call);
  const body = await call.json();
  for (const key of Object.keys(body)) {
    if (!['Detach', 'Tty', 'ConsoleSize'].includes(key)) throw forbidden(`exec start option ${key} is not allowed in a lab`);
  }
  const engineCall = { method: 'POST', path: `/exec/${id}/start`, json: { Detach: !!body.Detach, Tty: !!body.Tty, ...(body.ConsoleSize ? { ConsoleSize: body.ConsoleSize } : {}) } };
  return call.upgrade ? { kind: 'upgrade', call: engineCall } : { kind: 'forward', reply: 'raw', call: engineCall };
};

export const resizeExec: Handler = async (call) => {
  const id = await ownExec(call);
  await call.noBody();
  return { kind: 'forward', reply: 'json', call: { method: 'POST', path: `/exec/${id}/resize`, query: pick(call.query, ['h', 'w']) } };
};

export const inspectExec: Handler = async (call) => {
  const id = await ownExec(call);
  return { kind: 'forward', reply: 'json', call: { method: 'GET', path: `/exec/${id}/json` } };
};
