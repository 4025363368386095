#!/bin/bash
# The compose failover of deploy/README.md, as it was run: deploy/docker-compose.yml up with
# local images, a writer, the master's container killed, the timeline of who is master, the old
# master started again (it must come back as a replica), a replica restarted (it must follow the
# current master, not r1), and down. Prints one line per event with the ms since the kill.
#   deploy/local-base/compose-failover.sh            (root, engine running, raftinel:local built)
set -euo pipefail
cd "$(dirname "$0")/.."
export REDIS_IMAGE=${REDIS_IMAGE:-$(local-base/build-base.sh)}
dc() { docker-compose -p raftinel -f docker-compose.yml "$@"; }
ports=(6379 6380 6381)
role() { redis-cli -p "$1" role 2>/dev/null | head -n 1 || true; }
master_of() { redis-cli -p "$1" info replication 2>/dev/null | tr -d '\r' | sed -n 's/^master_port://p'; }
discovered() { redis-cli -p 26389 sentinel get-master-addr-by-name mymaster 2>/dev/null | tail -n 1; }
now() { date +%s%3N; }
say() { echo "$(( $(now) - t0 )) ms: $*"; }

dc down -v >/dev/null 2>&1 || true
# The cluster secret the configs name (peerAuth), made once as deploy/README.md says.
[ -f compose/peer.secret ] || (umask 022 && openssl rand -hex 32 > compose/peer.secret)
t0=$(now)
dc up -d --no-build
until [ "$(redis-cli -p 6380 info replication 2>/dev/null | tr -d '\r' | grep -c 'master_link_status:up')" = 1 ] &&
      [ "$(redis-cli -p 6381 info replication 2>/dev/null | tr -d '\r' | grep -c 'master_link_status:up')" = 1 ]; do
  [ $(( $(now) - t0 )) -lt 120000 ] || { echo "no replication after 120 s"; dc logs --tail 30; exit 1; }
  sleep 0.2
done
say "bootstrap: r2 and r3 replicate from port $(master_of 6380)/$(master_of 6381); discovery says $(discovered)"
for i in $(seq 1 200); do redis-cli -p 6379 set "k$i" "$i" >/dev/null; done
redis-cli -p 6379 wait 2 1000 >/dev/null

t0=$(now); say "docker-compose kill r1 (the master)"; dc kill r1 >/dev/null 2>&1
new=""
while [ -z "$new" ]; do
  for p in 6380 6381; do [ "$(role $p)" = master ] && new=$p; done
  [ $(( $(now) - t0 )) -lt 60000 ] || { echo "no promotion within 60 s"; dc logs --tail 40; exit 1; }
  sleep 0.05
done
say "port $new is master (promoted)"
until [ "$(discovered)" = "$new" ]; do sleep 0.05; done
say "discovery (n2's RESP port) names port $new"
other=$([ "$new" = 6380 ] && echo 6381 || echo 6380)
until [ "$(master_of $other)" = "$new" ]; do sleep 0.05; done
say "port $other replicates from $new"
echo "keys on the new master: $(redis-cli -p "$new" dbsize) (200 written, WAIT 2 acknowledged)"

t0=$(now); say "docker-compose start r1 (the old master, its config says master)"; dc start r1 >/dev/null 2>&1
until [ "$(master_of 6379)" = "$new" ]; do [ $(( $(now) - t0 )) -lt 60000 ] || { echo "r1 not converted"; exit 1; }; sleep 0.05; done
say "r1 is a replica of $new (+convert-to-slave)"

svc=$([ "$other" = 6380 ] && echo r2 || echo r3)
t0=$(now); say "docker-compose restart $svc (a replica)"; dc restart -t 1 "$svc" >/dev/null 2>&1
until [ "$(role $other)" != "" ]; do sleep 0.05; done
say "$svc back: role $(role $other), master_port $(master_of $other) (its saved config: $(docker exec "raftinel_${svc}_1" cat /data/redis.conf | grep -i "^replicaof"))"
[ "$(master_of $other)" = "$new" ] || { echo "FAIL: $svc follows $(master_of $other), not $new"; exit 1; }
dc down -v >/dev/null 2>&1
echo "OK"
