import { describe, expect, it } from 'vitest';
import { dockerNetworkDefinition } from './definitions/docker-network.definition';
import { LabCatalogue } from './lab-catalogue';
import { LabDefinitionError } from './lab-definition';

describe('LabCatalogue', () => {
  it('loads the built-in definitions', () => {
    const sut = new LabCatalogue();
    expect(sut.list().map((d) => d.id)).toEqual(['docker-network']);
    expect(sut.get('docker-network')?.terminalContainers).toEqual(['container1', 'container2', 'mon-serveur', 'chat_serveur', 'client1', 'client2', 'client3']);
    expect(sut.get('nope')).toBeUndefined();
  });

  it('refuses to start with a bad definition', () => {
    const broken = { ...dockerNetworkDefinition, id: 'broken', steps: [{ ...dockerNetworkDefinition.steps[0], kind: 'quiz' }] };
    expect(() => new LabCatalogue([broken])).toThrow(LabDefinitionError);
    expect(() => new LabCatalogue([broken])).toThrow('invalid lab definition "broken": steps[0].kind: ');
  });

  it('refuses two definitions with one id', () => {
    expect(() => new LabCatalogue([dockerNetworkDefinition, dockerNetworkDefinition])).toThrow('duplicate lab definition id "docker-network"');
  });
});
