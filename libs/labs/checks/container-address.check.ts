import { z } from 'zod';
import { ipInCidr } from '../net-compare';
import { checkMessage } from '../check-messages';
import { type CheckImpl, checkBaseFields, fail, pass } from './check';

const schema = z
  .object({
    type: z.literal('container-address'),
    ...checkBaseFields,
    container: z.string().min(1),
    network: z.string().min(1),
    /** Subnet the address must be in (a template); the network's live subnet when absent. */
    inSubnet: z.string().min(1).optional(),
  })
  .strict();
export type ContainerAddressCheckSpec = z.infer<typeof schema>;

/** The container has an IPv4 address on the network, inside its subnet. */
export const containerAddressCheck: CheckImpl<ContainerAddressCheckSpec> = {
  type: 'container-address',
  readsOnly: true,
  schema,
  describe: (spec, env) => checkMessage(env.lang, 'name.container-address', { container: spec.container, network: spec.network }),
  needs: (spec) => ({ running: [spec.container] }),
  async run(spec, env) {
    const info = (await env.container(spec.container))!;
    const subject = `container ${spec.container}`;
    const attachment = info.networks.find((n) => n.name === spec.network);
    if (!attachment?.ipv4) {
      const on = info.networks.filter((n) => n.ipv4).map((n) => n.name);
      const where = info.networkMode.startsWith('container:') ? `it shares ${info.networkMode.slice(10)}'s network namespace` : on.length ? `it is on ${on.join(', ')}` : 'it has no address at all';
      return fail(`${subject}: no IPv4 address on network ${spec.network} (${where})`);
    }
    const subnet = spec.inSubnet ? env.render(spec.inSubnet) : (await env.network(spec.network))?.subnet;
    if (subnet && !ipInCidr(attachment.ipv4, subnet)) {
      return fail(`${subject}: address ${attachment.ipv4} on ${spec.network} is outside ${subnet}`);
    }
    return pass(`${subject}: address ${attachment.ipv4} on network ${spec.network}`);
  },
};
