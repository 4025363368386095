// GET /ui: the live status page (docs/design.md 5.2). One self-contained HTML file (inline CSS
// and script, nothing fetched from elsewhere) that the build copies next to this module; it
// reads the JSON routes and the cluster watch stream of the node that served it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorReply, type HttpReply, type Router } from '../../node/http-server.js';

const PAGE_URL = new URL('./page.html', import.meta.url);

let cached: HttpReply | null = null;

export function addUiRoute(router: Router): void {
  router.on('GET', '/ui', () => (cached ??= loadPage()));
}

function loadPage(): HttpReply {
  let html: string;
  try {
    html = readFileSync(PAGE_URL, 'utf8');
  } catch {
    return errorReply(500, 'ui_missing', `the status page is missing from the build (${PAGE_URL.pathname})`);
  }
  return {
    status: 200,
    body: null,
    text: { contentType: 'text/html; charset=utf-8', content: html },
    headers: { 'content-security-policy': policyFor(html), 'cache-control': 'no-cache' },
  };
}

/**
 * Only the page's own inline script and style run (by hash), and it talks to this node only:
 * an injected tag, or a shard name that slipped past escaping, can run nothing.
 */
function policyFor(html: string): string {
  const hashes = (tag: string): string =>
    [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))]
      .map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`)
      .join(' ');
  return [
    "default-src 'none'",
    `script-src ${hashes('script')}`,
    `style-src ${hashes('style')}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
