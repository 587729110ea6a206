/** docker-modem's SSH transport (dockerode's own): an http.Agent whose connections are `docker system dial-stdio` over ssh2. */
declare module 'docker-modem/lib/ssh' {
  import type { Agent } from 'node:http';
  function sshAgent(options: Record<string, unknown>): Agent;
  export = sshAgent;
}
