#!/usr/bin/env bash
# Makes the Dockerfile's base images, debian:12 and debian:12-slim, where no
# registry can be reached: a `debootstrap --variant=minbase bookworm` from
# Debian's package mirror, imported with `docker import`. Idempotent: an image
# already present is kept, and a finished root file system is reused.
#
# Two steps, so CI can start the slow one early (network and disk bound):
#  1. the root file system, in $OPSBOT_DOCKER_BASE_DIR (needs root, no Docker);
#  2. the import, only when a Docker daemon answers (scripts/check-docker.sh
#     starts one and calls this script again; a second run waits for the
#     first through a lock, then imports).
# usage: scripts/docker-base.sh
set -euo pipefail

base_dir=${OPSBOT_DOCKER_BASE_DIR:-/var/tmp/opsbot-docker-base}
mirror=${OPSBOT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
rootfs=$base_dir/rootfs
log() { echo "docker-base: $*"; }
fail() {
  echo "docker-base: $*" >&2
  exit 1
}

# Bumped when the way the images are made changes, so that images made the
# old way are made again (2: security and point-release updates applied).
base_version=2
have_image() {
  [ "$(docker image inspect -f '{{ index .Config.Labels "opsbot.base" }}' "$1" 2>/dev/null)" = \
    "$base_version" ]
}
docker_up() { docker info >/dev/null 2>&1; }
if docker_up && have_image debian:12 && have_image debian:12-slim; then
  log "debian:12 and debian:12-slim present"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || fail "debootstrap needs root"
mkdir -p "$base_dir"
# One run at a time: a second waits here for the first's root file system.
exec 9>"$base_dir/lock"
flock 9

if [ "$(cat "$base_dir/rootfs.done" 2>/dev/null)" != "$base_version" ]; then
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    # Waits for another apt run (scripts/bootstrap.sh in CI) instead of failing.
    apt=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)
    export DEBIAN_FRONTEND=noninteractive
    "${apt[@]}" install debootstrap || { "${apt[@]}" update && "${apt[@]}" install debootstrap; } ||
      fail "cannot install debootstrap"
  fi
  rm -rf "$rootfs"
  log "debootstrap --variant=minbase bookworm from $mirror"
  start=$SECONDS
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$base_dir/debootstrap.log" 2>&1 ||
    fail "debootstrap failed; see $base_dir/debootstrap.log: $(tail -n 3 "$base_dir/debootstrap.log")"
  # As Debian's own images: security updates too, no package files or lists
  # left in the image (the Dockerfile's apt-get update fetches them).
  cat >"$rootfs/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
  # Applied here, as Debian's images have them: left to the Dockerfile, an
  # update of a package already in the base (perl-base, pulled by git's perl)
  # would be a second, whole copy of it in the image's own layer.
  mount -t proc proc "$rootfs/proc" || true
  if ! DEBIAN_FRONTEND=noninteractive chroot "$rootfs" sh -c \
    'apt-get -qq update && apt-get -y -qq -o Dpkg::Options::=--force-confold upgrade' \
    >>"$base_dir/debootstrap.log" 2>&1; then
    log "warning: updates not applied (see $base_dir/debootstrap.log); the image will be larger"
  fi
  umount "$rootfs/proc" 2>/dev/null || true
  echo 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
    >"$rootfs/etc/apt/apt.conf.d/docker-clean"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
    "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
  echo "$base_version" >"$base_dir/rootfs.done"
  log "root file system ready in $((SECONDS - start)) s"
fi

if ! docker_up; then
  log "no Docker daemon answers: the root file system is ready, import it later"
  exit 0
fi

start=$SECONDS
if ! have_image debian:12; then
  tar -C "$rootfs" -c . | docker import --change "LABEL opsbot.base=$base_version" - debian:12 >/dev/null
  log "imported debian:12 ($(docker image inspect -f '{{.Size}}' debian:12) bytes)"
fi
if ! have_image debian:12-slim; then
  # The slim variant, as Debian's: no documentation, manual pages or
  # translations, now or from the packages installed on it later.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/usr/share/lintian/*
  tar -C "$rootfs" -c . |
    docker import --change "LABEL opsbot.base=$base_version" - debian:12-slim >/dev/null
  log "imported debian:12-slim ($(docker image inspect -f '{{.Size}}' debian:12-slim) bytes)"
fi
log "imported in $((SECONDS - start)) s"
# The images are what a rerun needs; the root file system can go.
rm -rf "$rootfs" "$base_dir/rootfs.done"
