/**
 * The values that make one lab different from every other lab on its Docker host,
 * derived from its allocations. Instructions are rendered with them and checks compare
 * the live state against them.
 */
export interface LabValues {
  /** The lab's stand-in for the TP's default bridge network. */
  bridgeSubnet: string; // "10.96.4.0/24"
  bridgeGateway: string; // "10.96.4.1"
  bridgeInterface: string; // "nlb4"
  /** The subnet the student gives the `chat` network in step 3b (the TP's 192.168.1.0/24). */
  chatSubnet: string; // "10.96.5.0/24"
  chatInterface: string; // "chat5" (the TP's chat0)
  /** Host port `mon-serveur` publishes its port 80 on (step 2a). */
  httpdPort: number;
  /** Address students use to reach published ports. */
  publicHost: string;
}
