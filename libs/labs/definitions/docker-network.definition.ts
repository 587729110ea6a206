import type { LabDefinition } from '../lab-definition';
import { part1Steps } from './docker-network/part1.steps';
import { part2Steps } from './docker-network/part2.steps';
import { part3Steps } from './docker-network/part3.steps';

/**
 * The TP "Exploitation d'une infrastructure réseau dans Docker" (../../shared/lab/), as data.
 * Loaded and validated by LabCatalogue at start-up; step 3c (the chat) is added to part 3.
 */
export const dockerNetworkDefinition: LabDefinition = {
  id: 'docker-network',
  title: {
    fr: "Exploitation d'une infrastructure réseau dans Docker",
    en: 'Working with network infrastructure in Docker',
  },
  intro: {
    fr: `Ce TP lève le voile sur la façon dont les conteneurs Docker communiquent, entre eux et avec l'extérieur, sans entrer dans toutes les subtilités du réseau Docker. À la fin, vous connaîtrez les bases du réseau dans Docker et les techniques pour tirer parti d'une infrastructure « dockerisée ».

Docker confie la gestion du réseau à la bibliothèque \`libnetwork\`, qui fournit de base plusieurs types de réseaux (des _drivers_) :

- **bridge** : un réseau interne à l'hôte, sur lequel se branchent vos conteneurs ;
- **host** : le conteneur utilise directement les interfaces réseau de l'hôte ;
- **none** : pas de réseau du tout pour le conteneur ;
- **overlay** : un réseau interne qui relie plusieurs hôtes (utilisé par Docker Swarm, hors du champ de ce TP).

Par défaut, Docker branche les conteneurs sur le réseau _bridge_. Des plugins permettent d'ajouter d'autres types de réseaux.

Votre lab tourne sur un hôte Docker partagé par toute la classe : il a son propre réseau \`bridge\` (un pont Linux à lui, pas le \`docker0\` de l'hôte), et les noms du TP (\`mon-serveur\`, \`container1\`, \`chat\`...) désignent les objets de votre lab.`,
    en: `This lab lifts the veil on how Docker containers communicate, with each other and with the outside world, without going into every subtlety of Docker networking. By the end you will know the basics of Docker networking and the techniques to get the most out of a "dockerised" infrastructure.

Docker leaves networking to the \`libnetwork\` library, which comes with several kinds of networks (_drivers_):

- **bridge**: a network inside the host that your containers plug into;
- **host**: the container uses the host's network interfaces directly;
- **none**: no network at all for the container;
- **overlay**: an internal network spanning several hosts (used by Docker Swarm, beyond this lab).

By default Docker plugs containers into the _bridge_ network. Plugins can add other kinds of networks.

Your lab runs on a Docker host shared by the whole class: it has its own \`bridge\` network (a Linux bridge of its own, not the host's \`docker0\`), and the TP's names (\`mon-serveur\`, \`container1\`, \`chat\`...) are your lab's objects.`,
  },
  terminalContainers: ['container1', 'container2', 'mon-serveur', 'chat_serveur', 'client1', 'client2', 'client3'],
  steps: [...part1Steps, ...part2Steps, ...part3Steps],
};
