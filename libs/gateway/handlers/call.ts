/** What a route handler gets (one request, already tied to its lab) and what it decides. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { EngineCall } from '../../docker/engine-channel';
import type { GatewayLab, GatewaySettings } from '../gateway-lab';
import type { LabView } from '../lab-view';
import type { ImageNames } from '../policy/image-refs';
import type { LabRewriter } from '../rewrite';

export type Json = Record<string, unknown>;

export interface GatewayCall {
  lab: GatewayLab;
  view: LabView;
  images: ImageNames;
  rewriter: LabRewriter;
  settings: GatewaySettings;
  method: string;
  /** Captures of the route's pattern, in order. */
  params: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The client asked for an HTTP upgrade (attach, exec start). */
  upgrade: boolean;
  /** The body as JSON ({} when empty); refused past 1 MB or when not JSON. */
  json(): Promise<Json>;
  /** The body as a stream (build contexts, archives). */
  stream(): Readable;
  /** Refuses any body: endpoints that take none must not smuggle options (start with HostConfig). */
  noBody(): Promise<void>;
}

export type Outcome =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'empty'; status: number; headers?: Record<string, string> }
  /** Forward to the engine; `json` replies are rewritten whole, `lines` line by line, `raw` piped. */
  | { kind: 'forward'; call: EngineCall; reply: 'json' | 'lines' | 'raw' }
  | { kind: 'upgrade'; call: EngineCall }
  | { kind: 'stream'; status: number; contentType: string; body: Readable };

export type Handler = (call: GatewayCall) => Promise<Outcome>;

export const json = (status: number, body: unknown): Outcome => ({ kind: 'json', status, body });

/** Copies the named query parameters (only those) for the engine. */
export function pick(query: URLSearchParams, names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((n) => [n, query.get(n) ?? undefined]));
}
