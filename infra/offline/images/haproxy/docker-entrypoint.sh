#!/bin/sh
# Entrypoint of the offline haproxy stand-in, same contract as the official image's:
# arguments that start with "-" are options for haproxy, and haproxy runs in master-worker
# mode (-W, reload with SIGUSR2) in the foreground (-db).
set -e

if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi

if [ "$1" = haproxy ]; then
	shift
	set -- haproxy -W -db "$@"
fi

exec "$@"
