#!/bin/sh
# Runs once, when the primary's data directory is created (docker-entrypoint-initdb.d): a role the
# replica streams WAL as, and the pg_hba line that lets it (read at the server start that follows).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres -v pw="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
