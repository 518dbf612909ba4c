#!/bin/sh
# First start: a cluster in $PGDATA with the role opsbot (password
# $OPSBOT_DB_PASSWORD) owning the database opsbot, UTF-8 and C.UTF-8 as
# docs/operations.md#postgresql asks; TCP connections need that password.
# Every start: the server in the foreground, so that `docker stop` (SIGTERM)
# is a smart shutdown.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  [ -n "${OPSBOT_DB_PASSWORD:-}" ] || {
    echo "start-postgresql: set OPSBOT_DB_PASSWORD (in .env) for the opsbot role" >&2
    exit 1
  }
  initdb -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 --auth-local=peer \
    --auth-host=scram-sha-256 >/dev/null
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  # The password goes through a psql variable, quoted by psql itself.
  psql -v ON_ERROR_STOP=1 -v password="$OPSBOT_DB_PASSWORD" -U postgres -d postgres <<'SQL'
CREATE ROLE opsbot LOGIN PASSWORD :'password';
CREATE DATABASE opsbot OWNER opsbot ENCODING 'UTF8' LOCALE 'C.UTF-8' TEMPLATE template0;
SQL
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "start-postgresql: made the cluster, the role opsbot and its database"
fi
exec postgres -D "$PGDATA"
