#!/usr/bin/env bash
# Start the Debian PostgreSQL cluster (installing it if absent) and make the huicai role and database.
# Prints the DATABASE_URL to use -- and nothing else on standard output: pg_ctlcluster says things
# like "Removed stale pid file." after an unclean stop, and callers read our output as the URL.
# Idempotent.
set -euo pipefail
exec 3>&1 1>&2  # fd 3 is the caller's stdout; the server we start must not inherit it (3>&- below)
if ! command -v pg_lsclusters >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-contrib >/dev/null
fi
version=$(pg_lsclusters -h | awk 'NR==1{print $1}')
cluster=$(pg_lsclusters -h | awk 'NR==1{print $2}')
if [[ -z "$version" ]]; then
  version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  cluster=main
  pg_createcluster "$version" "$cluster" 3>&- >/dev/null
fi
status=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}')
if [[ "$status" != online* ]]; then
  pg_ctlcluster "$version" "$cluster" start 3>&-
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -qtAc 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
su postgres -c "psql -qtAc \"select 1 from pg_roles where rolname='huicai'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"create role huicai login createdb password 'huicai'\"" >/dev/null
su postgres -c "psql -qtAc \"select 1 from pg_database where datname='huicai'\"" | grep -q 1 \
  || su postgres -c "createdb -O huicai huicai"
# This cluster serves development and tests only: trade durability for speed (migrations are hundreds of
# small DDL transactions). Never use these settings in production.
if [[ "${HUICAI_PG_FAST:-1}" == 1 ]]; then
  current=$(su postgres -c "psql -qtAc 'show fsync'")
  if [[ "$current" != off ]]; then
    su postgres -c "psql -qc \"alter system set fsync = off\"" >/dev/null
    su postgres -c "psql -qc \"alter system set synchronous_commit = off\"" >/dev/null
    su postgres -c "psql -qc \"alter system set full_page_writes = off\"" >/dev/null
    pg_ctlcluster "$version" "$cluster" restart 3>&-
  fi
fi
port=$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')
echo "postgres://huicai:huicai@127.0.0.1:${port}/huicai" >&3
