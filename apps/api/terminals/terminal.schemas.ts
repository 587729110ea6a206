import { z } from 'zod';

/** The terminal target that means the lab's console (libs/docker CONSOLE), not a TP container. */
export const CONSOLE_TERMINAL = 'console';

export const openTerminalSchema = z
  .object({
    /** "console" (the default): the lab's console; else a TP container such as container1. */
    container: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'must be a container name such as console or container1')
      .default(CONSOLE_TERMINAL),
  })
  .strict();
export type OpenTerminalBody = z.infer<typeof openTerminalSchema>;

export const reconnectTerminalSchema = z.object({}).strict();
