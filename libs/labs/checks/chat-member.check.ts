import { z } from 'zod';
import { ipInCidr } from '../net-compare';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, describeState, fail, pass } from './check';

const schema = z
  .object({
    type: z.literal('chat-member'),
    ...checkBaseFields,
    container: z.string().min(1),
    /** Only changes the words: `server chat_serveur: ...`, `client client2: ...`. */
    role: z.enum(['server', 'client']),
    /** The TP network it must be on (`chat`). */
    network: z.string().min(1),
    /** How to create it when it does not exist (a template). */
    startHint: z.string().min(1),
  })
  .strict();
export type ChatMemberCheckSpec = z.infer<typeof schema>;

/**
 * One container of the chat (step 3c): it runs, it is on the chat network, and its
 * address there comes from the network's ip-range (its subnet when it has none). The
 * image is not compared: whatever image a student built, what matters is that the chat
 * works, which the relay check proves.
 */
export const chatMemberCheck: CheckImpl<ChatMemberCheckSpec> = {
  type: 'chat-member',
  readsOnly: true,
  schema,
  describe: (spec, env) => checkMessage(env.lang, spec.role === 'server' ? 'name.chat-member-server' : 'name.chat-member-client', { container: spec.container, network: spec.network }),
  async run(spec, env) {
    const subject = `${spec.role} ${spec.container}`;
    const [info, network] = await Promise.all([env.container(spec.container), env.network(spec.network)]);
    if (!info) return fail(`${subject}: not found — start it with ${env.render(spec.startHint)}`);
    if (!info.running) return fail(`${subject}: not running (${describeState(info)}) — start it with docker start ${spec.container}`);
    const attachment = info.networks.find((n) => n.name === spec.network);
    if (!attachment?.ipv4) {
      const on = info.networks.filter((n) => n.ipv4).map((n) => n.name);
      const where = info.networkMode.startsWith('container:') ? `it shares ${info.networkMode.slice(10)}'s network namespace` : on.length ? `it is on ${on.join(', ')}` : 'it has no address';
      return fail(`${subject}: not on network ${spec.network} (${where}) — recreate it with ${env.render(spec.startHint)}`);
    }
    if (!network) return fail(`${subject}: network ${spec.network} not found — do step 3b first`);
    const range = network.ipRange ?? network.subnet;
    const rangeName = network.ipRange ? 'ip-range' : 'subnet';
    if (range && !ipInCidr(attachment.ipv4, range)) {
      return fail(`${subject}: address ${attachment.ipv4} on ${spec.network} is outside the network's ${rangeName} ${range}`);
    }
    return pass(`${subject}: running on ${spec.network} at ${attachment.ipv4}${range ? ` (inside the ${rangeName} ${range})` : ''}`);
  },
};
