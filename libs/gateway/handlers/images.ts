/**
 * Image endpoints. A lab sees the shared images (as `httpd:latest`, `ubuntu:latest`) and
 * the tags it made (build, commit, tag), stored under its own namespace. Pulls of shared
 * images succeed from the host's copy; nothing reaches a registry.
 */
import { Readable } from 'node:stream';
import { labelsFor } from '../../docker/docker-specs';
import type { LabScope } from '../../docker/tenant-docker';
import { rewriteContext } from '../policy/build-context';
import { rewriteDockerfile } from '../policy/dockerfile';
import { parseImageRef } from '../policy/image-refs';
import { isEmpty, ownLabels } from '../policy/values';
import { badRequest, forbidden, notFound } from '../refusal';
import { type GatewayCall, type Handler, json, pick } from './call';

interface EngineImage {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests?: string[] | null;
  Labels?: Record<string, string> | null;
  [key: string]: unknown;
}

/** The tags of an image the lab may see, as the student names them. */
function visibleTags(call: GatewayCall, tags: string[] | null | undefined): string[] {
  const shared = Object.entries(call.settings.sharedImages);
  return (tags ?? []).flatMap((tag) => {
    const name = shared.find(([, ref]) => ref === tag)?.[0];
    if (name) return [`${name}:latest`];
    return call.images.isOwn(tag) ? [tag.slice(call.view.prefix.length + 1)] : [];
  });
}

async function visibleImages(call: GatewayCall): Promise<EngineImage[]> {
  const { status, body } = await call.view.engine.json<EngineImage[]>({ method: 'GET', path: '/images/json' });
  if (status !== 200 || !Array.isArray(body)) throw badRequest('the lab\'s Docker host could not list images');
  return body.filter((i) => visibleTags(call, i.RepoTags).length);
}

function present(call: GatewayCall, image: EngineImage): unknown {
  return call.rewriter.value({ ...image, RepoTags: visibleTags(call, image.RepoTags), RepoDigests: [] });
}

/** The engine reference of an image the student names by tag, id or id prefix, if the lab may see it. */
async function resolveImage(call: GatewayCall, raw: string): Promise<{ ref: string; image?: EngineImage }> {
  const id = /^(sha256:)?([0-9a-f]{4,64})$/.exec(raw);
  if (id) {
    const matches = (await visibleImages(call)).filter((i) => i.Id.replace('sha256:', '').startsWith(id[2]));
    if (matches.length === 1) return { ref: matches[0].Id, image: matches[0] };
    if (matches.length > 1) throw badRequest(`multiple images found with provided prefix: ${raw}`);
  }
  return { ref: call.images.engineRef(raw) };
}

export const listImages: Handler = async (call) => json(200, (await visibleImages(call)).map((i) => present(call, i)));

export const inspectImage: Handler = async (call) => {
  const { ref } = await resolveImage(call, call.params[0]);
  const { status, body } = await call.view.engine.json<EngineImage>({ method: 'GET', path: `/images/${ref}/json` });
  if (status !== 200) throw notFound(`No such image: ${call.params[0]}`);
  if (!visibleTags(call, body.RepoTags).length) throw notFound(`No such image: ${call.params[0]}`);
  return json(200, present(call, body));
};

export const imageHistory: Handler = async (call) => {
  const { ref } = await resolveImage(call, call.params[0]);
  return { kind: 'forward', reply: 'json', call: { method: 'GET', path: `/images/${ref}/history` } };
};

/** `docker pull`: a shared image answers from the host's copy, as an up-to-date pull would. */
export const pullImage: Handler = async (call) => {
  await call.noBody();
  if (call.query.get('fromSrc')) throw forbidden('docker import is not available in a lab: build an image with docker build');
  const from = call.query.get('fromImage') ?? '';
  const tag = call.query.get('tag');
  const { repo } = parseImageRef(tag ? `${from}:${tag}` : from);
  const engineRef = call.images.shared(repo);
  if (!engineRef) {
    throw forbidden(`pull access denied for ${repo}: this lab can pull ${call.images.allowedList()}; build other images yourself with docker build`);
  }
  const { status, body } = await call.view.engine.json<EngineImage>({ method: 'GET', path: `/images/${engineRef}/json` });
  if (status !== 200) throw notFound(`${repo} is not available on this lab's host yet: ask your instructor`);
  const lines = [
    { status: `Pulling from library/${repo}`, id: 'latest' },
    { status: `Digest: ${body.Id}` },
    { status: `Status: Image is up to date for ${repo}:latest` },
  ];
  return { kind: 'stream', status: 200, contentType: 'application/json', body: Readable.from(lines.map((l) => `${JSON.stringify(l)}\r\n`)) };
};

export const removeImage: Handler = async (call) => {
  await call.noBody();
  const raw = call.params[0];
  const { ref, image } = await resolveImage(call, raw);
  let target = ref;
  if (image) {
    // By id: only this lab's tags of it, never the image itself (another lab may have built the same one).
    const own = (image.RepoTags ?? []).filter((t) => call.images.isOwn(t));
    if (own.length !== 1) throw forbidden(`remove ${raw} by name in a lab (docker rmi <name>:<tag>)`);
    target = own[0];
  }
  if (!call.images.isOwn(target)) throw forbidden(`${raw} is shared by every lab on this host and cannot be removed`);
  return { kind: 'forward', reply: 'json', call: { method: 'DELETE', path: `/images/${target}`, query: pick(call.query, ['force', 'noprune']) } };
};

async function assertRoomForImage(call: GatewayCall): Promise<void> {
  const own = (await visibleImages(call)).flatMap((i) => (i.RepoTags ?? []).filter((t) => call.images.isOwn(t)));
  if (own.length >= call.settings.maxImages) {
    throw forbidden(`this lab may have at most ${call.settings.maxImages} images of its own: remove one first (docker rmi <name>)`);
  }
}

export const tagImage: Handler = async (call) => {
  await call.noBody();
  const { ref } = await resolveImage(call, call.params[0]);
  const repo = call.query.get('repo') ?? '';
  const target = parseImageRef(call.query.get('tag') ? `${repo}:${call.query.get('tag')}` : repo);
  const engineTarget = call.images.ownTarget(`${target.repo}:${target.tag}`);
  await assertRoomForImage(call);
  const [engineRepo, engineTag] = [engineTarget.slice(0, engineTarget.lastIndexOf(':')), engineTarget.slice(engineTarget.lastIndexOf(':') + 1)];
  return { kind: 'forward', reply: 'json', call: { method: 'POST', path: `/images/${ref}/tag`, query: { repo: engineRepo, tag: engineTag } } };
};

export const commitContainer: Handler = async (call) => {
  const container = await call.view.container(call.query.get('container') ?? '');
  const repo = call.query.get('repo');
  if (!repo) throw badRequest('give the image a name: docker commit <container> <name>');
  const engineTarget = call.images.ownTarget(call.query.get('tag') ? `${repo}:${call.query.get('tag')}` : repo);
  const changes = call.query.getAll('changes');
  if (changes.some((c) => /^\s*LABEL\b/i.test(c) && /netlabs\./i.test(c))) throw forbidden('netlabs.* labels are NetLabs\' own');
  await assertRoomForImage(call);
  const body = await call.json();
  const [engineRepo, engineTag] = [engineTarget.slice(0, engineTarget.lastIndexOf(':')), engineTarget.slice(engineTarget.lastIndexOf(':') + 1)];
  const config = {
    ...Object.fromEntries(['Cmd', 'Entrypoint', 'Env', 'ExposedPorts', 'WorkingDir', 'User'].filter((k) => body[k] !== undefined).map((k) => [k, body[k]])),
    Labels: { ...ownLabels(body.Labels), ...labelsFor(call.lab.scope, 'image') },
  };
  return {
    kind: 'forward',
    reply: 'json',
    call: {
      method: 'POST',
      path: '/commit',
      query: { container: container.id, repo: engineRepo, tag: engineTag, comment: call.query.get('comment') ?? undefined, author: call.query.get('author') ?? undefined, pause: call.query.get('pause') ?? undefined, ...(changes.length ? {} : {}) },
      json: config,
    },
  };
};

const BUILD_REFUSED: Record<string, string> = {
  remote: 'builds from a remote context (URL or git) are not available in a lab: build from a local folder',
  squash: '--squash is not available in a lab',
  outputs: '--output is not available in a lab',
  session: 'build sessions (BuildKit) are not available in a lab',
};

/**
 * The lab's labels after every FROM. The engine's build cache is shared by every lab and
 * --add-host or proxy build arguments are not part of its key: without a label of the
 * lab's own, one lab could plant a layer that another lab's identical Dockerfile (the TP's)
 * would reuse. And the layers a failed build leaves (untagged, which the `labels` of the
 * build never reach) carry the lab's labels, so its teardown removes them.
 */
function ownCache(dockerfile: string, scope: LabScope): string {
  // Plain words (ids, LAB_LABELS' checked values): no quoting, whatever the Dockerfile's escape character.
  const label = `LABEL ${Object.entries(labelsFor(scope, 'image')).map(([key, value]) => `${key}=${value}`).join(' ')}`;
  return dockerfile
    .split('\n')
    .map((line) => (/^\s*FROM\s/i.test(line) ? `${line}\n${label}` : line))
    .join('\n');
}

/** `docker build`: the legacy builder, on the lab's network, with the lab's limits and tags. */
export const buildImage: Handler = async (call) => {
  if (call.query.get('version') === '2') throw forbidden('BuildKit is not available in a lab: build with the classic builder (DOCKER_BUILDKIT=0)');
  for (const [key, reason] of Object.entries(BUILD_REFUSED)) if (!isEmpty(call.query.get(key))) throw forbidden(reason);
  if (call.query.get('pull') === '1' || call.query.get('pull') === 'true') throw forbidden('--pull is not available in a lab: images come from the lab\'s host');
  const mode = call.query.get('networkmode') ?? '';
  if (mode && mode !== 'default' && mode !== 'bridge') throw forbidden(`--network ${mode} is not available for builds in a lab: builds use the lab's own network`);
  const tags = call.query.getAll('t').map((t) => call.images.ownTarget(t));
  if (tags.length) await assertRoomForImage(call);
  const dockerfile = call.query.get('dockerfile') || 'Dockerfile';
  if (dockerfile.split('/').includes('..') || dockerfile.startsWith('/')) throw badRequest('the Dockerfile must be inside the build context');
  let buildArgs: Record<string, string> = {};
  let labels: Record<string, string> = {};
  try {
    buildArgs = JSON.parse(call.query.get('buildargs') || '{}') as Record<string, string>;
    labels = ownLabels(JSON.parse(call.query.get('labels') || '{}'));
  } catch {
    throw badRequest('invalid buildargs or labels');
  }
  const bases = new Map<string, string>();
  const toEngine = (ref: string) => {
    const engineRef = call.images.engineRef(ref);
    bases.set(engineRef, ref);
    return engineRef;
  };
  const context = await rewriteContext(call.stream(), dockerfile, (text) => ownCache(rewriteDockerfile(text, toEngine, buildArgs), call.lab.scope));
  // The legacy builder pulls a FROM image it does not have: a name the lab lacks would reach a registry.
  for (const [engineRef, name] of bases) {
    const { status } = await call.view.engine.json({ method: 'GET', path: `/images/${engineRef}/json` });
    if (status !== 200) throw notFound(`FROM ${name}: no such image in this lab: build FROM ${call.images.allowedList()} or an image you built (docker images)`);
  }
  const { memoryMb, cpus } = call.settings.limits;
  const memory = String(Math.round(memoryMb * 1024 * 1024));
  const query: Record<string, string | undefined> = {
    ...pick(call.query, ['dockerfile', 'q', 'nocache', 'target', 'extrahosts', 'buildargs']),
    // Build containers carry no lab label: one a failed step left would stay on the engine,
    // where the lab can neither see nor remove it.
    rm: '1',
    forcerm: '1',
    labels: JSON.stringify({ ...labels, ...labelsFor(call.lab.scope, 'image') }),
    networkmode: call.view.engineName('bridge'),
    memory,
    memswap: memory,
    cpuperiod: '100000',
    cpuquota: String(Math.round(cpus * 100_000)),
  };
  const search = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
  for (const t of tags) search.append('t', t);
  return {
    kind: 'forward',
    reply: 'lines',
    call: { method: 'POST', path: `/build?${search.toString()}`, headers: { 'content-type': 'application/x-tar' }, body: context },
  };
};

export const refuseImages: Handler = async () => {
  throw forbidden('this image operation is not available in a lab (push, save, load, search and prune reach beyond it)');
};
