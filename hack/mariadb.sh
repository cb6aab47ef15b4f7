#!/usr/bin/env bash
# Installs Debian's mariadb-server when missing and starts it on 127.0.0.1:3306 with a
# user `notejam` (password `notejam`) that may create the databases the tests use.
# Idempotent: a server that already answers is left alone. Data lives outside the clone
# (not under $HOME, which the mysql user cannot enter).
set -euo pipefail
port=${MARIADB_PORT:-3306}
datadir=${MARIADB_DATADIR:-/var/lib/notejam-mariadb}
rundir=/run/notejam-mariadb
sock=$rundir/mysqld.sock

if ! command -v mariadbd >/dev/null 2>&1; then
  echo "installing Debian's mariadb-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
fi

answers() { mariadb-admin --protocol=tcp -h127.0.0.1 -P"$port" -unotejam -pnotejam ping >/dev/null 2>&1; }
if answers; then exit 0; fi

mkdir -p "$datadir" "$rundir"
chown -R mysql:mysql "$datadir" "$rundir"
if [ ! -d "$datadir/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=socket >/dev/null
fi
setsid mariadbd --user=mysql --datadir="$datadir" --socket="$sock" --port="$port" \
  --bind-address=127.0.0.1 --pid-file="$rundir/mysqld.pid" \
  --skip-name-resolve --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
  >"$rundir/mysqld.log" 2>&1 &
for _ in $(seq 1 60); do
  if mariadb-admin --socket="$sock" ping >/dev/null 2>&1; then break; fi
  sleep 1
done
mariadb --socket="$sock" -uroot <<SQL
CREATE USER IF NOT EXISTS 'notejam'@'127.0.0.1' IDENTIFIED BY 'notejam';
CREATE USER IF NOT EXISTS 'notejam'@'localhost' IDENTIFIED BY 'notejam';
GRANT ALL PRIVILEGES ON *.* TO 'notejam'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'notejam'@'localhost';
FLUSH PRIVILEGES;
SQL
answers || { echo "MariaDB did not start; see $rundir/mysqld.log" >&2; exit 1; }
echo "MariaDB is up on 127.0.0.1:$port (user notejam)" >&2
