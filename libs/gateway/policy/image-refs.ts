/**
 * Image references as the student types them, mapped to the engine: the shared images
 * (`httpd`, `ubuntu`, any tag, with or without `docker.io/library/`) are the ones NetLabs
 * configured; every other name is the lab's own, stored as `<prefix>/<name>:<tag>` so that
 * two labs' `mypython2` never meet. Nothing else on the engine can be named.
 */
import type { GatewayLab, GatewaySettings } from '../gateway-lab';
import { badRequest } from '../refusal';

export interface ImageRef {
  repo: string;
  tag: string;
}

const REPO = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** `docker.io/library/httpd:2.4` -> {repo: httpd, tag: 2.4}; refuses other registries and paths. */
export function parseImageRef(raw: string): ImageRef {
  if (raw.includes('@')) throw badRequest(`image references by digest are not available in this lab: use a name (${raw})`);
  let ref = raw.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\//, '');
  const colon = ref.lastIndexOf(':');
  const tag = colon > ref.lastIndexOf('/') && colon !== -1 ? ref.slice(colon + 1) : 'latest';
  ref = colon > ref.lastIndexOf('/') && colon !== -1 ? ref.slice(0, colon) : ref;
  if (!REPO.test(ref)) {
    throw badRequest(`invalid reference format: "${raw}" (this lab knows plain names like httpd, ubuntu or an image you built)`);
  }
  if (!TAG.test(tag)) throw badRequest(`invalid tag in "${raw}"`);
  return { repo: ref, tag };
}

export class ImageNames {
  constructor(
    private readonly lab: GatewayLab,
    private readonly settings: Pick<GatewaySettings, 'sharedImages'>,
  ) {}

  shared(repo: string): string | undefined {
    return Object.hasOwn(this.settings.sharedImages, repo) ? this.settings.sharedImages[repo] : undefined;
  }

  /** The engine reference of what the student names (shared, else the lab's own). */
  engineRef(raw: string): string {
    const { repo, tag } = parseImageRef(raw);
    return this.shared(repo) ?? this.ownRef({ repo, tag });
  }

  /** A tag the lab owns (build -t, commit, tag): never a shared image's name. */
  ownTarget(raw: string): string {
    const ref = parseImageRef(raw);
    if (this.shared(ref.repo)) {
      throw badRequest(`"${ref.repo}" is an image every lab shares and cannot be replaced here: choose another name (e.g. my${ref.repo})`);
    }
    return this.ownRef(ref);
  }

  ownRef(ref: ImageRef): string {
    return `${this.lab.scope.prefix}/${ref.repo}:${ref.tag}`;
  }

  isOwn(engineRef: string): boolean {
    return engineRef.startsWith(`${this.lab.scope.prefix}/`);
  }

  allowedList(): string {
    return Object.keys(this.settings.sharedImages).join(', ');
  }
}
