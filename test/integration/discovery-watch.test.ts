// GET /v1/shards/{name}/watch (docs/design.md 5.2): Server-Sent Events with the current state first,
// then every change with its epoch — here, the failover after a SIGKILL of the master.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { FailoverRig } from '../helpers/failover-rig.js';

interface WatchedShard {
  readonly name: string;
  readonly epoch: number;
  readonly master: { readonly id: string } | null;
  readonly state: string;
}

/** Opens the SSE stream and hands each `shard` event to onEvent until it returns true. */
function watch(
  url: string,
  onEvent: (v: WatchedShard) => boolean,
  timeoutMs: number,
): Promise<WatchedShard[]> {
  return new Promise((resolve, reject) => {
    const seen: WatchedShard[] = [];
    const req = http.get(url, (res) => {
      assert.equal(res.statusCode, 200);
      assert.match(String(res.headers['content-type']), /text\/event-stream/);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (!frame.includes('event: shard') || !data) continue;
          const v = JSON.parse(data.slice(6)) as WatchedShard;
          seen.push(v);
          if (onEvent(v)) {
            clearTimeout(timer);
            req.destroy();
            resolve(seen);
          }
        }
      });
    });
    req.on('error', (err) => {
      if (!req.destroyed) reject(err);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`watch: no matching event in ${timeoutMs} ms; saw ${JSON.stringify(seen)}`));
    }, timeoutMs);
  });
}

test('watch: the current state first, then the failover with its new epoch', async (t) => {
  const rig = await FailoverRig.create();
  t.after(() => rig.destroy());
  await rig.start();
  const node = rig.cluster.running[0];
  const first = await watch(`${node.httpUrl}/v1/shards/mymaster/watch`, () => true, 5000);
  assert.equal(first[0].epoch, 0);
  assert.equal(first[0].master?.id, 'r1');

  const events = watch(
    `${node.httpUrl}/v1/shards/mymaster/watch`,
    (v) => v.epoch >= 1 && (v.state === 'ok' || v.state === 'cooldown'),
    20_000,
  );
  await new Promise((r) => setTimeout(r, 200));
  await rig.redis('r1').kill();
  const seen = await events;
  assert.equal(seen[0].epoch, 0, 'the stream opens with the state as it was');
  const last = seen[seen.length - 1];
  assert.ok(
    last.master && last.master.id !== 'r1',
    `a new master after the failover: ${JSON.stringify(last)}`,
  );
  t.diagnostic(`events: ${seen.map((v) => `${v.state}@${v.epoch}:${v.master?.id ?? '-'}`).join(' ')}`);
});

test('watch: an unknown shard is 404', async (t) => {
  const rig = await FailoverRig.create();
  t.after(() => rig.destroy());
  await rig.start();
  const r = await rig.cluster.running[0].get('/v1/shards/nope/watch', 2000);
  assert.equal(r.status, 404);
});
