// What the Sentinel-compatible RESP server needs from the rest of raftinel, and nothing more.
// The server reads this on every command (no caching), so an answer always reflects the state
// the node has applied at that moment. The node wires an implementation over its applied
// topology and its own probe view; tests use a plain object.

/** One Redis node as this raftinel node sees it (its own probes, not the cluster's verdict). */
export interface SentinelRedisNode {
  readonly host: string;
  readonly port: number;
  /** `run_id` from the node's INFO; null while never reached. Sent as `""` like Sentinel. */
  readonly runId: string | null;
  /** This node's subjective view: no valid PING reply for `downAfterMs`. */
  readonly sdown: boolean;
  /** No open command link to the node right now. */
  readonly disconnected: boolean;
  /** Role from the node's last INFO/ROLE (Sentinel's `role-reported`). */
  readonly roleReported: 'master' | 'slave';
  /** Milliseconds since the last valid PING reply. */
  readonly lastOkPingAgoMs: number;
  /** Milliseconds since the last INFO reply (Sentinel's `info-refresh`). */
  readonly infoRefreshAgoMs: number;
  /** Replicas: the master the node reports replicating from; null when unknown. */
  readonly masterHost: string | null;
  readonly masterPort: number | null;
  /** Replicas: `master_link_status` up; null when unknown (masters). */
  readonly linkUp: boolean | null;
  /** Replicas: milliseconds the master link has been down (0 while up). */
  readonly linkDownMs: number;
  readonly priority: number;
  readonly replOffset: number;
}

/** One replication group (Sentinel's "master"), from applied state plus this node's view. */
export interface SentinelShard {
  readonly name: string;
  /** Committed epoch of the current master (Sentinel's `config-epoch`). */
  readonly epoch: number;
  readonly quorum: number;
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  readonly parallelSyncs: number;
  /** A failover or switchover is running: adds `failover_in_progress` and `failover-state`. */
  readonly failoverInProgress: boolean;
  /** The cluster agreed the master is down (adds `o_down`). */
  readonly odown: boolean;
  /** The committed master; null while the shard has none (ambiguous or no candidate). */
  readonly master: SentinelRedisNode | null;
  readonly replicas: readonly SentinelRedisNode[];
}

/** Another raftinel node, as `SENTINEL SENTINELS` lists it. */
export interface SentinelPeer {
  /** raftinel node id (for logs; not sent on the wire). */
  readonly id: string;
  /** Advertised RESP address. */
  readonly host: string;
  readonly port: number;
  /** The peer's `SENTINEL MYID` (40 hex); Sentinel sends it as both `name` and `runid`. */
  readonly runId: string;
  /** This node has a live link to the peer. Default true. False adds `s_down,disconnected`,
   * so clients skip the peer and CKQUORUM does not count it. */
  readonly up?: boolean;
  /** Milliseconds since the last message from the peer. Default 0. */
  readonly lastContactMs?: number;
}

export interface SentinelFailoverResult {
  readonly ok: boolean;
  /** On failure, a RESP error text starting with its code, as Sentinel's:
   * `INPROG Failover already in progress`, `NOGOODSLAVE No suitable replica to promote`.
   * Text without an upper-case code gets `ERR ` in front. */
  readonly error?: string;
}

export interface SentinelClientAuth {
  /** null: `requirepass` style (user `default`); else an ACL-style user name. */
  readonly username: string | null;
  readonly password: string;
}

export interface SentinelSource {
  /** 40 hex characters, stable per raftinel node (`SENTINEL MYID`). */
  myId(): string;
  /** False: GET-MASTER-ADDR-BY-NAME answers `-IDONTKNOW` so clients ask another node, and
   * MASTERS / INFO flag every master `s_down` (this node cannot vouch for its view). */
  hasFreshLeader(): boolean;
  /** Applied shards, in a stable order (it is the order of MASTERS, ROLE and INFO). */
  shards(): readonly SentinelShard[];
  /**
   * Optional fast path for GET-MASTER-ADDR-BY-NAME, the hot command of every client: the
   * committed master's address (null: none yet; undefined: no such shard), without building
   * every record that `shards()` builds.
   */
  masterAddress?(name: string): { readonly host: string; readonly port: number } | null | undefined;
  /** The other raftinel nodes (not this one). */
  sentinels(): readonly SentinelPeer[];
  /** `SENTINEL FAILOVER <shard>`: a planned switchover; resolves when it has finished or failed.
   * Only called on an admin connection, for a shard `shards()` lists. */
  failover(shard: string): Promise<SentinelFailoverResult>;
  /** Constant-time check of the admin token (`AUTH admin <token>`). */
  checkAdminToken(token: string): boolean;
  /** Optional AUTH for normal clients; null: no AUTH needed (user `default`, no password). */
  readonly clientAuth: SentinelClientAuth | null;
}
