// The status page's document (src/discovery/ui/page.html): self-contained and small. What it
// does is tested in a real browser (test/integration/ui-page.test.ts).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Router } from '../../../src/node/http-server.js';
import { addUiRoute } from '../../../src/discovery/ui/ui-route.js';

test('GET /ui: one small HTML document that loads nothing from elsewhere', async () => {
  const router = new Router();
  addUiRoute(router);
  const reply = await router.handle({
    method: 'GET',
    path: '/ui',
    query: new URLSearchParams(),
    headers: {},
    body: undefined,
    remoteAddress: '127.0.0.1',
  });
  assert.equal(reply.status, 200);
  assert.equal(reply.text?.contentType, 'text/html; charset=utf-8');
  const html = reply.text?.content ?? '';
  const source = readFileSync(new URL('../../../../src/discovery/ui/page.html', import.meta.url), 'utf8');
  assert.equal(html, source, 'the build copied the page next to its module');
  assert.ok(Buffer.byteLength(html) < 60 * 1024, `${Buffer.byteLength(html)} bytes`);
  assert.doesNotMatch(
    html,
    /<(script|link|img|iframe)[^>]+(src|href)=/i,
    'no external script, style or image',
  );
  assert.doesNotMatch(html, /https?:\/\//, 'no absolute URL');
  assert.doesNotMatch(html, /setInterval|setTimeout/, 'no polling loop: updates come from the event stream');
  assert.doesNotMatch(
    html,
    /innerHTML|outerHTML|insertAdjacentHTML|document\.write/,
    'text only, never parsed HTML',
  );
  const csp = reply.headers?.['content-security-policy'] ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
  assert.match(csp, /connect-src 'self'/);
});

test("the page draws its signs only with glyphs that Debian's default font (DejaVu Sans) has", () => {
  // Checked with `fc-list ':charset=<code point>'` against fonts-dejavu-core; a glyph outside it
  // shows as an empty box next to the words (the cooldown sign ⏲ did).
  const drawn = new Set('·✖✔★⚠❚…⟳→●▶◷⇡↳');
  const source = readFileSync(new URL('../../../../src/discovery/ui/page.html', import.meta.url), 'utf8');
  const outside = [...new Set(source.replace(/[\t\n\r\x20-\x7e]/g, ''))].filter((c) => !drawn.has(c));
  assert.deepEqual(outside, [], 'glyphs not in the checked set');
});
