import { z } from 'zod';

export const openTerminalSchema = z
  .object({
    container: z
      .string({ required_error: 'is required' })
      .min(1)
      .max(64)
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a container name such as container1'),
  })
  .strict();
export type OpenTerminalBody = z.infer<typeof openTerminalSchema>;

export const reconnectTerminalSchema = z.object({}).strict();
