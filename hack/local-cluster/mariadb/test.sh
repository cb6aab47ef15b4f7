#!/usr/bin/env bash
# Tests docker-entrypoint.sh and healthcheck.sh for real, as uid 999 with no capabilities
# and a datadir owned like an fsGroup volume, in private mount, network and PID namespaces,
# so the host's MariaDB, its port and its files are left alone. Needs root.
#   test.sh           no image: a throwaway root laid out like the image, from the host's
#                     /usr and /etc (Debian's mariadb-server: make mariadb) with mysql as
#                     uid 999 and these scripts in /usr/local/bin
#   test.sh <rootfs>  a built image's root, e.g. `buildah mount` of a container of it
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inside ]; then
  image_root=${1:-}
  if [ "$(id -u)" != 0 ]; then
    echo "mariadb test: needs root (namespaces, chroot)" >&2
    exit 1
  fi
  if [ -z "$image_root" ] && ! command -v mariadbd >/dev/null; then
    echo "mariadb test: no mariadbd here; make mariadb installs Debian's mariadb-server" >&2
    exit 1
  fi
  tmp=$(mktemp -d)
  # The namespaces and their mounts are gone once unshare returns; --one-file-system anyway.
  trap 'rm -rf --one-file-system "$tmp"' EXIT
  started=$SECONDS
  unshare --mount --net --pid --fork --kill-child --mount-proc "$0" --inside "$tmp" "$image_root"
  echo "mariadb test: passed in $((SECONDS - started)) s"
  exit 0
fi

tmp=$2
root=${3:-$tmp/root}
root_password="r00t'pass\\word"
app_password=app-secret
ip link set lo up

if [ "$root" = "$tmp/root" ]; then
  mkdir -p "$root"
  mount -t tmpfs -o mode=0755 mariadb-test "$root"
  mkdir -p "$root"/{usr,etc,dev,proc,tmp,run/mysqld,var/lib/mysql,docker-entrypoint-initdb.d}
  for dir in bin sbin lib lib64; do ln -s "usr/$dir" "$root/$dir"; done
  mount --rbind /usr "$root/usr"
  mount -o remount,bind,ro "$root/usr"
  mount --rbind /etc "$root/etc"
  mkdir "$tmp/bin"
  install -m 0755 "$here/docker-entrypoint.sh" "$here/healthcheck.sh" "$tmp/bin/"
  mount --bind "$tmp/bin" "$root/usr/local/bin"
  if getent passwd 999 | grep -qv '^mysql:'; then
    echo "mariadb test: uid 999 is taken on this host" >&2
    exit 1
  fi
  sed -E 's/^mysql:x:[0-9]+:[0-9]+:/mysql:x:999:999:/' /etc/passwd >"$tmp/passwd"
  sed -E 's/^mysql:x:[0-9]+:/mysql:x:999:/' /etc/group >"$tmp/group"
  mount --bind "$tmp/passwd" "$root/etc/passwd"
  mount --bind "$tmp/group" "$root/etc/group"
fi
# What the kubelet and the runtime provide: a fresh volume (fsGroup 999), the init.sql
# Secret, a private /run/mysqld and /tmp, /dev and /proc.
mkdir "$tmp/data" "$tmp/initdb" "$tmp/run" "$tmp/tmp"
chown 0:999 "$tmp/data"
chmod 2775 "$tmp/data"
chown 999:999 "$tmp/run"
chmod 1777 "$tmp/tmp"
mount --bind "$tmp/data" "$root/var/lib/mysql"
mount --bind "$tmp/initdb" "$root/docker-entrypoint-initdb.d"
mount --bind "$tmp/run" "$root/run/mysqld"
mount --bind "$tmp/tmp" "$root/tmp"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"

fail() {
  echo "mariadb test: FAILED: $*" >&2
  exit 1
}

# As the manifest runs the container: uid/gid 999, fsGroup 999, no capabilities. An array,
# not a function, so that `&` gives the pid of the entrypoint, which execs mariadbd.
as_mysql=(chroot "$root" setpriv --reuid=999 --regid=999 --groups=999 --inh-caps=-all
  --bounding-set=-all --no-new-privs -- env -i HOME=/ PATH=/usr/local/bin:/usr/sbin:/usr/bin)

server=
start() { # <log>
  "${as_mysql[@]}" MARIADB_ROOT_PASSWORD="$root_password" docker-entrypoint.sh mariadbd \
    >"$tmp/$1" 2>&1 &
  server=$!
}

wait_ready() { # <log>
  local tries=0
  until "${as_mysql[@]}" healthcheck.sh --connect --innodb_initialized; do
    if ! kill -0 "$server" 2>/dev/null; then
      cat "$tmp/$1" >&2
      fail "the server exited"
    fi
    [ $((tries += 1)) -le 120 ] || fail "not ready after 60 s"
    sleep 0.5
  done
  echo "ready"
}

stop() { # <log>: SIGTERM must be a clean shutdown
  kill -TERM "$server"
  local status=0
  wait "$server" || status=$?
  [ "$status" = 0 ] || fail "exit status $status after SIGTERM"
  grep -q 'Shutdown complete' "$tmp/$1" || fail "no clean shutdown in $1"
  if "${as_mysql[@]}" healthcheck.sh --connect; then fail "healthcheck passes with the server down"; fi
  echo "stopped cleanly by SIGTERM; healthcheck fails"
}

wait_log() { # <log> <text>: until the log has the text, while the entrypoint runs
  until grep -qs "$2" "$tmp/$1"; do
    kill -0 "$server" 2>/dev/null || fail "no \"$2\" in $1: $(cat "$tmp/$1")"
    sleep 0.2
  done
}

tcp() { # <user> <password> <sql>: with the root's client
  chroot "$root" mariadb --no-defaults --protocol=tcp --host=127.0.0.1 --port=3306 --user="$1" \
    --password="$2" --batch --skip-column-names -e "$3"
}

echo "== a failed initialisation is made again from scratch"
printf 'CREATE DATABASE notejam_t;\nTHIS IS NOT SQL;\n' >"$tmp/initdb/init.sql"
start init-failed.log
if wait "$server"; then fail "a broken init.sql did not fail the start"; fi
[ -e "$tmp/data/.notejam-init-incomplete" ] || fail "no incomplete mark"
if pgrep -x mariadbd >/dev/null; then fail "the temporary server outlived the entrypoint"; fi
echo "a broken init.sql fails the start and stops the temporary server"

echo "== SIGTERM stops an initialisation, which the next start makes again"
printf 'DO SLEEP(2);\n' >"$tmp/initdb/init.sql"
start init-stopped.log
wait_log init-stopped.log 'running /docker-entrypoint-initdb.d/init.sql'
kill -TERM "$server"
status=0
wait "$server" || status=$?
[ "$status" = 143 ] || fail "exit status $status after SIGTERM during the initialisation"
if pgrep -x mariadbd >/dev/null; then fail "the temporary server outlived the entrypoint"; fi
echo "the entrypoint and its temporary server stopped"
# The sleep gives the probes below time to see the temporary server.
cat >"$tmp/initdb/init.sql" <<SQL
DO SLEEP(2);
CREATE DATABASE notejam_t;
CREATE USER 'app'@'%' IDENTIFIED BY '$app_password';
GRANT ALL PRIVILEGES ON notejam_t.* TO 'app'@'%';
CREATE TABLE notejam_t.init_runs (id INT AUTO_INCREMENT PRIMARY KEY);
INSERT INTO notejam_t.init_runs VALUES ();
SQL
start first.log
wait_log first.log 'running /docker-entrypoint-initdb.d/init.sql'
if "${as_mysql[@]}" healthcheck.sh --connect; then fail "healthcheck passes during the initialisation"; fi
echo "healthcheck fails while init.sql runs"
wait_ready first.log
grep -q 'did not finish' "$tmp/first.log" || fail "the retry was not logged"

echo "== the first start initialised the server"
[ "$(cat "/proc/$server/comm")" = mariadbd ] || fail "the entrypoint did not exec mariadbd"
awk '/^(Uid|Gid):/ { ids = ids $2 " " } /^CapEff:/ { caps = $2 } /^NoNewPrivs:/ { nnp = $2 }
  END { exit !(ids == "999 999 " && caps == "0000000000000000" && nnp == 1) }' \
  "/proc/$server/status" || fail "mariadbd is not uid/gid 999 without capabilities"
echo "mariadbd is the entrypoint's process, uid/gid 999, no capabilities"
# Before the wrong logins below, which the server logs as denied.
if grep -q 'Access denied' "$tmp/first.log"; then fail "the probes were denied"; fi
ss -Hltn 'sport = :3306' | grep -q '0.0.0.0:3306' || fail "not listening on 0.0.0.0:3306"
[ "$(tcp app "$app_password" 'SELECT COUNT(*) FROM notejam_t.init_runs')" = 1 ] ||
  fail "the app user cannot read its table over TCP"
[ "$(tcp root "$root_password" 'SELECT CURRENT_USER()')" = root@% ] || fail "root over TCP"
if tcp root '' 'SELECT 1' 2>/dev/null; then fail "root gets in without a password"; fi
if tcp app wrong 'SELECT 1' 2>/dev/null; then fail "app gets in with a wrong password"; fi
grants=$(tcp root "$root_password" "SHOW GRANTS FOR 'mysql'@'localhost'")
[ "$grants" = "GRANT USAGE ON *.* TO \`mysql\`@\`localhost\` IDENTIFIED VIA unix_socket" ] ||
  fail "the healthcheck user has more than USAGE: $grants"
echo "app user and root log in over TCP with their passwords; probe user has USAGE only"
stop first.log

echo "== a restart skips the initialisation"
start restart.log
wait_ready restart.log
if grep -q 'initialising' "$tmp/restart.log"; then fail "initialised again"; fi
[ "$(tcp app "$app_password" 'SELECT COUNT(*) FROM notejam_t.init_runs')" = 1 ] ||
  fail "init.sql ran again"
echo "init.sql ran once"
stop restart.log
