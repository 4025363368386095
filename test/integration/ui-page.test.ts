// GET /ui (docs/design.md 5.2) in a real browser: headless Chromium driven by playwright-core
// against a real cluster (3 redis-server, 3 raftinel nodes with an admin token). The page shows
// the master; after a SIGKILL of the master it draws the new master within a second of the
// publication (Promoted committed: the history's `published`), and the failover's timeline and
// candidate report appear in the history; a drill started from the page (token, dry run,
// confirmation) pauses writes and reports as the CLI does. Screenshots go to
// test-artifacts/ui-page/ (gitignored).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CliCluster, startRedisGroup, type RedisGroup } from '../helpers/cli-cluster.js';
import { getJson } from '../helpers/http.js';
import { IncrWriter, duplicateAcks } from '../helpers/redis-writer.js';
import { waitFor } from '../helpers/wait.js';
import type { HistoryEntry } from '../../src/failover/types.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'ui-page-token';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/ui-page/', import.meta.url));

/** The part of playwright-core's API this test uses (the package ships its own types; loaded lazily). */
interface Page {
  goto(url: string): Promise<unknown>;
  waitForFunction(fn: () => unknown, arg?: unknown, options?: { timeout?: number }): Promise<JsHandle>;
  evaluate(expression: string): Promise<unknown>;
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>;
  click(selector: string): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  selectOption(selector: string, value: string): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  focus(selector: string): Promise<void>;
  keyboard: { press(key: string): Promise<void> };
  on(event: 'dialog', handler: (dialog: Dialog) => void): void;
  on(event: 'console' | 'pageerror', handler: (message: unknown) => void): void;
}
interface JsHandle {
  jsonValue(): Promise<unknown>;
}
interface Dialog {
  message(): string;
  accept(): Promise<void>;
  dismiss(): Promise<void>;
}
interface Browser {
  newPage(options?: { viewport?: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}
interface Playwright {
  chromium: { launch(options: Record<string, unknown>): Promise<Browser> };
}

/** playwright-core, or why the test cannot run here (require honours NODE_PATH for local runs). */
function playwright(): Playwright | string {
  if (!existsSync(CHROMIUM)) return `no ${CHROMIUM} (Debian package chromium)`;
  try {
    return createRequire(import.meta.url)('playwright-core') as Playwright;
  } catch {
    return 'playwright-core is not installed (npm ci)';
  }
}
const pw = playwright();

/**
 * Waits until `expression` is truthy in the page. Playwright evaluates a string predicate with
 * eval, which the page's Content-Security-Policy forbids; a function is sent over the DevTools
 * protocol instead, which the policy does not govern.
 */
function until(page: Page, expression: string, timeout = 10_000): Promise<JsHandle> {
  return page.waitForFunction(new Function(`return (${expression});`) as () => unknown, undefined, {
    timeout,
  });
}

test('ui: master shown, redrawn after a SIGKILL, timeline in the history, drill from the page', async (t) => {
  // `make test` installs both (Makefile TEST_PKGS, npm ci): a missing one fails, never skips.
  if (typeof pw === 'string') assert.fail(`cannot run the browser test: ${pw}`);
  const { chromium } = pw;
  mkdirSync(ARTIFACTS, { recursive: true });
  const group: RedisGroup = await startRedisGroup(3);
  t.after(() => group.stop());
  // A second shard, so that the page opens on the summary list (a lone master, no replicas).
  const cache: RedisGroup = await startRedisGroup(1, 'c');
  t.after(() => cache.stop());
  const cluster = await CliCluster.start({
    shards: [cache.shard('cache'), group.shard('mymaster')],
    defaults: { downAfterMs: 500, pingIntervalMs: 100 },
    adminToken: TOKEN,
    raft: { tickMs: 50, electionTicks: 10, heartbeatTicks: 1 },
  });
  t.after(() => cluster.destroy());
  await cluster.waitShards(['cache', 'mymaster']);
  const base = cluster.endpoints[0];
  const masterOf = async (): Promise<{ host: string; port: number }> => {
    const r = await getJson<{ host: string; port: number }>(`${base}/v1/shards/mymaster/master`);
    if (r.status !== 200) throw new Error(`no master yet (${r.status})`);
    return r.body;
  };
  const writer = new IncrWriter({ key: 'ui:counter', target: masterOf, intervalMs: 5 }).start();
  t.after(() => writer.stop());

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const dialogs: string[] = [];
  let confirmAnswer = true;
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void (confirmAnswer ? d.accept() : d.dismiss());
  });

  // ---- steady state ----
  const fetchStart = performance.now();
  const html = await fetch(`${base}/ui`);
  assert.equal(html.status, 200);
  assert.match(String(html.headers.get('content-security-policy')), /script-src 'sha256-/);
  const bytes = (await html.arrayBuffer()).byteLength;
  const fetchMs = Math.round(performance.now() - fetchStart);
  await page.goto(`${base}/ui`);
  const loadTimes = async (): Promise<string> => {
    await until(page, `performance.getEntriesByName('raftinel-first-state-drawn').length > 0`);
    const t = (await page.evaluate(
      `[performance.getEntriesByType('navigation')[0].loadEventEnd, performance.getEntriesByName('raftinel-first-state-drawn')[0].startTime]`,
    )) as number[];
    return `load event ${Math.round(t[0])} ms, first state drawn ${Math.round(t[1])} ms`;
  };
  const cold = await loadTimes();
  await page.goto(`${base}/ui`);
  t.diagnostic(
    `page ${bytes} bytes, fetched in ${fetchMs} ms; first visit: ${cold}; second visit: ${await loadTimes()}`,
  );

  // Many shards: the summary first, filtered by state or name; a shard's graph on selection,
  // by keyboard (the arrow keys move between shards).
  assert.equal(
    await page.evaluate(`document.getElementById('detail').hidden`),
    true,
    'no graph before a choice',
  );
  assert.equal(await page.textContent('#shard-count'), '2 of 2 shards shown');
  await page.selectOption('#filter-state', 'not-ok');
  assert.equal(await page.textContent('#shard-count'), '0 of 2 shards shown');
  await page.selectOption('#filter-state', '');
  await page.fill('#filter-name', 'cac');
  assert.equal(await page.textContent('#shard-count'), '1 of 2 shards shown');
  await page.fill('#filter-name', '');
  await page.focus('#shard-rows button[data-shard="cache"]');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  assert.equal(
    await page.evaluate(`document.activeElement.id`),
    'detail-h',
    'the selection moves focus to the shard',
  );
  await until(page, `document.querySelector('#graph [data-role=master] .title')?.textContent === 'r1'`);
  // Lag in bytes and seconds, and every raftinel node's view of each Redis node, from the routes.
  await until(
    page,
    `[...document.querySelectorAll('#graph [data-role=replica]')].length === 2 &&
     [...document.querySelectorAll('#graph .node')].every((n) => /seen up by n1, n2, n3/.test(n.textContent)) &&
     [...document.querySelectorAll('#graph [data-role=replica] .lag')].every((n) => /lag \\d[^?]* s/.test(n.textContent))`,
  );
  const steady = (await page.textContent('main')) ?? '';
  assert.match(steady, /term \d+ · ★ leader n\d · 3 of 3 members healthy/);
  assert.match(steady, /✔ ok/, 'the state in words, not only a colour');
  assert.match(steady, /⇡ link up to r1/);
  await page.screenshot({ path: `${ARTIFACTS}steady.png`, fullPage: true });

  // ---- SIGKILL of the master: the new master drawn within a second of the publication ----
  await writer.waitAcks(20);
  group.byId('r1').kill();
  const [eventAt, drawnAt] = (
    (await (
      await until(
        page,
        `(() => { const g = document.getElementById('graph'); return g.dataset.master && g.dataset.master !== 'r1' ? [g.dataset.masterEventAt, g.dataset.masterDrawnAt] : false; })()`,
        20_000,
      )
    ).jsonValue()) as string[]
  ).map(Number);
  const entry = await waitFor(
    'the failover in the history',
    async () => {
      const r = await getJson<{ entries: HistoryEntry[] }>(`${base}/v1/shards/mymaster/history`);
      return r.body.entries?.find((e) => e.epoch >= 1 && e.result === 'ended');
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  const publishedAt = entry.at + (entry.timeline.published ?? NaN);
  t.diagnostic(
    `new master ${entry.to} drawn ${drawnAt - publishedAt} ms after its publication (its event arrived after ${eventAt - publishedAt} ms)`,
  );
  assert.ok(drawnAt >= publishedAt - 5, 'not drawn before it was published');
  assert.ok(drawnAt - publishedAt < 1000, `drawn ${drawnAt - publishedAt} ms after the publication`);
  await until(
    page,
    `(() => { const a = document.querySelector('#history article[data-epoch="${entry.epoch}"]'); return a && /first repoint/.test(a.textContent) && /★ chosen/.test(a.textContent); })()`,
    10_000,
  );
  const hist = (await page.textContent('#history')) ?? '';
  assert.match(hist, new RegExp(`epoch ${entry.epoch} · failover · r1 → ${entry.to} · ✔ ended`));
  for (const step of ['detection', 'commit', 'promotion', 'first repoint', 'end'])
    assert.match(hist, new RegExp(`${step}: \\d+ ms`), `timeline step ${step}`);
  assert.match(hist, new RegExp(`${entry.to}★ chosen`), 'the candidate report beside the timeline');
  // The dead r1, now listed as a replica of the new master: every raftinel node sees it down.
  await until(
    page,
    `/✖ seen down by n1, n2, n3/.test(document.querySelector('#graph [data-node=r1]')?.textContent)`,
  );
  await page.screenshot({ path: `${ARTIFACTS}after-failover.png`, fullPage: true });

  // ---- a drill from the page: token, dry run, confirmation, report ----
  await page.fill('#token', 'not-the-token');
  await page.click('#unlock-form button');
  await until(page, `/token refused/.test(document.getElementById('admin-state').textContent)`);
  assert.equal(await page.evaluate(`document.getElementById('admin-panel').hidden`), true);
  await page.fill('#token', TOKEN);
  await page.click('#unlock-form button');
  await until(page, `!document.getElementById('admin-panel').hidden`);
  assert.equal(await page.evaluate(`document.getElementById('run-drill').disabled`), true, 'dry run first');
  await page.click('#dry-run');
  await until(
    page,
    `/dry run: a switchover would move/.test(document.getElementById('admin-out').textContent)`,
  );
  const from = entry.to;
  const acksBefore = writer.acks.length;
  await page.click('#run-drill');
  await until(
    page,
    `/switchover of mymaster (finished|failed|reported)/.test(document.getElementById('admin-out').textContent)`,
    40_000,
  );
  const out = (await page.textContent('#admin-out')) ?? '';
  t.diagnostic(out);
  assert.deepEqual(dialogs.length, 1);
  assert.match(dialogs[0], new RegExp(`^Switch over mymaster from ${from} to r\\d\\? Writes pause`));
  assert.match(out, new RegExp(`drill report: mymaster ${from} -> r\\d, epoch \\d+`));
  assert.match(out, /write pause\s+\d+ ms/);
  assert.match(out, /switchover of mymaster finished: master r\d, epoch \d+, writes unpaused/);
  await writer.waitAcks(20);
  assert.ok(writer.acks.length > acksBefore + 20, 'writes resumed after the drill');
  assert.equal(duplicateAcks(writer.acks.slice(acksBefore)), 0, 'no acknowledged write lost in the drill');
  await page.screenshot({ path: `${ARTIFACTS}after-drill.png`, fullPage: true });

  // Pause and resume: each asks first; a refusal changes nothing.
  const paused = async (): Promise<boolean> =>
    (await getJson<{ paused: boolean }>(`${base}/v1/shards/mymaster`)).body.paused;
  confirmAnswer = false;
  await page.click('#pause');
  await until(
    page,
    `/pause cancelled; nothing changed/.test(document.getElementById('admin-out').textContent)`,
  );
  assert.equal(await paused(), false);
  confirmAnswer = true;
  await page.click('#pause');
  await until(page, `/^paused mymaster$/.test(document.getElementById('admin-out').textContent)`);
  assert.equal(await paused(), true);
  await until(page, `/❚❚ paused/.test(document.querySelector('#shard-rows').textContent)`);
  await page.click('#resume');
  await until(page, `/^resumed mymaster$/.test(document.getElementById('admin-out').textContent)`);
  assert.equal(await paused(), false);
  assert.deepEqual(dialogs.slice(1), [
    'Pause automatic failover of mymaster?',
    'Pause automatic failover of mymaster?',
    'Resume automatic failover of mymaster?',
  ]);

  // ---- 200 % zoom (a 1280 px screen at 200 % is 640 CSS px wide) ----
  await page.setViewportSize({ width: 640, height: 900 });
  const overflow = await page.evaluate(`document.documentElement.scrollWidth - innerWidth`);
  assert.ok(Number(overflow) <= 0, `no sideways scrolling at 200 % zoom (overflow ${String(overflow)} px)`);
  await page.screenshot({ path: `${ARTIFACTS}zoom-200.png`, fullPage: true });
  assert.deepEqual(errors, [], 'no script errors on the page');
});
