import { z } from 'zod';

/** The languages labs are written in: the TP's French original and English. */
export const localizedSchema = z.object({ fr: z.string().trim().min(1), en: z.string().trim().min(1) }).strict();
export type Localized = z.infer<typeof localizedSchema>;
export type Lang = keyof Localized;
export const LANGS: readonly Lang[] = ['fr', 'en'];
