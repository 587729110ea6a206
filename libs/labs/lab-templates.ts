import type { LabValues } from './lab-values';
import { cidrInside, firstHostOf, formatCidr, parseCidr } from './net-compare';

/**
 * `{{placeholder}}` templates in lab definitions. The set of placeholders is closed:
 * a definition using one not listed here fails to load, so a typo never reaches a
 * student as a literal `{{chatSubnt}}`.
 */

type PlaceholderSource = (values: LabValues) => string;

const PLACEHOLDERS = {
  bridgeSubnet: (v) => v.bridgeSubnet,
  bridgeGateway: (v) => v.bridgeGateway,
  bridgeInterface: (v) => v.bridgeInterface,
  chatSubnet: (v) => v.chatSubnet,
  chatInterface: (v) => v.chatInterface,
  // Derived rather than added to LabValues: they follow from the chat subnet alone.
  chatGateway: (v) => firstHostOf(v.chatSubnet),
  chatIpRange: (v) => clientRangeOf(v.chatSubnet),
  httpdPort: (v) => String(v.httpdPort),
  publicHost: (v) => v.publicHost,
} satisfies Record<string, PlaceholderSource>;

export type PlaceholderName = keyof typeof PLACEHOLDERS;
export const PLACEHOLDER_NAMES = Object.keys(PLACEHOLDERS) as PlaceholderName[];

const PATTERN = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names a template uses, in order of appearance. */
export function placeholdersIn(template: string): string[] {
  return [...template.matchAll(PATTERN)].map((m) => m[1]);
}

export function isPlaceholder(name: string): name is PlaceholderName {
  return Object.prototype.hasOwnProperty.call(PLACEHOLDERS, name);
}

export type TemplateValues = Record<PlaceholderName, string>;

export function templateValues(values: LabValues): TemplateValues {
  const out = {} as TemplateValues;
  for (const name of PLACEHOLDER_NAMES) out[name] = PLACEHOLDERS[name](values);
  return out;
}

/** Replaces every placeholder; throws on an unknown one (loading should have refused it). */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PATTERN, (_all, name: string) => {
    if (!isPlaceholder(name)) throw new Error(`unknown placeholder {{${name}}}`);
    return values[name];
  });
}

/**
 * The ip-range the reference solution gives the chat network: the second /28 of the
 * subnet (x.x.x.16/28), so the gateway (.1) stays outside it and all 14 addresses
 * go to clients.
 */
export function clientRangeOf(subnet: string): string {
  const parsed = parseCidr(subnet);
  if (!parsed.ok) throw new Error(`not a CIDR: ${subnet}`);
  const second = formatCidr({ network: parsed.cidr.network + 16, prefix: 28 });
  return parsed.cidr.prefix <= 27 && cidrInside(second, subnet) ? second : formatCidr({ network: parsed.cidr.network, prefix: 28 });
}
