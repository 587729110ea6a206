/** Network endpoints: the lab's networks, plus the engine's host and none for reading. */
import { DEFAULT_NETWORK } from '../../docker/tenant-docker';
import { ENGINE_NETWORKS, type EngineNetwork } from '../lab-view';
import { endpointConfig } from '../policy/container-create';
import { planNetworkCreate, showBridgeAlias } from '../policy/network-create';
import { isEmpty } from '../policy/values';
import { badRequest, forbidden } from '../refusal';
import { type GatewayCall, type Handler, json } from './call';

/** Whatever else sits on the engine's host/none networks is not the lab's business. */
async function engineNetwork(call: GatewayCall, name: string): Promise<EngineNetwork | null> {
  const { status, body } = await call.view.engine.json<EngineNetwork>({ method: 'GET', path: `/networks/${name}` });
  return status === 200 ? { ...body, Containers: {} } : null;
}

/** A network as the student sees it: hidden NetLabs containers left out, the asked bridge name shown. */
function present(call: GatewayCall, network: EngineNetwork): unknown {
  const hidden = `${call.view.prefix}--`;
  const containers = Object.fromEntries(
    Object.entries((network.Containers ?? {}) as Record<string, { Name?: string }>).filter(([, c]) => !c.Name?.startsWith(hidden)),
  );
  return call.rewriter.value(showBridgeAlias({ ...network, Containers: containers }));
}

export const listNetworks: Handler = async (call) => {
  const own = await call.view.networks();
  const engine = (await Promise.all(ENGINE_NETWORKS.map((n) => engineNetwork(call, n)))).filter((n): n is EngineNetwork => !!n);
  return json(200, [...own.map((n) => present(call, n)), ...engine.map((n) => call.rewriter.value(n))]);
};

export const inspectNetwork: Handler = async (call) => {
  const net = await call.view.network(call.params[0]);
  if (net.engine) {
    const found = await engineNetwork(call, net.engineRef);
    if (!found) throw badRequest(`network ${net.name} not found`);
    return json(200, found);
  }
  const { status, body } = await call.view.engine.json<EngineNetwork>({ method: 'GET', path: `/networks/${net.engineRef}` });
  if (status !== 200) return json(status, call.rewriter.value(body));
  return json(200, present(call, body));
};

export const createNetwork: Handler = async (call) => {
  const body = planNetworkCreate(await call.json(), call.lab, await call.view.networks());
  return { kind: 'forward', reply: 'json', call: { method: 'POST', path: '/networks/create', json: body } };
};

async function labNetwork(call: GatewayCall, what: string) {
  const net = await call.view.network(call.params[0]);
  if (net.engine) throw forbidden(`${net.name} is a pre-defined network and cannot be ${what} in a lab`);
  return net;
}

export const removeNetwork: Handler = async (call) => {
  await call.noBody();
  const net = await labNetwork(call, 'removed');
  if (net.name === DEFAULT_NETWORK) throw forbidden('bridge is a pre-defined network and cannot be removed');
  return { kind: 'forward', reply: 'json', call: { method: 'DELETE', path: `/networks/${net.engineRef}` } };
};

export const connectNetwork: Handler = async (call) => {
  const net = await labNetwork(call, 'joined');
  const body = await call.json();
  const container = await call.view.container(String(body.Container ?? ''));
  const ep = (body.EndpointConfig ?? {}) as Record<string, unknown>;
  const links: string[] = [];
  for (const link of Array.isArray(ep.Links) ? (ep.Links as string[]) : []) {
    const [target, alias] = String(link).split(':');
    const found = await call.view.container(target);
    links.push(`${found.engineName}:${alias || target}`);
  }
  const endpoint = endpointConfig({ ...ep, Links: undefined }, container.name, links);
  return { kind: 'forward', reply: 'json', call: { method: 'POST', path: `/networks/${net.engineRef}/connect`, json: { Container: container.id, EndpointConfig: endpoint } } };
};

export const disconnectNetwork: Handler = async (call) => {
  const net = await labNetwork(call, 'left');
  const body = await call.json();
  const container = await call.view.container(String(body.Container ?? ''));
  if (!isEmpty(body.Force) && typeof body.Force !== 'boolean') throw badRequest('Force must be true or false');
  return { kind: 'forward', reply: 'json', call: { method: 'POST', path: `/networks/${net.engineRef}/disconnect`, json: { Container: container.id, Force: !!body.Force } } };
};

export const refuseNetworkPrune: Handler = async () => {
  throw forbidden('docker network prune is not available in a lab: remove networks one by one (docker network rm <name>)');
};
