import { z } from 'zod';

const httpsOrLocalUrl = z
  .string({ required_error: 'is required' })
  .url('must be a URL')
  .refine((u) => /^https:\/\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u), 'must be https (http only on 127.0.0.1 or localhost)');

/** POST /lti/platforms: a platform's registration (what its LTI tool settings page shows). */
export const createPlatformSchema = z.object({
  issuer: z.string({ required_error: 'is required' }).trim().min(1, 'must not be empty').max(500),
  clientId: z.string({ required_error: 'is required' }).trim().min(1, 'must not be empty').max(500),
  name: z.string().trim().max(200).optional(),
  authLoginUrl: httpsOrLocalUrl,
  tokenUrl: httpsOrLocalUrl,
  jwksUrl: httpsOrLocalUrl,
  deployments: z.array(z.string().trim().min(1).max(500)).max(100).default([]),
});
export type CreatePlatformBody = z.infer<typeof createPlatformSchema>;

export const addDeploymentSchema = z.object({ deploymentId: z.string({ required_error: 'is required' }).trim().min(1, 'must not be empty').max(500) });
export type AddDeploymentBody = z.infer<typeof addDeploymentSchema>;
