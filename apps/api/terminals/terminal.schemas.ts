import { z } from 'zod';
import { CONSOLE } from '../../../libs/docker/tenant-docker';

/** The terminal target that means the lab's console (libs/docker CONSOLE), not a TP container. */
export const CONSOLE_TERMINAL = 'console';

/** The layer's name of a terminal target: the console is CONSOLE there, TP containers keep their names. */
export const layerName = (container: string) => (container === CONSOLE_TERMINAL ? CONSOLE : container);

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
