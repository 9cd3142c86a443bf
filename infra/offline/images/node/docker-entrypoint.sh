#!/bin/sh
# Entrypoint of the offline node stand-in, same contract as the official image's: the command
# runs under node when its first word is an option, not a command on PATH, or a plain
# (non-executable) file such as a script path.
set -e

if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1" || true)" ] || { [ -f "$1" ] && ! [ -x "$1" ]; }; then
	set -- node "$@"
fi

exec "$@"
