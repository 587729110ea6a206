import { Controller, Get, Query } from '@nestjs/common';
import { ApiDoc } from '../docs/api-doc';
import { LabCatalogue } from '../../../libs/labs/lab-catalogue';
import { langSchema } from './lab.schemas';

@Controller('lab-definitions')
export class LabDefinitionsController {
  constructor(private readonly catalogue: LabCatalogue) {}

  @ApiDoc({ summary: 'Lab definitions: id, title, steps (id, title, kind)', query: { lang: langSchema } })
  @Get()
  list(@Query('lang') lang?: string) {
    const l = langSchema.parse(lang) ?? 'fr';
    return this.catalogue.list().map((d) => ({ id: d.id, title: d.title[l], steps: d.steps.map((s) => ({ id: s.id, title: s.title[l], kind: s.kind })) }));
  }
}
