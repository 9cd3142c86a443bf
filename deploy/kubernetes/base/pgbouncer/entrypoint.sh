#!/bin/sh
# Starts PgBouncer with credentials taken from the environment, so none is committed:
# writes the auth file and the admin user names into /run/pgbouncer-auth (a tmpfs), then execs pgbouncer.
#   POSTGRES_USER           database user the API connects as; also PgBouncer's admin and stats user
#   POSTGRES_PASSWORD       its password in clear, or
#   POSTGRES_PASSWORD_FILE  a file holding it (a Docker or Swarm secret under /run/secrets), or
#   POSTGRES_SCRAM          its SCRAM secret (SCRAM-SHA-256$<iter>:<salt>$<stored>:<server>), identical to the one
#                           PostgreSQL stores; then only SCRAM clients can log in and the password stays unknown here
set -eu

runtime_dir=/run/pgbouncer-auth
config=${PGBOUNCER_CONFIG:-/etc/pgbouncer/pgbouncer.ini}

: "${POSTGRES_USER:?POSTGRES_USER must name the database user}"
if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
  POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE") || { echo "entrypoint: cannot read $POSTGRES_PASSWORD_FILE" >&2; exit 1; }
fi
secret=${POSTGRES_SCRAM:-${POSTGRES_PASSWORD:-}}
[ -n "$secret" ] || { echo "entrypoint: set POSTGRES_PASSWORD, POSTGRES_PASSWORD_FILE or POSTGRES_SCRAM" >&2; exit 1; }

# The auth file format quotes fields with double quotes and escapes a double quote by doubling it.
quote() { printf '"%s"' "$(printf '%s' "$1" | sed 's/"/""/g')"; }

umask 077
mkdir -p "$runtime_dir"
printf '%s %s\n' "$(quote "$POSTGRES_USER")" "$(quote "$secret")" >"$runtime_dir/userlist.txt"
printf 'admin_users = %s\nstats_users = %s\n' "$POSTGRES_USER" "$POSTGRES_USER" >"$runtime_dir/users.ini"
echo "entrypoint: wrote $runtime_dir/userlist.txt for user $POSTGRES_USER; starting pgbouncer $config"

exec pgbouncer "$config"
