#!/usr/bin/env bash
# Entrypoint of the local cluster's MariaDB image (Debian's mariadb-server). It keeps the
# interface hack/kind/mariadb.yaml uses from the official mariadb image, so the manifest
# runs either image unchanged. Runs as the unprivileged user mysql (uid 999).
# - First start (no mysql/ in /var/lib/mysql): mariadb-install-db, then a temporary server
#   on its own socket with networking off runs every /docker-entrypoint-initdb.d/*.sql once,
#   sets root's password from MARIADB_ROOT_PASSWORD and adds the user healthcheck.sh uses.
# - Then mariadbd replaces this shell (it gets SIGTERM itself) on 0.0.0.0:3306, logging to
#   stderr. Arguments after `mariadbd` go to both servers; any other command runs as it is.
set -euo pipefail

datadir=/var/lib/mysql
initdb_dir=/docker-entrypoint-initdb.d
# Not healthcheck.sh's socket: the probes fail while the temporary server runs.
init_socket=/run/mysqld/mysqld-init.sock
# Exists while an initialisation runs: a datadir that still has it is half made.
incomplete=$datadir/.notejam-init-incomplete

log() { echo "entrypoint: $*" >&2; }

# A string as a single-quoted SQL literal.
sql_string() {
  local escaped=${1//\\/\\\\}
  printf "'%s'" "${escaped//\'/\\\'}"
}

initialise() {
  if [ -z "${MARIADB_ROOT_PASSWORD:-}" ]; then
    log "MARIADB_ROOT_PASSWORD must be set to initialise $datadir"
    exit 1
  fi
  if [ -e "$incomplete" ]; then
    # Only an initialisation made these files, so starting over loses nothing.
    log "the last initialisation did not finish: emptying $datadir and starting over"
    find "$datadir" -mindepth 1 -maxdepth 1 ! -name lost+found -exec rm -rf {} +
  fi
  touch "$incomplete"
  log "initialising $datadir"
  # normal: root@localhost starts with an empty password, set below, rather than a
  # unix_socket login. cross-bootstrap: no root user for this (pod) host name.
  mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
    --cross-bootstrap --skip-test-db >/dev/null

  mariadbd "$@" --skip-networking --socket="$init_socket" &
  init_pid=$! # global: the EXIT trap runs outside this function
  # On failure or SIGTERM, do not leave the temporary server behind.
  trap 'kill "$init_pid" 2>/dev/null; wait "$init_pid"' EXIT
  trap 'exit 143' TERM INT
  local tries=0
  until mariadb-admin --no-defaults --socket="$init_socket" --user=root ping >/dev/null 2>&1; do
    if ! kill -0 "$init_pid" 2>/dev/null || [ $((tries += 1)) -gt 120 ]; then
      log "the temporary server did not start"
      exit 1
    fi
    sleep 0.5
  done

  local client=(mariadb --no-defaults --socket="$init_socket" --user=root)
  local file
  for file in "$initdb_dir"/*.sql; do
    [ -e "$file" ] || continue
    log "running $file"
    "${client[@]}" <"$file"
  done
  # Last, so the scripts above run as root without a password, on a server nobody else can
  # reach. root gets the password locally and over TCP (the official image's default
  # MARIADB_ROOT_HOST=%); install-db's password-less root@127.0.0.1 and root@::1 go.
  # 'mysql'@'localhost' is healthcheck.sh's user: unix_socket lets in only processes of
  # the OS user mysql, without a password to store, and it has no privilege (USAGE).
  local password
  password=$(sql_string "$MARIADB_ROOT_PASSWORD")
  "${client[@]}" <<SQL
DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1';
ALTER USER 'root'@'localhost' IDENTIFIED BY $password;
CREATE USER 'root'@'%' IDENTIFIED BY $password;
GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;
CREATE USER 'mysql'@'localhost' IDENTIFIED VIA unix_socket;
SQL

  kill "$init_pid"
  wait "$init_pid" # SIGTERM is a clean shutdown: its status is 0
  trap - EXIT TERM INT
  rm "$incomplete"
  log "initialised"
}

if [ $# -eq 0 ] || [ "${1:0:1}" = - ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ]; then exec "$@"; fi
shift

if [ ! -w "$datadir" ]; then
  log "$datadir is not writable by uid $(id -u): mount a volume it or its group owns (fsGroup)"
  exit 1
fi
if [ ! -d "$datadir/mysql" ] || [ -e "$incomplete" ]; then initialise "$@"; fi
exec mariadbd --bind-address=0.0.0.0 --port=3306 --skip-name-resolve "$@"
