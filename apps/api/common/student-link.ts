import { type AppConfig, publicBaseUrl } from '../../../libs/config/app-config';

/**
 * The link a student opens: their lab's page, with the token in the fragment, which
 * browsers never send to the server (lab-page.js reads `#token=` and drops it from the
 * address bar). An instructor mails it, an LMS redirects to it.
 */
export function studentLabUrl(config: Pick<AppConfig, 'PUBLIC_URL' | 'LAB_PUBLIC_HOST' | 'PORT'>, labId: string, token: string): string {
  return `${publicBaseUrl(config)}/labs/${labId}/page#token=${encodeURIComponent(token)}`;
}
