import type { Lang, LabDefinition } from './lab-definition';
import { renderTemplate, templateValues } from './lab-templates';
import type { LabValues } from './lab-values';

export interface RenderedStep {
  id: string;
  title: string;
  kind: 'task' | 'question';
  /** Markdown, with the lab's own values in place of the placeholders. */
  instructions: string;
}

export interface RenderedLab {
  title: string;
  steps: RenderedStep[];
  /** The whole lab as one markdown document: title, introduction, then each step. */
  markdown: string;
}

export function renderLab(definition: LabDefinition, values: LabValues, lang: Lang): RenderedLab {
  const vars = templateValues(values);
  const render = (text: string) => renderTemplate(text, vars).trim();
  const steps = definition.steps.map((step) => ({
    id: step.id,
    title: render(step.title[lang]),
    kind: step.kind,
    instructions: render(step.instructions[lang]),
  }));
  const title = render(definition.title[lang]);
  const parts = [`# ${title}`];
  if (definition.intro) parts.push(render(definition.intro[lang]));
  for (const step of steps) parts.push(`## ${step.id}. ${step.title}`, step.instructions);
  return { title, steps, markdown: `${parts.join('\n\n')}\n` };
}
