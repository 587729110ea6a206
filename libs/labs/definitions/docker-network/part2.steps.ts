import type { LabStep } from '../../lab-definition';

const START_SERVER = 'docker run -d --name mon-serveur -p {{httpdPort}}:80 httpd';
const IT_WORKS = 'It works!';
const INSTALL_CURL = 'command -v curl >/dev/null || (apt-get update && apt-get install -y curl)';

/** Part 2 of the TP: an Apache server, a shared network namespace, and reaching a server by IP and by name. */
export const part2Steps: LabStep[] = [
  {
    id: '2a',
    title: { fr: 'Un serveur web dans un conteneur', en: 'A web server in a container' },
    instructions: {
      fr: `Pour communiquer entre eux et avec l'extérieur, les conteneurs passent par l'hôte : il doit transmettre (_forwarder_) leurs paquets IP et son pare-feu ne doit pas les bloquer. Tout cela se règle dans le noyau de l'hôte Docker.

Récupérez l'image officielle du serveur HTTP Apache, \`httpd\`. Démarrez en tâche de fond un conteneur nommé \`mon-serveur\` à partir de cette image, de sorte qu'un navigateur de la machine hôte puisse l'interroger par une autre adresse que celle que le bridge lui attribue : publiez son port 80 sur le port **{{httpdPort}}** de l'hôte, le port réservé à votre lab.

La page d'accueil d'Apache (« It works! ») doit alors s'afficher à l'adresse http://{{publicHost}}:{{httpdPort}}/.`,
      en: `To talk to each other and to the outside world, containers go through the host: it must forward their IP packets and its firewall must not block them. All of this is configured in the Docker host's kernel.

Get the official Apache HTTP server image, \`httpd\`. Start a container named \`mon-serveur\` from it in the background, so that a browser on the host machine can reach it at an address other than the one the bridge gives it: publish its port 80 on host port **{{httpdPort}}**, the port reserved for your lab.

Apache's welcome page ("It works!") should then show at http://{{publicHost}}:{{httpdPort}}/.`,
    },
    kind: 'task',
    solution: [
      { do: 'run', container: { name: 'mon-serveur', image: 'httpd', publish: { containerPort: 80, hostPort: 'httpd-port' } } },
      { do: 'fetch-from-host', port: 'httpd-port', path: '/' },
    ],
    checks: [
      { type: 'container-running', container: 'mon-serveur', image: 'httpd', startHint: START_SERVER },
      {
        type: 'http-from-host',
        name: 'Apache page on the published port',
        port: 'httpd-port',
        path: '/',
        bodyMatches: IT_WORKS,
        requires: ['mon-serveur'],
        hint: `publish mon-serveur's port 80 on host port {{httpdPort}} (${START_SERVER})`,
      },
    ],
  },
  {
    id: '2b',
    title: { fr: "Partager l'espace réseau d'un conteneur", en: "Sharing a container's network" },
    instructions: {
      fr: `Récupérez l'image officielle \`ubuntu\`. Assurez-vous que \`mon-serveur\` tourne toujours, puis lancez :

\`\`\`
docker run --rm -it --name container2 --net container:mon-serveur ubuntu
\`\`\`

Dans ce conteneur, installez le paquet \`net-tools\` (\`apt-get update && apt-get install -y net-tools\`), puis lancez \`netstat -al\`.

Que remarquez-vous ? Que pouvez-vous dire de la relation entre \`container2\` et \`mon-serveur\` ?

Laissez \`container2\` tourner pour la vérification.`,
      en: `Get the official \`ubuntu\` image. Make sure \`mon-serveur\` is still running, then run:

\`\`\`
docker run --rm -it --name container2 --net container:mon-serveur ubuntu
\`\`\`

In that container, install the \`net-tools\` package (\`apt-get update && apt-get install -y net-tools\`), then run \`netstat -al\`.

What do you notice? What can you say about how \`container2\` and \`mon-serveur\` relate?

Leave \`container2\` running for the verification.`,
    },
    kind: 'task',
    solution: [
      {
        do: 'run',
        container: { name: 'mon-serveur', image: 'httpd', publish: { containerPort: 80, hostPort: 'httpd-port' } },
        keepIfRunning: true,
      },
      { do: 'run', container: { name: 'container2', image: 'ubuntu', network: 'container:mon-serveur', tty: true } },
      { do: 'exec', container: 'container2', cmd: ['sh', '-c', 'command -v netstat >/dev/null || (apt-get update && apt-get install -y net-tools)'] },
      { do: 'exec', container: 'container2', cmd: ['netstat', '-ltn'] },
    ],
    checks: [
      { type: 'container-running', container: 'mon-serveur', image: 'httpd', startHint: START_SERVER },
      {
        type: 'container-running',
        container: 'container2',
        image: 'ubuntu',
        startHint: 'docker run -dit --name container2 --net container:mon-serveur ubuntu',
      },
      { type: 'container-network-mode', container: 'container2', sharesWith: 'mon-serveur' },
      {
        type: 'command-in-container',
        name: 'container2 sees port 80 listening',
        container: 'container2',
        cmd: ['sh', '-c', 'netstat -ltn'],
        outputMatches: ':80\\s+\\S+\\s+LISTEN',
        onExitCode: { '127': 'netstat is not installed — install net-tools: apt-get update && apt-get install -y net-tools' },
        hint: "nothing listens on port 80 in container2's network namespace: is mon-serveur running, and container2 started with --net container:mon-serveur?",
        requires: ['mon-serveur'],
      },
    ],
  },
  {
    id: '2c',
    title: { fr: 'Joindre un serveur par son adresse, puis par son nom', en: 'Reaching a server by address, then by name' },
    instructions: {
      fr: `Arrêtez et supprimez les conteneurs lancés jusqu'ici, puis repartez de zéro :

1. Lancez en tâche de fond un conteneur \`mon-serveur\` avec le serveur httpd (vous pouvez garder la publication sur le port {{httpdPort}}).
2. Trouvez l'adresse IP de \`mon-serveur\` (\`docker inspect mon-serveur\`).
3. Lancez un conteneur \`container1\` à partir d'\`ubuntu\` et vérifiez que, depuis ce conteneur, un navigateur léger comme \`curl\` obtient la page du serveur httpd à son adresse IP.
4. Lancez un autre conteneur \`container2\` à partir d'\`ubuntu\` avec l'option \`--link mon-serveur:serveur\`, et vérifiez que, depuis ce conteneur, \`curl\` obtient la page sans connaître l'adresse IP du serveur : \`curl http://serveur/\`.

\`curl\` ne fait pas partie de l'image \`ubuntu\` : installez-le dans chaque conteneur (\`apt-get update && apt-get install -y curl\`). Gardez \`container1\` et \`container2\` en marche (\`docker run -dit ...\`) pour la vérification.`,
      en: `Stop and remove the containers started so far, then start again from scratch:

1. Start a container \`mon-serveur\` with the httpd server in the background (you may keep publishing it on port {{httpdPort}}).
2. Find the IP address of \`mon-serveur\` (\`docker inspect mon-serveur\`).
3. Start a container \`container1\` from \`ubuntu\` and check that, from inside it, a light browser such as \`curl\` gets the httpd server's page at its IP address.
4. Start another container \`container2\` from \`ubuntu\` with the option \`--link mon-serveur:serveur\`, and check that, from inside it, \`curl\` gets the page without knowing the server's IP address: \`curl http://serveur/\`.

\`curl\` is not part of the \`ubuntu\` image: install it in each container (\`apt-get update && apt-get install -y curl\`). Keep \`container1\` and \`container2\` running (\`docker run -dit ...\`) for the verification.`,
    },
    kind: 'task',
    solution: [
      // Only part 2's containers: "everything" in the TP, but a lab may already hold the chat's (3c).
      { do: 'remove-containers', names: ['container2', 'container1', 'mon-serveur'] },
      { do: 'run', container: { name: 'mon-serveur', image: 'httpd', publish: { containerPort: 80, hostPort: 'httpd-port' } } },
      { do: 'inspect-container', name: 'mon-serveur' },
      { do: 'run', container: { name: 'container1', image: 'ubuntu', tty: true } },
      { do: 'exec', container: 'container1', cmd: ['sh', '-c', INSTALL_CURL] },
      { do: 'fetch-from-container', container: 'container1', target: { ipOf: 'mon-serveur' }, path: '/' },
      { do: 'run', container: { name: 'container2', image: 'ubuntu', links: [{ container: 'mon-serveur', alias: 'serveur' }], tty: true } },
      { do: 'exec', container: 'container2', cmd: ['sh', '-c', INSTALL_CURL] },
      { do: 'fetch-from-container', container: 'container2', target: { host: 'serveur' }, path: '/' },
    ],
    checks: [
      { type: 'container-running', container: 'mon-serveur', image: 'httpd', startHint: 'docker run -d --name mon-serveur httpd' },
      { type: 'container-address', container: 'mon-serveur', network: 'bridge' },
      { type: 'container-running', container: 'container1', image: 'ubuntu', startHint: 'docker run -dit --name container1 ubuntu' },
      {
        type: 'http-from-container',
        container: 'container1',
        target: { ipOf: 'mon-serveur' },
        path: '/',
        bodyMatches: IT_WORKS,
      },
      {
        type: 'container-running',
        container: 'container2',
        image: 'ubuntu',
        startHint: 'docker run -dit --name container2 --link mon-serveur:serveur ubuntu',
      },
      {
        type: 'http-from-container',
        container: 'container2',
        target: { host: 'serveur' },
        path: '/',
        bodyMatches: IT_WORKS,
        requires: ['mon-serveur'],
        hint: 'start container2 with --link mon-serveur:serveur, on its own network (not --net container:mon-serveur)',
      },
    ],
  },
];
