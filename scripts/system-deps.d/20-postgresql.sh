#!/usr/bin/env bash
# PostgreSQL for the service tests: install Debian's package if missing, run one cluster on loopback
# only (no systemd here: pg_ctlcluster), and create the test role and database. Safe to run again.
# Not root (a developer machine)? Then only check that the test database answers, and say how to fix it.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_ROLE=${SAFEPASSAGE_PG_ROLE:-safepassage}
PG_PASSWORD=${SAFEPASSAGE_PG_PASSWORD:-safepassage}
PG_DB=${SAFEPASSAGE_PG_DB:-safepassage_test}
PG_PORT=${SAFEPASSAGE_PG_PORT:-5432}

if [ "${SAFEPASSAGE_SKIP_POSTGRES:-0}" = 1 ]; then
  echo "20-postgresql: SAFEPASSAGE_SKIP_POSTGRES=1, not setting up PostgreSQL"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
    exit 0
  fi
  echo "20-postgresql: not root and no PostgreSQL on 127.0.0.1:$PG_PORT; run 'sudo bash $0' or set SAFEPASSAGE_SKIP_POSTGRES=1" >&2
  exit 0
fi

bash scripts/apt-install.sh postgresql

# The newest installed major version, and its first cluster (create one if the package made none).
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
cluster=$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v {print $2; exit}')
if [ -z "$cluster" ]; then
  cluster=main
  pg_createcluster "$version" "$cluster" --port "$PG_PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi
conf=/etc/postgresql/$version/$cluster/postgresql.conf
# Loopback only, on the agreed port (later lines win over the package defaults above them).
changed=0
for setting in "listen_addresses = '127.0.0.1'" "port = $PG_PORT" "max_connections = 200"; do
  grep -qxF "$setting" "$conf" || { echo "$setting" >> "$conf"; changed=1; }
done

status=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4}')
if [ "$status" != online ]; then
  pg_ctlcluster "$version" "$cluster" start
elif [ "$changed" = 1 ]; then
  pg_ctlcluster "$version" "$cluster" restart
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 1
done
pg_isready -h 127.0.0.1 -p "$PG_PORT" >/dev/null

as_postgres() { (cd /tmp && su postgres -s /bin/sh -c "$*"); }
psql_pg() { as_postgres "psql -p $PG_PORT -X -q -tA -v ON_ERROR_STOP=1 $*"; }
if [ "$(psql_pg "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE'\"")" != 1 ]; then
  psql_pg "-c \"CREATE ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD' CREATEDB\""
fi
if [ "$(psql_pg "-c \"SELECT 1 FROM pg_database WHERE datname = '$PG_DB'\"")" != 1 ]; then
  psql_pg "-c \"CREATE DATABASE $PG_DB OWNER $PG_ROLE\""
fi
echo "20-postgresql: PostgreSQL $version/$cluster on 127.0.0.1:$PG_PORT, database $PG_DB (role $PG_ROLE)"
