import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UiErrorCode, uiError } from './errors';

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The token a non-loopback server needs; refuses to serve the network without one. */
export function checkListenSecurity(host: string, token: string | undefined): void {
  if (token !== undefined && token.length < 16) {
    throw uiError(
      UiErrorCode.INVALID_OPTION,
      `the dashboard token is ${token.length} characters long; use at least 16 (for example: openssl rand -hex 24)`,
    );
  }
  if (!isLoopback(host) && (token === undefined || token === '')) {
    throw uiError(
      UiErrorCode.TOKEN_REQUIRED,
      `--host ${host} is reachable from other machines: give a token with --token or CASCADENCE_UI_TOKEN`,
      {
        suggestions: [
          'serve on 127.0.0.1 (the default) and reach it through an SSH tunnel',
          'or set CASCADENCE_UI_TOKEN to a long random string',
        ],
      },
    );
  }
}

/**
 * Constant-time comparison of two secrets. Both are hashed first so the comparison takes the same
 * time whatever their lengths (timingSafeEqual itself needs equal-length inputs).
 */
export function secretsEqual(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

export function randomToken(): string {
  return randomBytes(32).toString('hex');
}

export const TOKEN_COOKIE = 'cascadence_ui_token';
export const CSRF_HEADER = 'x-cascadence-csrf';

/** The access token a request carries: `Authorization: Bearer`, the dashboard's cookie, or none. */
export function requestToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const cookies = req.headers.cookie;
  if (typeof cookies !== 'string') return undefined;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Host header check against DNS rebinding: a page on another site that resolves its name to this
 * address would send its own name as Host. Only the names this server was started for pass.
 * `allowed` undefined: any name (a server with a token, reached by names it cannot know; a
 * rebinding page has no token, and the token cookie is scoped to the real name).
 */
export function hostAllowed(hostHeader: string | undefined, allowed: ReadonlySet<string> | undefined): boolean {
  if (hostHeader === undefined) return false;
  return allowed === undefined || allowed.has(hostHeader.toLowerCase());
}

/**
 * A mutating request must come from the dashboard's own page: same Origin (when the browser sends
 * one), not marked cross-site, JSON (a cross-site form cannot send it without a CORS preflight,
 * which this server never grants) and carrying the page's CSRF token.
 */
export function checkMutation(req: IncomingMessage, csrfToken: string, allowedHosts: ReadonlySet<string> | undefined): void {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host.toLowerCase();
    } catch {
      throw uiError(UiErrorCode.FORBIDDEN, `the request's Origin "${origin.slice(0, 100)}" is not a URL`);
    }
    if (!hostAllowed(originHost, allowedHosts) || originHost !== (req.headers.host ?? '').toLowerCase()) {
      throw uiError(UiErrorCode.FORBIDDEN, `the request comes from another site (Origin ${origin.slice(0, 100)})`);
    }
  }
  if (req.headers['sec-fetch-site'] === 'cross-site')
    throw uiError(UiErrorCode.FORBIDDEN, 'the request comes from another site (Sec-Fetch-Site: cross-site)');
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type))
    throw uiError(UiErrorCode.FORBIDDEN, `actions must be sent as application/json (got "${type.slice(0, 60)}")`);
  const given = req.headers[CSRF_HEADER];
  if (!secretsEqual(csrfToken, typeof given === 'string' ? given : undefined)) {
    throw uiError(UiErrorCode.FORBIDDEN, `the request lacks the page's CSRF token (${CSRF_HEADER} header); reload the page`);
  }
}

/** Strict policy: only this server's own scripts and styles, no inline code, no eval, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
