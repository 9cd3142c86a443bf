#!/bin/sh
# Entrypoint of the offline edoburu/pgbouncer stand-in. Same contract as upstream's:
# DATABASE_URL or DB_HOST/DB_PORT/DB_USER/DB_PASSWORD/DB_NAME describe the server; the
# credentials go into userlist.txt; when /etc/pgbouncer/pgbouncer.ini does not exist it is
# written from those variables plus any pgbouncer setting given as an upper-case variable
# (POOL_MODE, MAX_CLIENT_CONN, DEFAULT_POOL_SIZE, ...). Then it runs the command.
set -e

config_dir=/etc/pgbouncer

if [ -n "$DATABASE_URL" ]; then
	# postgres://user:password@host:port/name
	rest="${DATABASE_URL#*://}"
	case "$rest" in
		*@*) userinfo="${rest%@*}"; rest="${rest##*@}" ;;
		*) userinfo="" ;;
	esac
	case "$userinfo" in
		*:*) DB_USER="${userinfo%%:*}"; DB_PASSWORD="${userinfo#*:}" ;;
		?*) DB_USER="$userinfo" ;;
	esac
	hostport="${rest%%/*}"
	case "$rest" in */*) DB_NAME="${rest#*/}" ;; esac
	case "$hostport" in
		*:*) DB_HOST="${hostport%%:*}"; DB_PORT="${hostport##*:}" ;;
		*) DB_HOST="$hostport" ;;
	esac
fi

auth_file="${AUTH_FILE:-$config_dir/userlist.txt}"
[ -e "$auth_file" ] || touch "$auth_file"

# "user" "secret": plain text for plain and scram-sha-256 (PgBouncer needs it to log in to the
# server with SCRAM), otherwise the md5 hash, as upstream.
add_user() {
	user="$1" password="$2"
	[ -n "$user" ] && [ -n "$password" ] || return 0
	if grep -q "^\"$user\"" "$auth_file"; then
		return 0
	fi
	case "${AUTH_TYPE:-md5}" in
		plain | scram-sha-256) secret="$password" ;;
		*) secret="md5$(printf '%s%s' "$password" "$user" | md5sum | cut -d ' ' -f 1)" ;;
	esac
	printf '"%s" "%s"\n' "$user" "$secret" >>"$auth_file"
	echo "Wrote authentication credentials for $user to $auth_file"
}

add_user "$DB_USER" "$DB_PASSWORD"
if [ -n "$ADMIN_PASSWORD" ]; then
	add_user "${ADMIN_USERS:-postgres}" "$ADMIN_PASSWORD"
fi

# Settings written only when their upper-case variable is set (LISTEN_PORT -> listen_port).
optional_settings="auth_hba_file auth_user auth_query pool_mode max_client_conn default_pool_size
min_pool_size reserve_pool_size reserve_pool_timeout max_db_connections max_user_connections
server_round_robin disable_pqexec application_name_add_host timezone log_connections
log_disconnections log_pooler_errors log_stats stats_period verbose stats_users server_reset_query
server_reset_query_always server_check_delay server_check_query server_lifetime server_idle_timeout
server_connect_timeout server_login_retry client_login_timeout autodb_idle_timeout dns_max_ttl
dns_nxdomain_ttl client_tls_sslmode client_tls_key_file client_tls_cert_file client_tls_ca_file
client_tls_protocols client_tls_ciphers server_tls_sslmode server_tls_ca_file server_tls_key_file
server_tls_cert_file server_tls_protocols server_tls_ciphers query_timeout query_wait_timeout
client_idle_timeout idle_transaction_timeout pkt_buf max_packet_size listen_backlog sbuf_loopcnt
suspend_timeout tcp_defer_accept tcp_keepalive tcp_keepcnt tcp_keepidle tcp_keepintvl
tcp_user_timeout"

if [ ! -f "$config_dir/pgbouncer.ini" ]; then
	echo "Create pgbouncer config in $config_dir"
	: "${DB_HOST:?Setup pgbouncer config error! You must set DB_HOST env}"
	{
		echo "################## Auto generated ##################"
		echo "[databases]"
		echo "${DB_NAME:-*} = host=$DB_HOST port=${DB_PORT:-5432} auth_user=${DB_USER:-postgres}"
		[ -z "$CLIENT_ENCODING" ] || echo "client_encoding = $CLIENT_ENCODING"
		echo
		echo "[pgbouncer]"
		echo "listen_addr = ${LISTEN_ADDR:-0.0.0.0}"
		echo "listen_port = ${LISTEN_PORT:-5432}"
		echo "unix_socket_dir = ${UNIX_SOCKET_DIR:-}"
		echo "user = postgres"
		echo "auth_file = $auth_file"
		echo "auth_type = ${AUTH_TYPE:-md5}"
		echo "ignore_startup_parameters = ${IGNORE_STARTUP_PARAMETERS:-extra_float_digits}"
		echo "admin_users = ${ADMIN_USERS:-postgres}"
		for setting in $optional_settings; do
			variable="$(echo "$setting" | tr '[:lower:]' '[:upper:]')"
			eval "value=\${$variable:-}"
			[ -z "$value" ] || echo "$setting = $value"
		done
		echo "################## end file ##################"
	} >"$config_dir/pgbouncer.ini"
	cat "$config_dir/pgbouncer.ini"
	echo "Starting $*..."
fi

exec "$@"
