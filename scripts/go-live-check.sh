#!/usr/bin/env bash
# The go-live, as a station's administrator does it (deploy/README.md), on PostgreSQL: build, setup, a
# production start with the HTTP SMS channel pointed at a local gateway stub, the admin's first login and
# forced password change, a feed source, a signed warning, the victim SMS at the stub, a backup and a restore
# the server starts on. The steps are test/local/go-live.pg.test.ts; this runs it alone and fails if it fails.
# Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/go-live-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL server the check may create databases on}"
export DATABASE_URL
command -v pg_dump >/dev/null && command -v pg_restore >/dev/null || {
  echo "go-live check: pg_dump and pg_restore are needed (apt-get install postgresql-client)" >&2
  exit 1
}
exec npx vitest run --project processes:postgres test/local/go-live.pg.test.ts
