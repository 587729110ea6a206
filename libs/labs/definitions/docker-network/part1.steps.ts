import type { LabStep } from '../../lab-definition';

/** Part 1 of the TP: the networks a Docker daemon starts with. Three questions on the lab's live state. */
export const part1Steps: LabStep[] = [
  {
    id: '1a',
    title: { fr: 'Les réseaux disponibles', en: 'The networks available' },
    instructions: {
      fr: `Affichez la liste des réseaux que votre démon Docker met à la disposition des conteneurs (\`docker network ls\`). Que remarquez-vous ?

**Répondez** en donnant les noms des réseaux présents au démarrage de votre lab, dans l'ordre de votre choix, séparés par des espaces ou des virgules.`,
      en: `List the networks your Docker daemon offers to containers (\`docker network ls\`). What do you notice?

**Answer** with the names of the networks your lab starts with, in any order, separated by spaces or commas.`,
    },
    kind: 'question',
    answer: { type: 'name-list', fact: 'initial-network-names' },
    solution: [{ do: 'list-networks' }],
    checks: [{ type: 'answer', name: { fr: 'réseaux présents au démarrage du lab', en: 'networks a lab starts with' } }],
  },
  {
    id: '1b',
    title: { fr: 'Le sous-réseau par défaut', en: 'The default subnet' },
    instructions: {
      fr: `Inspectez le réseau par défaut de votre lab, \`bridge\` (\`docker network inspect bridge\`), et trouvez l'adresse de son sous-réseau.

**Répondez** avec ce sous-réseau en notation CIDR, c'est-à-dire adresse réseau/longueur du préfixe.`,
      en: `Inspect your lab's default network, \`bridge\` (\`docker network inspect bridge\`), and find the address of its subnet.

**Answer** with that subnet in CIDR notation: network address/prefix length.`,
    },
    kind: 'question',
    answer: { type: 'cidr', fact: 'bridge-subnet' },
    solution: [{ do: 'inspect-network', name: 'bridge' }],
    checks: [{ type: 'answer', name: { fr: 'sous-réseau du réseau bridge', en: 'subnet of the bridge network' } }],
  },
  {
    id: '1c',
    title: { fr: 'La passerelle du réseau par défaut', en: 'The gateway of the default network' },
    instructions: {
      fr: `Le réseau de la question précédente a une passerelle par défaut. Où se trouve-t-elle ? C'est une interface de l'hôte Docker : un pont Linux auquel les conteneurs du réseau sont reliés.

**Répondez** avec le nom de cette interface sur l'hôte. Attention : votre lab partage l'hôte avec toute la classe et son réseau \`bridge\` a son propre pont ; regardez les options (\`Options\`) que montre \`docker network inspect bridge\`.`,
      en: `The network of the previous question has a default gateway. Where is it? It is an interface of the Docker host: a Linux bridge the network's containers are plugged into.

**Answer** with the name of that interface on the host. Careful: your lab shares the host with the whole class and its \`bridge\` network has a bridge of its own; look at the \`Options\` that \`docker network inspect bridge\` shows.`,
    },
    kind: 'question',
    answer: { type: 'interface', fact: 'bridge-interface' },
    solution: [{ do: 'inspect-network', name: 'bridge' }],
    checks: [{ type: 'answer', name: { fr: 'interface passerelle du réseau bridge', en: 'gateway interface of the bridge network' } }],
  },
];
