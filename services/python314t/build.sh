#!/usr/bin/env bash
# Build the free-threaded CPython base image (services/python314t/Dockerfile) from the first source found:
#   1. the copy kept outside the repository: CPYTHON_SOURCE, default
#      /var/cache/cpu-contrast/Python-<version>.tar.xz, if it is python.org's release tarball (its
#      published SHA-256, the Dockerfile's CPYTHON_SHA256), or if CPYTHON_SHA256 pins this very copy
#      (another packing of the same release, a patched tree: the caller vouches for it, the image's
#      label records its digest);
#   2. python.org's release, downloaded in the build (the official route, where python.org is reachable).
# With neither, it says why and exits 3, building nothing.
#
# Usage: build.sh [--check] [IMAGE]   (IMAGE default cpu-contrast/python:3.14t; --check: only say which
# source it would build from, or why none, exit 0 or 3). DEBIAN_IMAGE: the Debian trixie image both stages
# start from (default the official debian:trixie-slim; make offline-images passes its stand-in).
# Does nothing for an image that already exists.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
check=""
if [[ ${1:-} == --check ]]; then
  check=1
  shift
fi
image="${1:-cpu-contrast/python:3.14t}"
dockerfile_arg() { sed -n "s/^ARG $1=//p" "$here/Dockerfile" | head -1; }
version="$(dockerfile_arg CPYTHON_VERSION)"
official="$(dockerfile_arg CPYTHON_SHA256)"
cached="${CPYTHON_SOURCE:-/var/cache/cpu-contrast/Python-${version}.tar.xz}"
url="https://www.python.org/ftp/python/${version}/Python-${version}.tar.xz"

if [[ -z $check ]] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "python314t: $image already exists"
  exit 0
fi
source="" digest="$official" why=""
if [[ -f $cached ]]; then
  found="$(sha256sum "$cached" | cut -d' ' -f1)"
  if [[ $found == "$official" ]]; then
    source="$cached" said="$cached (python.org's release tarball)"
  elif [[ $found == "${CPYTHON_SHA256:-}" ]]; then
    source="$cached" digest="$found" said="$cached (pinned by CPYTHON_SHA256: not python.org's release tarball)"
  else
    why="$cached is not python.org's Python-${version}.tar.xz (its SHA-256 is $found, python.org's $official;"
    why+=" to build from it all the same, pin it: CPYTHON_SHA256=$found)"
  fi
else
  why="no CPython source in $cached (CPYTHON_SOURCE)"
fi
if [[ -z $source ]]; then
  if curl -fsSI --max-time 10 -o /dev/null "$url" 2>/dev/null; then
    source="$url" said="$url"
  else
    why+=", and python.org is out of reach"
  fi
fi

if [[ -z $source ]]; then
  echo "python314t: cannot build $image: $why" >&2
  exit 3
fi
if [[ -n $check ]]; then
  echo "python314t: would build $image from $said"
  exit 0
fi

context="$here"
trap 'if [[ $context != "$here" ]]; then rm -rf "$context"; fi' EXIT
if [[ $source != "$url" ]]; then
  # The Dockerfile takes a tarball found in its build context instead of downloading one.
  context="$(mktemp -d)"
  cp "$here/Dockerfile" "$context/"
  cp "$source" "$context/Python-${version}.tar.xz"
fi
args=(--build-arg "CPYTHON_SHA256=$digest")
if [[ -n ${DEBIAN_IMAGE:-} ]]; then
  args+=(--build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE")
fi
echo "python314t: building $image from $said (CPython ${version} --disable-gil: several minutes)"
start=$SECONDS
log="$(mktemp)"
docker build "${args[@]}" -t "$image" "$context" >"$log" 2>&1 || { tail -30 "$log" >&2; rm -f "$log"; exit 1; }
rm -f "$log"
echo "python314t: built $image in $((SECONDS - start)) s"
