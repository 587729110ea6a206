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

const START_CHAT_SERVER = 'docker run -d --name chat_serveur --net chat mypython2 python3 /home/chat/serveur.py';
const startClient = (name: string) => `docker run -dit --name ${name} --net chat mypython2`;
const CLIENTS = ['client1', 'client2', 'client3'];

/** Part 3 of the TP: `docker network`, a bridge network of one's own, and a chat on it. */
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
    checks: [{ type: 'answer', name: { fr: 'option qui nomme le pont', en: 'option naming the bridge' } }],
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
  {
    id: '3c',
    title: { fr: 'Un chat sur le réseau chat', en: 'A chat on the chat network' },
    instructions: {
      fr: `Un réseau ne sert à rien sans conteneurs dessus : faisons tourner sur \`chat\` une petite messagerie client-serveur (**un chat**).

Le programme est fourni dans le dossier \`chat\` : \`serveur.py\`, \`client.py\` et un \`Dockerfile\`. Le TP d'origine était écrit en Python 2.7, qu'aucune Ubuntu récente ne propose plus : ce chat est en Python 3, mais l'image garde le nom du TP.

1. Construisez une image nommée \`mypython2\` à partir d'\`ubuntu\`, avec Python installé et le dossier \`chat\` copié dans \`/home/\`. Le \`Dockerfile\` fourni fait exactement cela : \`docker build -t mypython2 .\` depuis le dossier \`chat\`.
2. Lancez en tâche de fond un conteneur \`chat_serveur\` à partir de \`mypython2\`, branché sur le réseau \`chat\`, qui exécute le serveur : \`${START_CHAT_SERVER}\`. Il écoute sur le port 5000.
3. Relevez l'adresse IP de \`chat_serveur\` sur \`chat\` (\`docker inspect chat_serveur\`) : elle est prise dans la plage d'adresses (_ip-range_) que vous avez donnée au réseau en 3b, à l'intérieur de **{{chatSubnet}}**.
4. Lancez trois conteneurs clients, \`client1\`, \`client2\` et \`client3\`, à partir de \`mypython2\` sur le réseau \`chat\`, et laissez-les tourner : \`${startClient('client1')}\`, et de même pour les deux autres.
5. Dans chaque client, lancez le client de chat avec un pseudo, par exemple \`docker exec -it client1 python3 /home/chat/client.py chat_serveur alice\` (ou ouvrez un terminal sur \`client1\` depuis la page du lab et tapez \`python3 /home/chat/client.py chat_serveur alice\`). L'adresse IP du serveur marche aussi ; sur un réseau que vous avez créé, le DNS de Docker résout le nom des conteneurs.
6. Écrivez une ligne dans un client : les deux autres reçoivent \`[alice] votre ligne\`. Quittez avec \`/quit\` ou Ctrl-C.

La vérification lance elle-même un client de chat dans \`client1\`, \`client2\` et \`client3\` et fait passer un message de l'un aux autres par \`chat_serveur\` : laissez les quatre conteneurs en marche.`,
      en: `A network is of little use without containers on it: let us run a small client-server messaging system (**a chat**) on \`chat\`.

The program comes in the \`chat\` folder: \`serveur.py\`, \`client.py\` and a \`Dockerfile\`. The original TP was written for Python 2.7, which no recent Ubuntu ships any more: this chat is Python 3, but the image keeps the TP's name.

1. Build an image named \`mypython2\` from \`ubuntu\`, with Python installed and the \`chat\` folder copied into \`/home/\`. The \`Dockerfile\` provided does just that: \`docker build -t mypython2 .\` from the \`chat\` folder.
2. Start a container \`chat_serveur\` from \`mypython2\` in the background, on the \`chat\` network, running the server: \`${START_CHAT_SERVER}\`. It listens on port 5000.
3. Note the IP address of \`chat_serveur\` on \`chat\` (\`docker inspect chat_serveur\`): it comes from the address range (_ip-range_) you gave the network in 3b, inside **{{chatSubnet}}**.
4. Start three client containers, \`client1\`, \`client2\` and \`client3\`, from \`mypython2\` on the \`chat\` network, and keep them running: \`${startClient('client1')}\`, and the same for the other two.
5. In each client, start the chat client with a nickname, for instance \`docker exec -it client1 python3 /home/chat/client.py chat_serveur alice\` (or open a terminal on \`client1\` from the lab's page and type \`python3 /home/chat/client.py chat_serveur alice\`). The server's IP address works too; on a network you created, Docker's DNS resolves container names.
6. Type a line in one client: the other two get \`[alice] your line\`. Leave with \`/quit\` or Ctrl-C.

The verification starts a chat client of its own in \`client1\`, \`client2\` and \`client3\` and sends a message from one to the others through \`chat_serveur\`: keep the four containers running.`,
    },
    kind: 'task',
    solution: [
      { do: 'require-network', name: 'chat', hint: 'do step 3b first (create the chat network), then run 3c again' },
      { do: 'build-image', image: 'mypython2' },
      { do: 'run', container: { name: 'chat_serveur', image: 'mypython2', network: 'chat', cmd: ['python3', '/home/chat/serveur.py'] } },
      { do: 'inspect-container', name: 'chat_serveur' },
      // The clients keep a shell (-dit), not client.py: a student opens a terminal on one
      // (or docker exec -it) and starts the chat client there, as many times as they like.
      ...CLIENTS.map((name) => ({ do: 'run' as const, container: { name, image: 'mypython2' as const, network: 'chat', tty: true } })),
      { do: 'wait-for-port', from: 'client1', host: 'chat_serveur', port: 5000 },
      {
        do: 'print',
        text: 'Ready: open a terminal on client1, client2 and client3 and run in each: python3 /home/chat/client.py chat_serveur <nickname>',
      },
    ],
    checks: [
      { type: 'chat-member', container: 'chat_serveur', role: 'server', network: 'chat', startHint: START_CHAT_SERVER },
      ...CLIENTS.map((name) => ({ type: 'chat-member' as const, container: name, role: 'client' as const, network: 'chat', startHint: startClient(name) })),
      { type: 'chat-server', server: 'chat_serveur', from: CLIENTS },
      { type: 'chat-relay', server: 'chat_serveur', sender: 'client1', receivers: ['client2', 'client3'], requires: ['chat_serveur'] },
    ],
  },
];
