import { describe, expect, it } from 'vitest';
import { LabCatalogue } from './lab-catalogue';
import { LabRunner } from './lab-runner';
import type { LabValues } from './lab-values';

const definition = new LabCatalogue().get('docker-network')!;
const values: LabValues = {
  bridgeSubnet: '10.96.4.0/24',
  bridgeGateway: '10.96.4.1',
  bridgeInterface: 'nlb4',
  chatSubnet: '10.97.3.0/24',
  chatInterface: 'chat5',
  httpdPort: 20004,
  publicHost: 'labs.example.org',
};

describe('LabRunner.renderInstructions', () => {
  const sut = new LabRunner();

  it.each(['fr', 'en'] as const)('renders every step in TP order with the lab values (%s)', (lang) => {
    const rendered = sut.renderInstructions(definition, values, lang);
    expect(rendered.steps.map((s) => s.id)).toEqual(['1a', '1b', '1c', '2a', '2b', '2c', '3a', '3b', '3c']);
    expect(rendered.markdown).not.toContain('{{');
    const byId = Object.fromEntries(rendered.steps.map((s) => [s.id, s.instructions]));
    expect(byId['2a']).toContain('**20004**');
    expect(byId['2a']).toContain('http://labs.example.org:20004/');
    expect(byId['3b']).toContain('**10.97.3.0/24**');
    expect(byId['3b']).toContain('**chat5**');
    expect(byId['3c']).toContain('**10.97.3.0/24**');
    expect(byId['3c']).toContain('mypython2');
    expect(byId['3c']).toContain('python3 /home/chat/client.py chat_serveur alice');
  });

  it('does not give away the answers of the questions', () => {
    for (const lang of ['fr', 'en'] as const) {
      const { steps } = sut.renderInstructions(definition, values, lang);
      const questions = steps.filter((s) => ['1a', '1b', '1c', '3a'].includes(s.id)).map((s) => s.instructions).join('\n');
      expect(questions).not.toContain('10.96.4.0');
      expect(questions).not.toContain('nlb4');
      expect(questions).not.toContain('com.docker.network.bridge.name');
    }
  });

  it('gives one markdown document: title, introduction, then each step', () => {
    const { markdown, title } = sut.renderInstructions(definition, values, 'fr');
    expect(title).toBe("Exploitation d'une infrastructure réseau dans Docker");
    expect(markdown.startsWith(`# ${title}\n\nCe TP lève le voile`)).toBe(true);
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## 1a. Les réseaux disponibles',
      '## 1b. Le sous-réseau par défaut',
      '## 1c. La passerelle du réseau par défaut',
      '## 2a. Un serveur web dans un conteneur',
      "## 2b. Partager l'espace réseau d'un conteneur",
      '## 2c. Joindre un serveur par son adresse, puis par son nom',
      '## 3a. La commande docker network',
      '## 3b. Créer son propre réseau bridge',
      '## 3c. Un chat sur le réseau chat',
    ]);
  });

  it('has an English version distinct from the French', () => {
    const fr = sut.renderInstructions(definition, values, 'fr');
    const en = sut.renderInstructions(definition, values, 'en');
    expect(en.steps[3].title).toBe('A web server in a container');
    expect(en.steps.every((s, i) => s.instructions !== fr.steps[i].instructions)).toBe(true);
  });
});
