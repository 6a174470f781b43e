#!/usr/bin/env bash
# The API container's healthcheck: GET /health (which pings Redis) answers 200. Bash's /dev/tcp, no
# interpreter per check: starting Python for urllib cost ~0.14 CPU-seconds a check on the workers' cores.
exec 3<>"/dev/tcp/127.0.0.1/${1:-8000}" || exit 1
printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 3 status <&3 || { echo "no answer from /health"; exit 1; }
[[ $status == *" 200 "* ]] || { echo "/health: $status"; exit 1; }
