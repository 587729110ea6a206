/** `/_ping`, `version`, `info`: a daemon of the lab's own, that says nothing of other labs. */
import { Readable } from 'node:stream';
import { ENGINE_API_VERSION } from '../../docker/engine-channel';
import { MIN_API_VERSION } from '../http/request-line';
import { forbidden, notFound } from '../refusal';
import { type Handler, json } from './call';

/** Headers of every answer; Builder-Version 1 keeps the CLI on the classic builder (no BuildKit session). */
export const DAEMON_HEADERS = {
  'api-version': ENGINE_API_VERSION,
  ostype: 'linux',
  'docker-experimental': 'false',
  'builder-version': '1',
  server: 'NetLabs lab daemon',
};

export const ping: Handler = async () => ({ kind: 'stream', status: 200, contentType: 'text/plain; charset=utf-8', body: Readable.from(['OK']) });

export const version: Handler = async (call) => {
  const { body } = await call.view.engine.json<Record<string, unknown>>({ method: 'GET', path: '/version' });
  return json(200, {
    Platform: { Name: 'NetLabs lab daemon' },
    Version: body.Version,
    ApiVersion: ENGINE_API_VERSION,
    MinAPIVersion: MIN_API_VERSION.join('.'),
    GitCommit: body.GitCommit,
    GoVersion: body.GoVersion,
    Os: body.Os,
    Arch: body.Arch,
    KernelVersion: body.KernelVersion,
    BuildTime: body.BuildTime,
    Components: [{ Name: 'Engine', Version: body.Version, Details: { ApiVersion: ENGINE_API_VERSION, MinAPIVersion: MIN_API_VERSION.join('.'), Os: body.Os, Arch: body.Arch } }],
  });
};

export const info: Handler = async (call) => {
  const [containers, engine] = await Promise.all([
    call.view.containers(),
    call.view.engine.json<Record<string, unknown>>({ method: 'GET', path: '/info' }),
  ]);
  const running = containers.filter((c) => c.State === 'running').length;
  const paused = containers.filter((c) => c.State === 'paused').length;
  const e = engine.body;
  return json(200, {
    ID: call.lab.labId,
    Name: `lab-${call.view.prefix}`,
    Containers: containers.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: containers.length - running - paused,
    Images: Object.keys(call.settings.sharedImages).length,
    Driver: e.Driver,
    ServerVersion: e.ServerVersion,
    OperatingSystem: 'NetLabs lab (a shared Docker engine, seen from your lab only)',
    OSType: 'linux',
    Architecture: e.Architecture,
    KernelVersion: e.KernelVersion,
    // An integer: the CLI decodes NCPU as int and `docker info` fails on 0.5.
    NCPU: Math.max(1, Math.ceil(call.settings.limits.cpus)),
    MemTotal: Math.round(call.settings.limits.memoryMb * 1024 * 1024) * call.settings.limits.maxContainers,
    CgroupDriver: e.CgroupDriver,
    CgroupVersion: e.CgroupVersion,
    LoggingDriver: 'json-file',
    Plugins: { Volume: [], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
    SecurityOptions: ['name=no-new-privileges'],
    Swarm: { LocalNodeState: 'inactive' },
    Labels: [],
    Warnings: [],
    IndexServerAddress: '',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: [] },
  });
};

export const listVolumes: Handler = async () => json(200, { Volumes: [], Warnings: null });
export const inspectVolume: Handler = async (call) => {
  throw notFound(`get ${call.params[0]}: no such volume`);
};
export const inspectPlugin: Handler = async (call) => {
  throw notFound(`plugin "${call.params[0]}" not found`);
};

export const refuse =
  (what: string): Handler =>
  async () => {
    throw forbidden(what);
  };
