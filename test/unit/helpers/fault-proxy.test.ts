// The fault proxy keeps a stream's order under jittered delay: a reordered chunk would hand the
// client the replies of two commands swapped (seen as "ROLE reply is INFO text" in the
// no-false-failover runs before the fix), and a stall ends when its time is up (a stall whose
// timer fired early by performance.now() held the link until the next stall: the false failover
// of the no-false-failover test after the relaxed probe cadence).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test, type TestContext } from 'node:test';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { sleep } from '../../helpers/wait.js';

/** An echo server behind a proxy, and a client connected through it. */
async function echoThroughProxy(t: TestContext): Promise<{ proxy: FaultProxy; client: net.Socket }> {
  const echo = net.createServer((s) => {
    s.on('error', () => undefined); // the proxy resets it at the end
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  t.after(() => echo.close());
  const proxy = await FaultProxy.start({
    target: { host: '127.0.0.1', port: (echo.address() as net.AddressInfo).port },
  });
  t.after(() => proxy.close());
  const client = net.connect({ host: '127.0.0.1', port: proxy.port });
  client.on('error', () => undefined);
  t.after(() => client.destroy());
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  return { proxy, client };
}

test('delay with jitter keeps the order of the chunks of one connection', async (t) => {
  const { proxy, client } = await echoThroughProxy(t);
  proxy.delay(20, undefined, 15, 'down');
  let received = '';
  client.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const sent: string[] = [];
  for (let i = 0; i < 300; i++) {
    sent.push(`${i};`);
    client.write(`${i};`);
    if (i % 10 === 0) await sleep(1);
  }
  const expected = sent.join('');
  for (let i = 0; i < 200 && received.length < expected.length; i++) await sleep(10);
  assert.equal(received, expected);
});

test('every stall ends when its time is up', async (t) => {
  const { proxy, client } = await echoThroughProxy(t);
  let received = '';
  client.on('data', (chunk: Buffer) => (received += chunk.toString()));
  // A timer counts from the loop's clock in whole milliseconds, so it may fire up to 1 ms before
  // performance.now() reaches the stall's end: many short stalls make that likely.
  for (let i = 0; i < 40; i++) {
    const stalledAt = performance.now();
    proxy.stall(20);
    client.write(`${i};`);
    for (let w = 0; w < 100 && !received.includes(`${i};`); w++) await sleep(5);
    const heldMs = performance.now() - stalledAt;
    assert.ok(received.includes(`${i};`), `stall ${i} of 20 ms still held after ${Math.round(heldMs)} ms`);
    assert.ok(heldMs >= 19, `stall ${i}: the chunk moved after ${heldMs.toFixed(1)} ms`);
  }
});
