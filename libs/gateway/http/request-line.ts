/**
 * Reads the path of a request the way a strict daemon would, refusing what proxies were
 * bypassed with (research/docker-engine-api.md): percent-encoded paths (`%2F`), dot and
 * empty segments, API version prefixes outside the range we serve. What comes out is a
 * plain path without version, matched exactly against the route table.
 */
import { badRequest } from '../refusal';

/** Oldest and newest client API versions the gateway answers; it always speaks 1.41 to engines. */
export const MIN_API_VERSION = [1, 24] as const;
export const MAX_API_VERSION = [1, 41] as const;

export interface RequestLine {
  path: string;
  segments: string[];
  query: URLSearchParams;
}

const below = (a: readonly number[], b: readonly number[]) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export function parseRequestLine(rawUrl: string): RequestLine {
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
  if (!rawPath.startsWith('/')) throw badRequest('malformed request path');
  if (rawPath.includes('%') || rawPath.includes('\\')) {
    throw badRequest('encoded characters in the request path are not accepted by this daemon');
  }
  let path = rawPath;
  const version = /^\/v(\d+)\.(\d+)(\/.*)$/.exec(rawPath);
  if (version) {
    const v = [Number(version[1]), Number(version[2])];
    if (below(v, MIN_API_VERSION) || below(MAX_API_VERSION, v)) {
      throw badRequest(
        `client API version ${v.join('.')} is not supported: this lab's daemon speaks ${MIN_API_VERSION.join('.')} to ${MAX_API_VERSION.join('.')}`,
      );
    }
    path = version[3];
  } else if (/^\/v\d/.test(rawPath)) {
    throw badRequest('malformed API version in the request path');
  }
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '' || s === '.' || s === '..') && path !== '/') {
    throw badRequest('empty or dot segments in the request path are not accepted by this daemon');
  }
  return { path, segments, query };
}
