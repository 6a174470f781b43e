#!/usr/bin/env bash
# Build stand-in base images from Debian packages, for hosts that cannot pull from a container
# registry (air-gapped machines, our CI). One image serves as both the Python base and Redis:
# Debian trixie gives Python 3.13 and Redis 8.0. The image carries this host's CA bundle so that
# `pip install` inside `docker build` trusts the same certificates as the host. The `monitoring` profile's
# Prometheus gets its own stand-in: Debian's `prometheus` package on that base
# (services/prometheus/Dockerfile.offline, about 10 s and 270 MB more).
#
# Usage: build.sh [ENV_FILE]   (records PYTHON_IMAGE, REDIS_IMAGE and PROMETHEUS_IMAGE in ENV_FILE, default .env)
# Needs root, debootstrap and a running Docker engine. Does nothing if the image already exists.
set -euo pipefail

suite="${OFFLINE_SUITE:-trixie}"
image="${OFFLINE_IMAGE:-cpu-contrast/offline-base:${suite}}"
prometheus_image="${OFFLINE_PROMETHEUS_IMAGE:-cpu-contrast/offline-prometheus:${suite}}"
env_file="${1:-.env}"
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
ca_bundle="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "offline-images: $image already exists"
else
  command -v debootstrap >/dev/null || { echo "offline-images: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  echo "offline-images: debootstrap $suite into $rootfs (about a minute)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,redis-server \
    "$suite" "$rootfs" >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; exit 1; }
  cp "$ca_bundle" "$rootfs/etc/ssl/certs/ca-certificates.crt"
  chroot "$rootfs" python3 -m venv /opt/venv
  mkdir -p "$rootfs/data"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import \
    --change 'ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV PYTHONDONTWRITEBYTECODE=1' \
    - "$image" >/dev/null
  echo "offline-images: built $image"
fi

if docker image inspect "$prometheus_image" >/dev/null 2>&1; then
  echo "offline-images: $prometheus_image already exists"
else
  echo "offline-images: Debian's prometheus package into $prometheus_image"
  docker build -q -f "$repo/services/prometheus/Dockerfile.offline" --build-arg BASE_IMAGE="$image" \
    -t "$prometheus_image" "$repo/services/prometheus" >/dev/null
  echo "offline-images: built $prometheus_image"
fi

# Record the stand-ins in the env file that docker compose reads, replacing earlier values.
touch "$env_file"
sed -i '/^PYTHON_IMAGE=/d;/^REDIS_IMAGE=/d;/^PROMETHEUS_IMAGE=/d' "$env_file"
printf 'PYTHON_IMAGE=%s\nREDIS_IMAGE=%s\nPROMETHEUS_IMAGE=%s\n' "$image" "$image" "$prometheus_image" >>"$env_file"
echo "offline-images: PYTHON_IMAGE and REDIS_IMAGE set to $image, PROMETHEUS_IMAGE to $prometheus_image, in $env_file"
