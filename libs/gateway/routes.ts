/**
 * Every endpoint the lab's daemon answers, and nothing else: a request that matches no
 * line here is refused. Captures are path segments (an image name may hold slashes).
 * Read this table to know what a student can do; the handlers say how each is fenced.
 */
import type { Handler } from './handlers/call';
import * as c from './handlers/containers';
import * as x from './handlers/exec';
import * as i from './handlers/images';
import * as n from './handlers/networks';
import * as s from './handlers/system';

export interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const ID = '([^/]+)';
const IMAGE = '(.+)';

const table: [string, string, Handler][] = [
  ['GET', '/_ping', s.ping],
  ['HEAD', '/_ping', s.ping],
  ['GET', '/version', s.version],
  ['GET', '/info', s.info],

  ['GET', '/containers/json', c.listContainers],
  ['POST', '/containers/create', c.createContainer],
  ['GET', `/containers/${ID}/json`, c.inspectContainer],
  ['POST', `/containers/${ID}/start`, c.startContainer],
  ['POST', `/containers/${ID}/stop`, c.stopContainer],
  ['POST', `/containers/${ID}/restart`, c.restartContainer],
  ['POST', `/containers/${ID}/kill`, c.killContainer],
  ['POST', `/containers/${ID}/(pause|unpause)`, c.pauseContainer],
  ['POST', `/containers/${ID}/wait`, c.waitContainer],
  ['POST', `/containers/${ID}/resize`, c.resizeContainer],
  ['POST', `/containers/${ID}/attach`, c.attachContainer],
  ['POST', `/containers/${ID}/rename`, c.renameContainer],
  ['POST', `/containers/${ID}/exec`, c.createExec],
  ['GET', `/containers/${ID}/logs`, c.containerLogs],
  ['GET', `/containers/${ID}/top`, c.containerTop],
  ['GET', `/containers/${ID}/stats`, c.containerStats],
  ['GET', `/containers/${ID}/archive`, c.containerArchive],
  ['HEAD', `/containers/${ID}/archive`, c.containerArchive],
  ['PUT', `/containers/${ID}/archive`, c.containerArchive],
  ['GET', `/containers/${ID}/export`, c.refuseExport],
  ['POST', `/containers/${ID}/update`, c.refuseUpdate],
  ['DELETE', `/containers/${ID}`, c.removeContainer],
  ['POST', '/containers/prune', s.refuse('docker container prune is not available in a lab: remove containers with docker rm')],

  ['POST', `/exec/${ID}/start`, x.startExec],
  ['POST', `/exec/${ID}/resize`, x.resizeExec],
  ['GET', `/exec/${ID}/json`, x.inspectExec],

  ['GET', '/networks', n.listNetworks],
  ['POST', '/networks/create', n.createNetwork],
  ['POST', '/networks/prune', n.refuseNetworkPrune],
  ['GET', `/networks/${ID}`, n.inspectNetwork],
  ['DELETE', `/networks/${ID}`, n.removeNetwork],
  ['POST', `/networks/${ID}/connect`, n.connectNetwork],
  ['POST', `/networks/${ID}/disconnect`, n.disconnectNetwork],

  ['GET', '/images/json', i.listImages],
  ['POST', '/images/create', i.pullImage],
  ['POST', '/build', i.buildImage],
  ['POST', '/commit', i.commitContainer],
  ['GET', '/images/search', i.refuseImages],
  ['GET', '/images/get', i.refuseImages],
  ['POST', '/images/load', i.refuseImages],
  ['POST', '/images/prune', i.refuseImages],
  ['GET', `/images/${IMAGE}/json`, i.inspectImage],
  ['GET', `/images/${IMAGE}/history`, i.imageHistory],
  ['POST', `/images/${IMAGE}/tag`, i.tagImage],
  ['POST', `/images/${IMAGE}/push`, i.refuseImages],
  ['GET', `/images/${IMAGE}/get`, i.refuseImages],
  ['DELETE', `/images/${IMAGE}`, i.removeImage],

  ['GET', '/volumes', s.listVolumes],
  ['GET', `/volumes/${ID}`, s.inspectVolume],
  ['GET', `/plugins/${ID}/json`, s.inspectPlugin],
];

export const ROUTES: Route[] = table.map(([method, path, handler]) => ({ method, pattern: new RegExp(`^${path}$`), handler }));

export function route(method: string, path: string): { handler: Handler; params: string[] } | null {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (m) return { handler: r.handler, params: m.slice(1) };
  }
  return null;
}
