import 'reflect-metadata';
import { ConfigError, loadConfig } from '../../libs/config/app-config';
import { apiLogger, createApi, StartupError } from './create-api';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApi();
  await app.listen(config.PORT);
  apiLogger.log(`NetLabs API listening on http://127.0.0.1:${config.PORT}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StartupError) {
    console.error(error.message);
  } else {
    console.error('NetLabs API failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
