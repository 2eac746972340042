#!/bin/sh
# Forms the Redis Cluster of docker-compose.yml once: 3 primaries (slots split in three), each with one
# replica. Run again (a restart of the stack), it sees the cluster is formed and does nothing.
set -eu
NODES="172.28.2.1:6379 172.28.2.2:6379 172.28.2.3:6379 172.28.2.4:6379 172.28.2.5:6379 172.28.2.6:6379"
if redis-cli -h 172.28.2.1 cluster info | grep -q '^cluster_state:ok'; then
  echo "redis cluster already formed"
  exit 0
fi
# shellcheck disable=SC2086 # NODES is a list on purpose
redis-cli --cluster create $NODES --cluster-replicas 1 --cluster-yes
# Wait until every node agrees, so the app never boots against a half-formed cluster.
for _ in $(seq 1 30); do
  redis-cli -h 172.28.2.1 cluster info | grep -q '^cluster_state:ok' && exit 0
  sleep 1
done
echo "redis cluster did not reach cluster_state:ok" >&2
exit 1
