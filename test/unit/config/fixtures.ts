// Config texts shared by the config tests. DESIGN_EXAMPLE is the example of docs/design.md 6a,
// verbatim: the contract says it is a valid config.

export const DESIGN_EXAMPLE = `cluster: demo                  # cluster id; peers and clients of another cluster are refused
node:
  id: n1
  dataDir: ./data/n1           # created if missing
  listen:
    sentinel: 127.0.0.1:26379  # RESP, Sentinel-compatible
    http: 127.0.0.1:26380
    raft: 127.0.0.1:26381
  announce: {}                 # optional {host, sentinel, http, raft} others should dial (NAT, containers)
  sourceAddress: null          # optional local address for outgoing connections (tests give each node its own)
peers:                         # every voter at bootstrap, this node included
  - { id: n1, raft: 127.0.0.1:26381 }
  - { id: n2, raft: 127.0.0.1:26391 }
  - { id: n3, raft: 127.0.0.1:26401 }
raft: { tickMs: 50, electionTicks: 10, heartbeatTicks: 2, snapshotEntries: 10000 }
defaults:                      # shard settings; each may be overridden inside a shard
  downAfterMs: 5000
  pingIntervalMs: 100
  infoIntervalMs: 1000
  quorum: majority             # or a number
  selection: least-lag         # or priority-first
  maxLagBytes: null            # null: no budget
  maxLinkDownMs: null          # null: 10 x downAfterMs
  parallelSyncs: 1
  failoverCooldownMs: 60000
  failoverTimeoutMs: 30000
  holistic: false
  minReplicasToWrite: null     # opt-in (4.8): min-replicas-to-write on the master, managed
  minReplicasMaxLagMs: 10000   # min-replicas-max-lag with it (whole seconds in Redis)
shards:                        # seeds the Raft log once, at bootstrap (section 1)
  - name: mymaster
    nodes:
      - { id: r1, host: 127.0.0.1, port: 6379 }
      - { id: r2, host: 127.0.0.1, port: 6380 }
      - { id: r3, host: 127.0.0.1, port: 6381, priority: 50, noFailover: false }   # priority default 100, 0 = never
    initialMaster: r1
    downAfterMs: 5000
    quorum: 2
    auth: { username: raftinel, passwordFile: ./redis.pass }   # optional
    tls: { ca: ./ca.pem }                                        # optional
admin: { tokenFile: ./admin.token }                             # optional (section 5.2)
clients: { auth: { username: null, passwordFile: ./clients.pass } }   # optional AUTH on the RESP port
tls: { peer: {}, sentinel: {}, http: {} }                       # optional, each {ca, cert, key}
sidecar: { redis: r1, fenceAfterMs: 3000 }                      # optional; fenceAfterMs <= 0.8 x downAfterMs, null derives it
hooks: { onSwitchMaster: ./on-switch.sh, onFailoverEnd: null, timeoutMs: 10000 }  # optional
log: { level: info }
`;

/** Only the required keys. */
export const MINIMAL = `cluster: demo
node: { id: n1 }
peers:
  - { id: n1, raft: 127.0.0.1:26381 }
  - { id: n2, raft: 127.0.0.1:26391 }
  - { id: n3, raft: 127.0.0.1:26401 }
shards:
  - name: mymaster
    nodes:
      - { id: r1, host: 127.0.0.1, port: 6379 }
      - { id: r2, host: 127.0.0.1, port: 6380 }
`;

/** The files DESIGN_EXAMPLE refers to, relative to the config's folder. */
export const DESIGN_EXAMPLE_FILES = ['redis.pass', 'ca.pem', 'admin.token', 'clients.pass'];
export const DESIGN_EXAMPLE_HOOK = 'on-switch.sh';
