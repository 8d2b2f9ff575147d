#!/bin/sh
# cloudraya-registry in the image, configured by the environment and the container's arguments.
#
#   (no arguments, or flags first)   cloudraya-registry serve FLAGS
#   COMMAND ARGS...                  cloudraya-registry COMMAND ARGS (gc, migrate, token create...)
#
# Each variable below becomes its flag unless the arguments already give that flag (they win):
#   every command:  CLOUDRAYA_DATA_DIR (--data-dir), CLOUDRAYA_DATABASE_URL (--database-url)
#   serve:          CLOUDRAYA_HOST (--host), CLOUDRAYA_PORT (--port), CLOUDRAYA_PUBLIC_URL
#                   (--public-url)
# CLOUDRAYA_BOOTSTRAP_TOKEN, CLOUDRAYA_TLS_CERT and CLOUDRAYA_TLS_KEY (HTTPS: mount the files
# read-only) and the limits (docs/operating.md) are read by the service itself.
set -eu

case "${1:-}" in
  "" | -*) set -- serve "$@" ;;
esac
command="$1"
given=" $* "

add() { # add FLAG VALUE: append the flag when it has a value and the arguments lack it
  [ -n "$2" ] || return 0
  case "$given" in
    *" $1 "* | *" $1="*) ;;
    *) set_args="$set_args $1 $(quote "$2")" ;;
  esac
}
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

set_args=""
add --data-dir "${CLOUDRAYA_DATA_DIR:-}"
add --database-url "${CLOUDRAYA_DATABASE_URL:-}"
if [ "$command" = serve ]; then
  add --host "${CLOUDRAYA_HOST:-}"
  add --port "${CLOUDRAYA_PORT:-}"
  add --public-url "${CLOUDRAYA_PUBLIC_URL:-}"
fi
eval "set -- \"\$@\" $set_args"
exec cloudraya-registry "$@"
