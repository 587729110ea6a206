import { dockerNetworkDefinition } from './definitions/docker-network.definition';
import { type LabDefinition, LabDefinitionError, loadLabDefinition } from './lab-definition';

/** The definitions NetLabs ships with, as raw data: validated when the catalogue is built. */
export const BUILT_IN_DEFINITIONS: readonly unknown[] = [dockerNetworkDefinition];

/**
 * The lab definitions this process knows. Built at start-up: a definition that does not
 * validate throws LabDefinitionError here, so the process stops instead of serving it.
 */
export class LabCatalogue {
  private readonly byId = new Map<string, LabDefinition>();

  constructor(raw: readonly unknown[] = BUILT_IN_DEFINITIONS) {
    for (const item of raw) {
      const definition = loadLabDefinition(item);
      if (this.byId.has(definition.id)) throw new LabDefinitionError(definition.id, [`id: duplicate lab definition id "${definition.id}"`]);
      this.byId.set(definition.id, definition);
    }
  }

  list(): LabDefinition[] {
    return [...this.byId.values()];
  }

  /** The definition, or undefined for an unknown id (the API turns that into a 400 or 404). */
  get(id: string): LabDefinition | undefined {
    return this.byId.get(id);
  }
}
