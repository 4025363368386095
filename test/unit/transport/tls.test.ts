// Mutual TLS between peers, with certificates made by the openssl CLI for this run only.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TlsFiles } from '../../../src/transport/index.js';
import { createTcpTransport } from '../../../src/transport/index.js';
import { CertMaker } from '../../helpers/certs.js';
import {
  captureLog,
  closedAfterEachTest,
  connectAll,
  heartbeat,
  untilDelivered,
  waitFor,
  type TestNode,
} from './helpers.js';

let dir = '';

let n1Files: TlsFiles;
let n2Files: TlsFiles;
let rogueFiles: TlsFiles;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'raftinel-tls-'));
  // Every peer is both a server and a client, so node certificates serve both uses.
  const certs = new CertMaker(dir);
  certs.ca('cluster-ca');
  certs.ca('other-ca');
  n1Files = certs.leaf('n1', 'cluster-ca', 'both');
  n2Files = certs.leaf('n2', 'cluster-ca', 'both');
  // Trusts the cluster CA (so it accepts the server) but presents a certificate of another CA.
  rogueFiles = { ...certs.leaf('rogue', 'other-ca', 'both'), ca: n1Files.ca };
});

after(() => rmSync(dir, { recursive: true, force: true }));

const opened = closedAfterEachTest();
const node = (id: string, tls: TlsFiles): Promise<TestNode> => opened.node(id, { tls });

describe('mutual TLS', () => {
  test('two nodes with certificates of the cluster CA exchange messages', async () => {
    const [a, b] = [await node('n1', n1Files), await node('n2', n2Files)];
    connectAll([a, b]);
    await untilDelivered('n1 -> n2', a, b);
    await untilDelivered('n2 -> n1', b, a);
  });

  test('PEM text works as well as file paths', async () => {
    const inline: TlsFiles = {
      ca: readFileSync(n1Files.ca, 'utf8'),
      cert: readFileSync(n1Files.cert, 'utf8'),
      key: readFileSync(n1Files.key, 'utf8'),
    };
    const [a, b] = [await node('n1', inline), await node('n2', n2Files)];
    connectAll([a, b]);
    await untilDelivered('n1 -> n2', a, b);
  });

  test('a client whose certificate comes from another CA is refused', async () => {
    const b = await node('n2', n2Files);
    const rogue = await node('n1', rogueFiles);
    b.transport.setMembers(new Map([['n1', rogue.transport.address]]));
    rogue.transport.setMembers(new Map([['n2', b.transport.address]]));
    for (let i = 0; i < 3; i++) rogue.transport.send(heartbeat('n1', 'n2'));
    await waitFor('the refusal', () =>
      b.lines.some((l) => l.event === 'peer-rejected' && l.reason === 'tls-unauthorized'),
    );
    const line = b.lines.find((l) => l.event === 'peer-rejected' && l.reason === 'tls-unauthorized');
    assert.match(String(line?.remote), /^127\.0\.0\.1:\d+$/);
    assert.match(String(line?.detail), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|certificate/i);
    assert.equal(rogue.transport.peers().get('n2')?.connected, false);
    assert.deepEqual(b.inbox, []);
    // And the other way: n2, dialing the rogue, does not accept its server certificate.
    await waitFor('n2 to refuse the rogue listener', () =>
      b.lines.some((l) => l.event === 'peer-connect-failed' && /socket error/.test(String(l.reason))),
    );
    assert.notEqual(b.transport.peers().get('n1')?.connected, true);
  });

  test('a plain TCP client is refused by a TLS listener', async () => {
    const b = await node('n2', n2Files);
    const peer = opened.raw(b);
    peer.send('hello', { version: 2, cluster: 'test-cluster', nodeId: 'n1', addresses: {} });
    await peer.closed;
    assert.deepEqual(peer.received, []);
  });

  test('an unreadable key file fails at start, naming the path only', async () => {
    const missing = join(dir, 'missing.key');
    await assert.rejects(
      createTcpTransport({
        cluster: 'c',
        nodeId: 'n1',
        listen: '127.0.0.1:0',
        tls: { ...n1Files, key: missing },
        logger: captureLog().logger,
      }),
      (err: Error & { code?: string }) => err.code === 'tls_load_failed' && err.message.includes(missing),
    );
  });
});
