#!/usr/bin/env bash
# Installs Debian's mariadb-server when missing and starts it on 127.0.0.1:3306 with a
# user `notejam` (password `notejam`) that may create the databases the tests use.
# TLS is on, with a throwaway CA generated at every start (in /run, so gone after a
# reboot): $rundir/tls/ca.pem is what a client trusts (TEST_MYSQL_CA in the app's tests),
# the server certificate names 127.0.0.1 and localhost. Plain connections still work; a
# user created with REQUIRE SSL gets only encrypted ones (as Cloud SQL's ENCRYPTED_ONLY).
# Idempotent: a server that already answers with TLS is left alone; one that answers
# without (started by an older version of this script) is restarted once, after waiting
# up to five minutes for its clients to finish. Data lives outside the clone (not under
# $HOME, which the mysql user cannot enter).
set -euo pipefail
port=${MARIADB_PORT:-3306}
datadir=${MARIADB_DATADIR:-/var/lib/notejam-mariadb}
rundir=/run/notejam-mariadb
sock=$rundir/mysqld.sock
tls=$rundir/tls

if ! command -v mariadbd >/dev/null 2>&1; then
  echo "installing Debian's mariadb-server" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
fi

# Concurrent callers (parallel test runs) start or restart the server once.
exec 9>/run/notejam-mariadb.lock
flock -w 600 9

answers() { mariadb-admin --protocol=tcp -h127.0.0.1 -P"$port" -unotejam -pnotejam ping >/dev/null 2>&1; }
as_root() { mariadb --socket="$sock" -uroot --batch --skip-column-names "$@"; }
if answers; then
  if [ -s "$tls/ca.pem" ] && [ "$(as_root -e 'SELECT @@have_ssl' 2>/dev/null)" = YES ]; then exit 0; fi
  echo "MariaDB answers without TLS: waiting for its clients to finish, then restarting it with TLS" >&2
  for _ in $(seq 1 150); do
    clients=$(as_root -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND <> 'Daemon'")
    [ "$clients" = 0 ] && break
    sleep 2
  done
  mariadb-admin --socket="$sock" -uroot shutdown
fi

mkdir -p "$datadir" "$rundir"
# A new CA and server certificate for every start: nothing outside this machine trusts them.
rm -rf "$tls"
mkdir -p "$tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/CN=Notejam test MariaDB CA $(date -u +%Y%m%dT%H%M%SZ)" \
  -keyout "$tls/ca-key.pem" -out "$tls/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$tls/server-key.pem" -out "$tls/server.csr" 2>/dev/null
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" -days 3650 \
  -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') \
  -out "$tls/server-cert.pem" 2>/dev/null
rm -f "$tls/ca-key.pem" "$tls/server.csr" # nothing is ever signed again
chmod 644 "$tls/ca.pem" "$tls/server-cert.pem"
chown -R mysql:mysql "$datadir" "$rundir"
chmod 600 "$tls/server-key.pem"

if [ ! -d "$datadir/mysql" ]; then
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=socket >/dev/null
fi
setsid mariadbd --user=mysql --datadir="$datadir" --socket="$sock" --port="$port" \
  --bind-address=127.0.0.1 --pid-file="$rundir/mysqld.pid" \
  --skip-name-resolve --innodb-flush-log-at-trx-commit=2 --max-connections=500 \
  --ssl-ca="$tls/ca.pem" --ssl-cert="$tls/server-cert.pem" --ssl-key="$tls/server-key.pem" \
  >"$rundir/mysqld.log" 2>&1 9>&- & # the server must not inherit (and hold) the lock
for _ in $(seq 1 60); do
  if mariadb-admin --socket="$sock" ping >/dev/null 2>&1; then break; fi
  sleep 1
done
as_root <<SQL
CREATE USER IF NOT EXISTS 'notejam'@'127.0.0.1' IDENTIFIED BY 'notejam';
CREATE USER IF NOT EXISTS 'notejam'@'localhost' IDENTIFIED BY 'notejam';
GRANT ALL PRIVILEGES ON *.* TO 'notejam'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'notejam'@'localhost';
FLUSH PRIVILEGES;
SQL
answers || { echo "MariaDB did not start; see $rundir/mysqld.log" >&2; exit 1; }
[ "$(as_root -e 'SELECT @@have_ssl')" = YES ] || { echo "MariaDB started without TLS; see $rundir/mysqld.log" >&2; exit 1; }
echo "MariaDB is up on 127.0.0.1:$port (user notejam, TLS with CA $tls/ca.pem)" >&2
