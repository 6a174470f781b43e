#!/usr/bin/env bash
# The worker container's healthcheck (worker/queue/readiness.py says why it is not Python): healthy
# while each of the container's WORKER_CONSUMERS worker processes has a ready file younger than
# LIVENESS_TTL seconds. A file is refreshed once a second, and only while its process is registered with
# RQ and its pool is whole.
# Bash builtins only: one short-lived bash per check, no Redis command.
dir=${READY_DIR:-/tmp/cpu-contrast-ready}
max_age=${LIVENESS_TTL:-5}  # as in shared/settings.py
shopt -s nullglob
files=("$dir"/*)
want=${WORKER_CONSUMERS:-1}
((${#files[@]} >= want)) || { echo "${#files[@]} of $want worker processes ready"; exit 1; }
for file in "${files[@]}"; do
  read -r beat <"$file" || { echo "unreadable ready file $file"; exit 1; }
  ((EPOCHSECONDS - beat < max_age)) || { echo "not ready: ${file##*/}"; exit 1; }
done
