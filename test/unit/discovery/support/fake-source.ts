// A SentinelSource made of plain fields that tests set directly.
import type {
  SentinelClientAuth,
  SentinelFailoverResult,
  SentinelPeer,
  SentinelRedisNode,
  SentinelShard,
  SentinelSource,
} from '../../../../src/discovery/resp/source.js';

export function redisNode(
  host: string,
  port: number,
  extra: Partial<SentinelRedisNode> = {},
): SentinelRedisNode {
  return {
    host,
    port,
    runId: 'a'.repeat(40),
    sdown: false,
    disconnected: false,
    roleReported: 'master',
    lastOkPingAgoMs: 120,
    infoRefreshAgoMs: 3000,
    masterHost: null,
    masterPort: null,
    linkUp: null,
    linkDownMs: 0,
    priority: 100,
    replOffset: 0,
    ...extra,
  };
}

export function replicaNode(
  host: string,
  port: number,
  master: SentinelRedisNode,
  extra: Partial<SentinelRedisNode> = {},
): SentinelRedisNode {
  return redisNode(host, port, {
    runId: 'b'.repeat(40),
    roleReported: 'slave',
    masterHost: master.host,
    masterPort: master.port,
    linkUp: true,
    replOffset: 12345,
    ...extra,
  });
}

export function shard(
  name: string,
  master: SentinelRedisNode | null,
  replicas: SentinelRedisNode[],
  extra: Partial<SentinelShard> = {},
): SentinelShard {
  return {
    name,
    epoch: 0,
    quorum: 2,
    downAfterMs: 5000,
    failoverTimeoutMs: 180000,
    parallelSyncs: 1,
    failoverInProgress: false,
    odown: false,
    master,
    replicas,
    ...extra,
  };
}

export class FakeSource implements SentinelSource {
  id = '0123456789abcdef0123456789abcdef01234567';
  fresh = true;
  shardList: SentinelShard[] = [];
  peers: SentinelPeer[] = [];
  clientAuth: SentinelClientAuth | null = null;
  adminToken = 'admin-token-123';
  failoverCalls: string[] = [];
  failoverResult: SentinelFailoverResult = { ok: true };
  /** Resolves the failover when set; otherwise it resolves at once. */
  failoverGate: Promise<void> | null = null;
  /** Unset: GET-MASTER-ADDR-BY-NAME reads shards(), as for a source without the fast path. */
  masterAddress?: SentinelSource['masterAddress'];

  myId(): string {
    return this.id;
  }
  hasFreshLeader(): boolean {
    return this.fresh;
  }
  shards(): readonly SentinelShard[] {
    return this.shardList;
  }
  sentinels(): readonly SentinelPeer[] {
    return this.peers;
  }
  async failover(name: string): Promise<SentinelFailoverResult> {
    this.failoverCalls.push(name);
    if (this.failoverGate) await this.failoverGate;
    return this.failoverResult;
  }
  checkAdminToken(token: string): boolean {
    return token === this.adminToken;
  }
}

/** One shard `mymaster` with a master and one replica, and two peers: the usual fixture. */
export function standardSource(masterPort = 6379, replicaPort = 6380): FakeSource {
  const source = new FakeSource();
  const master = redisNode('127.0.0.1', masterPort);
  const replica = replicaNode('127.0.0.1', replicaPort, master);
  source.shardList = [shard('mymaster', master, [replica])];
  source.peers = [
    { id: 'n2', host: '127.0.0.1', port: 26380, runId: 'c'.repeat(40), up: true, lastContactMs: 50 },
    { id: 'n3', host: '127.0.0.1', port: 26381, runId: 'd'.repeat(40), up: true, lastContactMs: 70 },
  ];
  return source;
}
