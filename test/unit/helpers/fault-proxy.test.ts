// The fault proxy keeps a stream's order under jittered delay: a reordered chunk would hand the
// client the replies of two commands swapped (seen as "ROLE reply is INFO text" in the
// no-false-failover runs before the fix).
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { sleep } from '../../helpers/wait.js';

test('delay with jitter keeps the order of the chunks of one connection', async (t) => {
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
  proxy.delay(20, undefined, 15, 'down');
  const client = net.connect({ host: '127.0.0.1', port: proxy.port });
  client.on('error', () => undefined);
  t.after(() => client.destroy());
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
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
