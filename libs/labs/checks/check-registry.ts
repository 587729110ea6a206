import type { z } from 'zod';
import { taggedUnion } from '../tagged-union';
import { answerCheck } from './answer.check';
import type { CheckImpl } from './check';
import { chatMemberCheck } from './chat-member.check';
import { chatRelayCheck } from './chat-relay.check';
import { chatServerCheck } from './chat-server.check';
import { commandInContainerCheck } from './command-in-container.check';
import { containerAddressCheck } from './container-address.check';
import { containerNetworkModeCheck } from './container-network-mode.check';
import { containerRunningCheck } from './container-running.check';
import { httpFromContainerCheck } from './http-from-container.check';
import { httpFromHostCheck } from './http-from-host.check';
import { networkCheck } from './network.check';

/**
 * Every check type a definition may use, keyed by its `type`. A new kind of check (the
 * chat's message relay) is one file exporting a CheckImpl and one line here.
 */
export const CHECKS = {
  answer: answerCheck,
  'chat-member': chatMemberCheck,
  'chat-relay': chatRelayCheck,
  'chat-server': chatServerCheck,
  'command-in-container': commandInContainerCheck,
  'container-address': containerAddressCheck,
  'container-network-mode': containerNetworkModeCheck,
  'container-running': containerRunningCheck,
  'http-from-container': httpFromContainerCheck,
  'http-from-host': httpFromHostCheck,
  network: networkCheck,
} satisfies Record<string, CheckImpl<any>>;

// Compile-time guard: each key is its check's `type` (a typo here would mis-route specs).
type KeysMatch<T> = { [K in keyof T]: T[K] extends { type: K } ? T[K] : never };
const _keysMatch: KeysMatch<typeof CHECKS> = CHECKS;
void _keysMatch;

export type CheckType = keyof typeof CHECKS;
export type CheckSpec = { [K in CheckType]: z.infer<(typeof CHECKS)[K]['schema']> }[CheckType];

export const checkSchema: z.ZodType<CheckSpec, z.ZodTypeDef, unknown> = taggedUnion<CheckSpec>('check', 'type', CHECKS);

export function checkImpl(type: string): CheckImpl<CheckSpec> {
  return (CHECKS as Record<string, CheckImpl<CheckSpec>>)[type];
}
