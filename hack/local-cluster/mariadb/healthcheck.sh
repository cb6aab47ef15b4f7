#!/usr/bin/env bash
# Probe of the local cluster's MariaDB image, with the options of the official image's
# healthcheck.sh that hack/kind/mariadb.yaml uses. Exits 0 when every check given passes,
# else 1:
#   --connect             the server accepts a connection
#   --innodb_initialized  InnoDB is ready
# No password: both connect on the server's socket as 'mysql'@'localhost', which
# docker-entrypoint.sh creates with unix_socket authentication and no privilege. Only a
# process of the OS user mysql gets in, nothing secret is stored for the probe, and it can
# read no more than any user (information_schema.ENGINES). A password-less TCP probe could
# not authenticate and would log "Access denied" every few seconds.
set -euo pipefail

socket=/run/mysqld/mysqld.sock
client_options=(--no-defaults --protocol=socket --socket="$socket" --user=mysql)

if [ $# -eq 0 ]; then
  echo "usage: healthcheck.sh --connect|--innodb_initialized ..." >&2
  exit 1
fi
for check in "$@"; do
  case $check in
    --connect)
      # ping answers 0 for any server that answers, even one that denies the user.
      mariadb-admin "${client_options[@]}" ping >/dev/null 2>&1 || exit 1
      ;;
    --innodb_initialized)
      innodb=$(mariadb "${client_options[@]}" --batch --skip-column-names -e \
        "SELECT 1 FROM information_schema.ENGINES WHERE ENGINE = 'InnoDB'
           AND SUPPORT IN ('YES', 'DEFAULT')" 2>/dev/null) || exit 1
      [ "$innodb" = 1 ] || exit 1
      ;;
    *)
      echo "healthcheck.sh: unknown check $check" >&2
      exit 1
      ;;
  esac
done
