#!/usr/bin/env bash
# Builds the Terraform providers that terraform/ uses from their Go modules (the public
# provider registry is not reachable from our build machines) into a cache outside the
# clone, and writes a Terraform CLI configuration whose `dev_overrides` point at them.
# Prints the path of that CLI configuration; callers export it as TF_CLI_CONFIG_FILE.
#
#   hack/terraform-providers.sh                   # build what is missing, print the config
#   hack/terraform-providers.sh --fs-mirror DIR   # also lay the builds out in DIR as a
#                                                 # filesystem mirror (hack/terraform-lock.sh)
#   hack/terraform-providers.sh --releases        # print "<source> <release>" per provider,
#                                                 # build nothing (hack/terraform-check.sh)
#
# Each provider is built once per pinned version and reused afterwards. The google
# provider is a very large build (see docs/adr/0002-cloud-gke-cloud-sql.md for measured
# time and memory); it runs niced so it shares the machine politely.
#
# Set TERRAFORM_PROVIDERS_SKIP=google (comma-separated names) to leave providers out, e.g.
# on a machine too small for the google build; roots that need them then fail validation
# with Terraform's own "provider not available" message.
set -euo pipefail

cache=${NOTEJAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/notejam}/terraform-providers
skip=",${TERRAFORM_PROVIDERS_SKIP:-},"
mirror=""
releases_only=false
case "${1:-}" in
  "") ;;
  --fs-mirror) mirror=${2:?--fs-mirror needs a directory} ;;
  --releases) releases_only=true ;;
  *)
    echo "usage: $0 [--fs-mirror DIR | --releases]" >&2
    exit 2
    ;;
esac

# name | source address in required_providers | Go module | version | the release the
# version is or follows (what the filesystem mirror, and so the lock files, call it) |
# go.sum hash to enforce (only for modules the public checksum database does not list; the
# others are verified against it by the go command as usual) | modules to stand in for
# with an empty go.mod.
#   google      8.0.x: main right after the 8.0.0 release (the release tags are not valid
#               Go module versions for this module path, so a commit is pinned).
#   kubernetes  3.2.x: main after 3.2.1, for the same reason.
#   helm        1.3.2: the newest version the Go module proxy serves for this provider. Its
#               (pre-Go 1.17) module graph still lists vbom.ml/util, whose domain is gone;
#               no package the provider compiles imports it, so a module with nothing but
#               a go.mod stands in for it.
#   random      3.9.x: main after 3.9.0.
#   github      6.6.0
providers=(
  "google|hashicorp/google|github.com/hashicorp/terraform-provider-google|v1.20.1-0.20260828184646-f3721fb45fa3|8.0.0|"
  "kubernetes|hashicorp/kubernetes|github.com/hashicorp/terraform-provider-kubernetes|v1.13.4-0.20260821094251-3a33fb6cc605|3.2.1|"
  "helm|hashicorp/helm|github.com/hashicorp/terraform-provider-helm|v1.3.2|1.3.2||vbom.ml/util"
  "random|hashicorp/random|github.com/hashicorp/terraform-provider-random|v1.3.2-0.20260824155315-e1092b0cfc07|3.9.0|"
  "github|integrations/github|github.com/integrations/terraform-provider-github/v6|v6.6.0|6.6.0|h1:nUCD7TVtF65VlA5BjYSZYYrX6QsY+dYU00s5Da2Mck0="
)

log() { echo "terraform-providers: $*" >&2; }

if $releases_only; then
  for entry in "${providers[@]}"; do
    IFS='|' read -r _ source _ _ release _ <<<"$entry"
    echo "$source $release"
  done
  exit 0
fi

# Downloads module@version into the Go module cache and prints its directory, enforcing
# the pinned hash when one is given.
download_module() {
  local module=$1 version=$2 pinned_sum=$3 info dir sum
  if [ -n "$pinned_sum" ]; then
    info=$(GONOSUMDB="$module" go mod download -json "$module@$version")
  else
    info=$(go mod download -json "$module@$version")
  fi
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$info")
  sum=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")
  if [ -z "$dir" ]; then
    log "cannot download $module@$version:"
    echo "$info" >&2
    return 1
  fi
  if [ -n "$pinned_sum" ] && [ "$sum" != "$pinned_sum" ]; then
    log "$module@$version has hash $sum, expected $pinned_sum"
    return 1
  fi
  echo "$dir"
}

# Builds one provider binary into $3 (a directory). `go install module@version` refuses
# modules whose go.mod has replace directives or declares another path (a renamed
# repository), cannot take stand-ins, and fails on a module whose version list the proxy
# does not serve (those with a pinned hash); these are built from a writable copy of their
# source instead. -trimpath, as for every tool built here: no path of the building machine
# in the binary.
build_provider() {
  local name=$1 module=$2 out_dir=$3 version=$4 pinned_sum=$5 stand_ins=$6 src tmp stand_in
  src=$(download_module "$module" "$version" "$pinned_sum")
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: tmp is local
  trap "chmod -R u+w '$tmp' 2>/dev/null; rm -rf '$tmp'" RETURN
  if [ -n "$stand_ins" ] || [ -n "$pinned_sum" ] || grep -qE '^replace|^\s+\S+ => ' "$src/go.mod" || ! grep -qx "module $module" "$src/go.mod"; then
    cp -r "$src" "$tmp/src"
    chmod -R u+w "$tmp/src"
    for stand_in in $stand_ins; do
      mkdir -p "$tmp/stand-ins/$stand_in"
      printf 'module %s\n' "$stand_in" >"$tmp/stand-ins/$stand_in/go.mod"
      (cd "$tmp/src" && go mod edit -replace "$stand_in=$tmp/stand-ins/$stand_in")
    done
    (cd "$tmp/src" && GOFLAGS=-mod=mod nice -n 10 go build -trimpath -o "$tmp/bin/terraform-provider-$name" .)
  else
    # The binary is named after the module path without its major version suffix, which
    # is terraform-provider-<name> for every provider listed above.
    GOBIN="$tmp/bin" nice -n 10 go install -trimpath "$module@$version"
  fi
  mkdir -p "$out_dir"
  mv "$tmp/bin/terraform-provider-$name" "$out_dir/terraform-provider-$name"
}

# Concurrent callers (several clones on one machine) wait for one build under a lock
# instead of compiling the same provider side by side.
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9

overrides=""
for entry in "${providers[@]}"; do
  IFS='|' read -r name source module version release pinned_sum stand_ins <<<"$entry"
  if [[ $skip == *",$name,"* ]]; then
    log "skipping $name (TERRAFORM_PROVIDERS_SKIP)"
    continue
  fi
  out_dir="$cache/$name/$version"
  if [ ! -x "$out_dir/terraform-provider-$name" ]; then
    log "building $name from $module@$version (once; cached in $out_dir)"
    start=$(date +%s)
    build_provider "$name" "$module" "$out_dir" "$version" "$pinned_sum" "$stand_ins"
    log "built $name in $(($(date +%s) - start)) s"
  fi
  overrides+="    \"$source\" = \"$out_dir\""$'\n'
  if [ -n "$mirror" ]; then
    # The "unpacked" layout of a filesystem mirror: <host>/<source>/<version>/<os>_<arch>/.
    platform="$(go env GOOS)_$(go env GOARCH)"
    target="$mirror/registry.terraform.io/$source/$release/$platform"
    mkdir -p "$target"
    cp "$out_dir/terraform-provider-$name" "$target/terraform-provider-${name}_v$release"
  fi
done

config="$cache/terraformrc"
mkdir -p "$cache"
cat >"$config.tmp" <<EOF
# Written by hack/terraform-providers.sh: every provider terraform/ uses comes from a
# local build, none from a registry.
provider_installation {
  dev_overrides {
$overrides  }
}
EOF
mv "$config.tmp" "$config"
echo "$config"
