import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { AppConfig } from '../../../libs/config/app-config';

export type TrustProxy = false | number | string[];
export type TrustFn = (address: string, hop: number) => boolean;

/**
 * Express's `trust proxy` value from TRUST_PROXY: unset trusts nothing (the socket's address
 * counts). Express compiles it into `app.get('trust proxy fn')`, which clientAddress takes.
 */
export function trustProxySetting(config: Pick<AppConfig, 'TRUST_PROXY'>): TrustProxy {
  return config.TRUST_PROXY ?? false;
}

/**
 * The client's address as Express computes `req.ip`: the socket's peer, or, when that peer
 * is a trusted proxy, the nearest X-Forwarded-For entry added by a trusted proxy. A client
 * that is not a trusted proxy cannot change its address with the header.
 */
export function clientAddress(req: IncomingMessage, trust: TrustFn): string | undefined {
  if (!req.socket.remoteAddress) return undefined;
  return proxyaddr(req as Parameters<typeof proxyaddr>[0], trust);
}
