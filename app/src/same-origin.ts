import { createMiddleware } from 'hono/factory';
import type { Config } from './config.js';
import { forbidden } from './problem.js';

// Methods that only read; every other one may change data.
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin a browser shows for a page served with this request's Host: https when TLS ends in front of the API. */
function ownOrigin(requestUrl: string, behindTls: boolean): string {
  const url = new URL(requestUrl);
  if (behindTls) url.protocol = 'https:';
  return url.origin;
}

/**
 * Refuses requests that change data when a browser sent them from a page of another origin. SameSite=Lax cookies
 * still come along from sibling subdomains and other ports of the same site; the Origin header names the page's
 * origin, which must be the API's own or one of ALLOWED_ORIGINS. Clients other than browsers send no Origin and pass.
 */
export function sameOriginWrites(config: Pick<Config, 'allowedOrigins' | 'cookieSecure'>) {
  const allowed = new Set(config.allowedOrigins);
  return createMiddleware(async (c, next) => {
    const origin = c.req.header('origin');
    if (
      origin !== undefined &&
      !READ_METHODS.has(c.req.method) &&
      !allowed.has(origin) &&
      // COOKIE_SECURE=true means the public side speaks TLS (HAProxy itself serves plain HTTP).
      origin !== ownOrigin(c.req.url, config.cookieSecure)
    ) {
      throw forbidden(`Pages from ${origin} may not change data here.`);
    }
    await next();
  });
}
