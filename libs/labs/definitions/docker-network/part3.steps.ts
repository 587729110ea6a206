import type { LabStep } from '../../lab-definition';

/** What `docker network create --help` prints (Docker CLI 20.10), followed by the bridge driver's options. */
const NETWORK_CREATE_HELP = `Usage:  docker network create [OPTIONS] NETWORK

Create a network

Options:
      --attachable           Enable manual container attachment
      --aux-address map      Auxiliary IPv4 or IPv6 addresses used by Network driver (default map[])
      --config-from string   The network from which to copy the configuration
      --config-only          Create a configuration only network
  -d, --driver string        Driver to manage the Network (default "bridge")
      --gateway strings      IPv4 or IPv6 Gateway for the master subnet
      --ingress              Create swarm routing-mesh network
      --internal             Restrict external access to the network
      --ip-range strings     Allocate container ip from a sub-range
      --ipam-driver string   IP Address Management Driver (default "default")
      --ipam-opt map         Set IPAM driver specific options (default map[])
      --ipv6                 Enable IPv6 networking
      --label list           Set metadata on a network
  -o, --opt map              Set driver specific options (default map[])
      --scope string         Control the network's scope
      --subnet strings       Subnet in CIDR format that represents a network segment

# Options of the bridge driver, given with -o/--opt key=value:
#   com.docker.network.bridge.name                  name of the Linux bridge created on the host
#   com.docker.network.bridge.enable_ip_masquerade  masquerade (NAT) outgoing traffic
#   com.docker.network.bridge.enable_icc            let containers of the network talk to each other
#   com.docker.network.bridge.host_binding_ipv4     default host address for published ports
#   com.docker.network.driver.mtu                   MTU of the network's interfaces`;

/** Part 3 of the TP, up to 3b: `docker network` and a bridge network of one's own. 3c (the chat) comes with the chat. */
export const part3Steps: LabStep[] = [
  {
    id: '3a',
    title: { fr: 'La commande docker network', en: 'The docker network command' },
    instructions: {
      fr: `Familiarisez-vous avec la commande \`docker network\` et ses options : lisez l'aide (\`docker network --help\`, \`docker network create --help\`) ou la page de manuel (\`man docker-network-create\`).

**Répondez** : quelle option de \`docker network create\` permet de choisir le nom du pont Linux (l'interface de l'hôte) qui sert de passerelle au réseau créé ? Donnez le nom de l'option.`,
      en: `Get to know the \`docker network\` command and its options: read its help (\`docker network --help\`, \`docker network create --help\`) or its manual page (\`man docker-network-create\`).

**Answer**: which option of \`docker network create\` sets the name of the Linux bridge (the host interface) that is the new network's gateway? Give the option's name.`,
    },
    kind: 'question',
    answer: { type: 'docker-option', fact: 'bridge-name-option' },
    solution: [{ do: 'print', command: 'docker network create --help', text: NETWORK_CREATE_HELP }],
    checks: [{ type: 'answer', name: 'option naming the bridge' }],
  },
  {
    id: '3b',
    title: { fr: 'Créer son propre réseau bridge', en: 'Creating a bridge network of your own' },
    instructions: {
      fr: `Créez un nouveau réseau de type bridge nommé \`chat\`, de sous-réseau **{{chatSubnet}}** (le TP d'origine utilise 192.168.1.0/24 ; sur un hôte partagé, chaque lab a le sien), avec :

- une passerelle par défaut, prise dans ce sous-réseau ;
- le pont Linux qui sert de passerelle nommé **{{chatInterface}}** (le \`chat0\` du TP d'origine) ;
- une plage d'adresses (_ip-range_) de 14 adresses pour les clients.

Vérifiez ensuite avec \`docker network inspect chat\` que le réseau a bien la configuration demandée.`,
      en: `Create a new bridge network named \`chat\` with subnet **{{chatSubnet}}** (the original TP uses 192.168.1.0/24; on a shared host each lab has its own), with:

- a default gateway, taken from that subnet;
- the Linux bridge acting as gateway named **{{chatInterface}}** (the original TP's \`chat0\`);
- an address range (_ip-range_) of 14 addresses for clients.

Then check with \`docker network inspect chat\` that the network has the requested settings.`,
    },
    kind: 'task',
    solution: [
      {
        do: 'create-network',
        name: 'chat',
        subnet: '{{chatSubnet}}',
        gateway: '{{chatGateway}}',
        ipRange: '{{chatIpRange}}',
        bridgeName: '{{chatInterface}}',
      },
      { do: 'inspect-network', name: 'chat' },
    ],
    checks: [
      {
        type: 'network',
        network: 'chat',
        driver: 'bridge',
        subnet: '{{chatSubnet}}',
        gateway: { inSubnet: true },
        ipRange: { usableAddresses: 14 },
        bridgeName: '{{chatInterface}}',
        createHint:
          'docker network create --subnet {{chatSubnet}} --gateway <an address of the subnet> --ip-range <a /28 of the subnet> -o com.docker.network.bridge.name={{chatInterface}} chat',
      },
    ],
  },
];
