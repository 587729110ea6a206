import type { Lang } from './lang';

/**
 * What checks say to a student, in the lab's languages. Keyed, so a message and its
 * translation sit side by side and a missing one fails to compile. `{name}` is replaced
 * by the parameter of that name. Messages not in here (the detailed mismatches of some
 * checks) are English only for now.
 */
const CATALOGUE = {
  // Questions (answers/answer-compare.ts).
  'answer.right': { en: 'right answer', fr: 'bonne réponse' },
  'answer.wrong-text': { en: '"{answer}" is not the expected answer', fr: '« {answer} » n’est pas la réponse attendue' },
  'answer.option-right': { en: '{answer} is the option that names the bridge interface', fr: '{answer} est l’option qui nomme l’interface du pont' },
  'answer.option-wrong': {
    en: '"{answer}" does not name the bridge interface: look for the bridge driver options in docker network create --help (they are given with -o)',
    fr: '« {answer} » ne nomme pas l’interface du pont : cherchez les options du driver bridge dans docker network create --help (elles se donnent avec -o)',
  },
  'answer.subnet-right': { en: '{answer} is the subnet of your lab\'s bridge network', fr: '{answer} est bien le sous-réseau du réseau bridge de votre lab' },
  'answer.subnet-no-prefix': {
    en: '"{answer}" has no prefix length: give the subnet in CIDR notation, address/prefix (like 172.17.0.0/16)',
    fr: '« {answer} » n’a pas de longueur de préfixe : donnez le sous-réseau en notation CIDR, adresse/préfixe (comme 172.17.0.0/16)',
  },
  'answer.subnet-unreadable': {
    en: '"{answer}" is not a subnet in CIDR notation (like 172.17.0.0/16)',
    fr: '« {answer} » n’est pas un sous-réseau en notation CIDR (comme 172.17.0.0/16)',
  },
  'answer.subnet-host-address': {
    en: '{answer} is an address inside the subnet, not the subnet\'s network address (its host bits must be 0)',
    fr: '{answer} est une adresse à l’intérieur du sous-réseau, pas son adresse réseau (les bits d’hôte doivent valoir 0)',
  },
  'answer.subnet-different': {
    en: '{answer} is not the subnet of your lab\'s bridge network: look for IPAM > Config > Subnet in docker network inspect bridge',
    fr: '{answer} n’est pas le sous-réseau du réseau bridge de votre lab : cherchez IPAM > Config > Subnet dans docker network inspect bridge',
  },
  'answer.interface-right': { en: '{answer} is the gateway interface of your lab\'s bridge network', fr: '{answer} est bien l’interface passerelle du réseau bridge de votre lab' },
  'answer.interface-docker0': {
    en: 'docker0 is the Docker host\'s default bridge, shared by everyone on this host; your lab\'s bridge network has its own interface: look at the Options that docker network inspect bridge shows',
    fr: 'docker0 est le pont par défaut de l’hôte Docker, partagé par tous sur cet hôte ; le réseau bridge de votre lab a sa propre interface : regardez les Options que montre docker network inspect bridge',
  },
  'answer.interface-wrong': {
    en: '"{answer}" is not the interface of your lab\'s bridge network: look at the Options that docker network inspect bridge shows',
    fr: '« {answer} » n’est pas l’interface du réseau bridge de votre lab : regardez les Options que montre docker network inspect bridge',
  },
  'answer.networks-right': { en: '{answer}: right, those are your lab\'s networks', fr: '{answer} : exact, ce sont les réseaux de votre lab' },
  'answer.networks-unexpected-one': { en: '{names} is not a network your lab starts with', fr: '{names} n’est pas un réseau présent au démarrage de votre lab' },
  'answer.networks-unexpected-many': { en: '{names} are not networks your lab starts with', fr: '{names} ne sont pas des réseaux présents au démarrage de votre lab' },
  'answer.networks-missing-one': { en: '1 network is missing from your list', fr: 'il manque 1 réseau à votre liste' },
  'answer.networks-missing-many': { en: '{count} networks are missing from your list', fr: 'il manque {count} réseaux à votre liste' },
  'answer.networks-wrong': { en: '{problems}: compare with what docker network ls lists', fr: '{problems} : comparez avec ce qu’affiche docker network ls' },
  'answer.no-question': { en: 'step {step} has no question to answer', fr: 'l’étape {step} ne pose pas de question' },

  // Every check (step-verifier.ts).
  'check.skipped-missing': { en: 'skipped: container {container} not found (start it first)', fr: 'non vérifié : le conteneur {container} n’existe pas (démarrez-le d’abord)' },
  'check.skipped-stopped': { en: 'skipped: container {container} is {state}, not running', fr: 'non vérifié : le conteneur {container} est {state}, pas en marche' },
  'check.timed-out': { en: '{name}: timed out, no result within {duration}', fr: '{name} : délai dépassé, pas de résultat en {duration}' },
  'check.unchecked': { en: '{name}: could not be checked ({reason})', fr: '{name} : n’a pas pu être vérifié ({reason})' },

  // container-running.
  'running.name': { en: 'container {container} running', fr: 'conteneur {container} en marche' },
  'running.name-image': { en: 'container {container} running ({image})', fr: 'conteneur {container} en marche ({image})' },
  'running.not-found': { en: 'container {container}: not found — start it with {how}', fr: 'conteneur {container} : introuvable — démarrez-le avec {how}' },
  'running.stopped': {
    en: '{state}, expected running — start it again (docker start {container}) or recreate it',
    fr: '{state} au lieu d’être en marche — redémarrez-le (docker start {container}) ou recréez-le',
  },
  'running.wrong-image': { en: 'image is {image}, expected {expected}', fr: 'son image est {image}, {expected} attendue' },
  'running.problems': { en: 'container {container}: {problems}', fr: 'conteneur {container} : {problems}' },
  'running.ok': { en: 'container {container}: running ({image})', fr: 'conteneur {container} : en marche ({image})' },

  // container-network-mode.
  'netmode.name': { en: "{container} shares {other}'s network", fr: '{container} partage le réseau de {other}' },
  'netmode.ok': { en: 'container {container}: shares the network namespace of {other}', fr: 'conteneur {container} : partage l’espace réseau de {other}' },
  'netmode.shares': { en: 'shares the network namespace of {other}', fr: 'partage l’espace réseau de {other}' },
  'netmode.own': { en: 'has its own network ({mode})', fr: 'a son propre réseau ({mode})' },
  'netmode.wrong': {
    en: "container {container}: {actual}, expected to share {other}'s — recreate it with --net container:{other}",
    fr: 'conteneur {container} : {actual}, au lieu de partager celui de {other} — recréez-le avec --net container:{other}',
  },

  // Names of the other checks (their detailed messages are English only for now).
  'name.chat-member-server': { en: 'server {container} on {network}', fr: 'serveur {container} sur {network}' },
  'name.chat-member-client': { en: 'client {container} on {network}', fr: 'client {container} sur {network}' },
  'name.chat-relay': { en: 'a line from {sender} reaches {receivers}', fr: 'une ligne de {sender} parvient à {receivers}' },
  'name.chat-server': { en: 'chat server listening on {address}', fr: 'serveur de chat à l’écoute sur {address}' },
  'name.container-address': { en: '{container} has an address on {network}', fr: '{container} a une adresse sur {network}' },
  'name.http-from-container-ip': { en: "{container} fetches the page at {target}'s IP address", fr: '{container} obtient la page à l’adresse IP de {target}' },
  'name.http-from-container': { en: '{container} fetches {url}', fr: '{container} obtient {url}' },
  'name.http-from-host': { en: 'GET {url} from the host', fr: 'GET {url} depuis l’hôte' },

  // network.
  'network.name': { en: 'network {network}', fr: 'réseau {network}' },
  'network.not-found': { en: 'network {network}: not found — create it with {how}', fr: 'réseau {network} : introuvable — créez-le avec {how}' },
} satisfies Record<string, Record<Lang, string>>;

export type MessageKey = keyof typeof CATALOGUE;

export function checkMessage(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return CATALOGUE[key][lang].replace(/\{(\w+)\}/g, (all, name: string) => (name in params ? String(params[name]) : all));
}

/** Every key with both languages, for tests. */
export const MESSAGE_KEYS = Object.keys(CATALOGUE) as MessageKey[];
