#!/bin/sh
# The replica's first start clones the primary (pg_basebackup -R writes standby.signal and
# primary_conninfo); every later start just runs the standby. PGPASSWORD is the replicator's.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -U replicator -q; do sleep 1; done
  pg_basebackup -h "$PRIMARY_HOST" -U replicator -D "$PGDATA" -R -X stream
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
