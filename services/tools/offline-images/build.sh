#!/usr/bin/env bash
# Build stand-in base images from Debian packages, for hosts that cannot pull from a container
# registry (air-gapped machines, our CI). One image serves as both the Python base and Redis:
# Debian trixie gives Python 3.13 and Redis 8.0. The image carries this host's CA bundle so that
# `pip install` inside `docker build` trusts the same certificates as the host. The `monitoring` profile's
# Prometheus gets its own stand-in: Debian's `prometheus` package on that base
# (services/prometheus/Dockerfile.offline, about 10 s and 270 MB more). make compare's subinterpreters
# row runs on CPython 3.14 (the worker-py314 image): its stand-in is Debian sid's python3.14, alone
# (about a minute and 110 MB more). The free-threaded row's base (CPython 3.14t) has no package anywhere:
# services/python314t/build.sh compiles it on this trixie base from CPython's source kept on this machine
# (CPYTHON_SOURCE, default /var/cache/cpu-contrast/Python-<version>.tar.xz; python.org's release, or a
# copy pinned by CPYTHON_SHA256), else python.org's; with neither it is skipped, saying why.
#
# Usage: build.sh [ENV_FILE]   (records PYTHON_IMAGE, REDIS_IMAGE, PROMETHEUS_IMAGE, PYTHON314_IMAGE and,
# when built, PYTHON314T_IMAGE in ENV_FILE, default .env)
# Needs root, debootstrap and a running Docker engine. Does nothing for an image that already exists.
set -euo pipefail

suite="${OFFLINE_SUITE:-trixie}"
image="${OFFLINE_IMAGE:-cpu-contrast/offline-base:${suite}}"
prometheus_image="${OFFLINE_PROMETHEUS_IMAGE:-cpu-contrast/offline-prometheus:${suite}}"
python314_image="${OFFLINE_PYTHON314_IMAGE:-cpu-contrast/offline-python:3.14}"
python314t_image="${OFFLINE_PYTHON314T_IMAGE:-cpu-contrast/offline-python:3.14t}"
env_file="${1:-.env}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
ca_bundle="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

rootfs=""
trap 'if [[ -n $rootfs ]]; then rm -rf "$rootfs"; fi' EXIT

# debootstrap_image IMAGE SUITE PYTHON PACKAGES: a minbase SUITE with PACKAGES, a venv of PYTHON in
# /opt/venv first on the PATH, this host's CA bundle; imported as IMAGE unless it exists.
debootstrap_image() {
  local image=$1 suite=$2 python=$3 packages=$4
  if docker image inspect "$image" >/dev/null 2>&1; then
    echo "offline-images: $image already exists"
    return
  fi
  command -v debootstrap >/dev/null || { echo "offline-images: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  rootfs=$(mktemp -d)
  echo "offline-images: debootstrap $suite into $rootfs (about a minute)"
  debootstrap --variant=minbase --include="$packages" \
    "$suite" "$rootfs" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
  cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
  chroot "$rootfs" "$python" -m venv /opt/venv
  mkdir -p "$rootfs/data"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    - "$image" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
  rootfs=""
  echo "offline-images: built $image"
}

debootstrap_image "$image" "$suite" python3 python3,python3-venv,ca-certificates,redis-server
# sid is the only Debian suite with python3.14 (its Release file may be past its Valid-Until date:
# debootstrap checks the signature, not the date).
debootstrap_image "$python314_image" sid python3.14 python3.14,python3.14-venv,ca-certificates

if docker image inspect "$prometheus_image" >/dev/null 2>&1; then
  echo "offline-images: $prometheus_image already exists"
else
  echo "offline-images: Debian's prometheus package into $prometheus_image"
  docker build -q -f "$repo/services/prometheus/Dockerfile.offline" --build-arg BASE_IMAGE="$image" \
    -t "$prometheus_image" "$repo/services/prometheus" >/dev/null
  echo "offline-images: built $prometheus_image"
fi

# Exit 3: no CPython source here (it says why); the free-threaded row then needs python.org or a copy.
ft=0
DEBIAN_IMAGE="$image" bash "$repo/services/python314t/build.sh" "$python314t_image" || ft=$?
if ((ft == 3)); then
  echo "offline-images: skipped $python314t_image (the free-threaded row's base)"
elif ((ft != 0)); then
  exit "$ft"
fi

# Record the stand-ins in the env file that docker compose reads, replacing earlier values.
touch "$env_file"
sed -i '/^PYTHON_IMAGE=/d;/^REDIS_IMAGE=/d;/^PROMETHEUS_IMAGE=/d;/^PYTHON314_IMAGE=/d;/^PYTHON314T_IMAGE=/d' \
  "$env_file"
printf 'PYTHON_IMAGE=%s\nREDIS_IMAGE=%s\nPROMETHEUS_IMAGE=%s\nPYTHON314_IMAGE=%s\n' \
  "$image" "$image" "$prometheus_image" "$python314_image" >>"$env_file"
if ((ft == 0)); then
  echo "PYTHON314T_IMAGE=$python314t_image" >>"$env_file"
  echo "offline-images: PYTHON314T_IMAGE set to $python314t_image in $env_file"
fi
echo "offline-images: PYTHON_IMAGE and REDIS_IMAGE set to $image, PROMETHEUS_IMAGE to $prometheus_image," \
  "PYTHON314_IMAGE to $python314_image, in $env_file"
