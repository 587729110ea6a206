/**
 * What the engine says, turned into what the student's own daemon would say: the lab's
 * prefix disappears from every name (`nl-3f9a2c-mon-serveur` -> `mon-serveur`, the lab's
 * image namespace `nl-3f9a2c/mypython2` -> `mypython2`), shared images take their TP name
 * (`httpd`), and NetLabs' own labels are not shown. One walk over the JSON, keys included
 * (network maps are keyed by name).
 */
import type { GatewayLab, GatewaySettings } from './gateway-lab';

export class LabRewriter {
  private readonly pairs: [string, string][];

  constructor(lab: GatewayLab, settings: Pick<GatewaySettings, 'sharedImages'>) {
    const { prefix } = lab.scope;
    this.pairs = [
      ...Object.entries(settings.sharedImages).map(([name, ref]): [string, string] => [ref, name]),
      [`${prefix}-`, ''],
      [`${prefix}/`, ''],
    ];
  }

  text(s: string): string {
    let out = s;
    for (const [from, to] of this.pairs) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  }

  value<T>(v: T): T {
    return this.walk(v) as T;
  }

  private walk(v: unknown, key?: string): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (key === 'Labels' && k.startsWith('netlabs.')) continue;
        out[key === 'Labels' ? k : this.text(k)] = this.walk(x, k);
      }
      return out;
    }
    return v;
  }
}
