import type { z } from 'zod';
import { taggedUnion } from '../tagged-union';
import type { ActionImpl } from './action';
import { buildImageAction } from './build-image.action';
import { createNetworkAction } from './create-network.action';
import { execAction } from './exec.action';
import { fetchFromContainerAction, fetchFromHostAction } from './fetch.action';
import { inspectContainerAction, inspectNetworkAction } from './inspect.action';
import { listNetworksAction } from './list-networks.action';
import { printAction } from './print.action';
import { removeAllContainersAction, removeContainersAction } from './remove-containers.action';
import { requireNetworkAction } from './require-network.action';
import { runAction } from './run-container.action';
import { waitForPortAction } from './wait-for-port.action';

/**
 * Every solution action a definition may use, keyed by its `do`. A new one (building the
 * chat image) is one file exporting an ActionImpl and one line here.
 */
export const ACTIONS = {
  'build-image': buildImageAction,
  'create-network': createNetworkAction,
  exec: execAction,
  'fetch-from-container': fetchFromContainerAction,
  'fetch-from-host': fetchFromHostAction,
  'inspect-container': inspectContainerAction,
  'inspect-network': inspectNetworkAction,
  'list-networks': listNetworksAction,
  print: printAction,
  'remove-all-containers': removeAllContainersAction,
  'remove-containers': removeContainersAction,
  'require-network': requireNetworkAction,
  run: runAction,
  'wait-for-port': waitForPortAction,
} satisfies Record<string, ActionImpl<any>>;

// Compile-time guard: each key is its action's `do`.
type KeysMatch<T> = { [K in keyof T]: T[K] extends { do: K } ? T[K] : never };
const _keysMatch: KeysMatch<typeof ACTIONS> = ACTIONS;
void _keysMatch;

export type ActionKind = keyof typeof ACTIONS;
export type ActionSpec = { [K in ActionKind]: z.infer<(typeof ACTIONS)[K]['schema']> }[ActionKind];

export const actionSchema: z.ZodType<ActionSpec, z.ZodTypeDef, unknown> = taggedUnion<ActionSpec>('action', 'do', ACTIONS, '');

export function actionImpl(kind: string): ActionImpl<ActionSpec> {
  return (ACTIONS as Record<string, ActionImpl<ActionSpec>>)[kind];
}
