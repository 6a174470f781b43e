#!/usr/bin/env bash
# Optional (`make env`): puts two secrets on the host, in ENV_FILE (default .env, which docker compose
# and make read), each taken from the environment if set there, else generated:
# - REDIS_PASSWORD: the stack generates its own otherwise; with this one, the stack uses it instead.
# - API_TOKEN: the API's bearer token, which it requires when API_BIND publishes it beyond loopback
#   (optional on loopback); the host tools send it (services/tools/api_auth.py), and the dashboard takes
#   it once from its URL: http://HOST:PORT/#token=<API_TOKEN>.
# Idempotent: a secret already in the file is kept, and no other line of the file is touched
# (`make offline-images` records image names in the same file).
#
# Usage: ensure-env.sh [ENV_FILE]
set -euo pipefail

env_file="${1:-.env}"
touch "$env_file"
# The file now holds secrets: readable by its owner only.
chmod 600 "$env_file"

# ensure NAME: NAME's line in the file, kept if there, else from the environment, else generated.
ensure() {
  local name=$1 current value
  current=$(sed -n "s/^$name=//p" "$env_file" | tail -n 1)
  # Generated secrets are URL-safe (A-Z a-z 0-9 - _): REDIS_URL embeds the password unescaped.
  value="${current:-${!name:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')}}"
  if [[ ! "$value" =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo "env: $name must use only A-Z a-z 0-9 . _ ~ - (REDIS_URL embeds the password unescaped," \
      "a header carries the token); delete it from $env_file and run \`make env\` to generate one" >&2
    exit 1
  fi
  if [[ -z "$current" ]]; then
    sed -i "/^$name=/d" "$env_file"
    # Keep the file's last line intact if it lacks a newline.
    if [[ -s "$env_file" && -n "$(tail -c 1 "$env_file")" ]]; then echo >>"$env_file"; fi
    printf '%s=%s\n' "$name" "$value" >>"$env_file"
    echo "env: $name written to $env_file"
  fi
}

ensure REDIS_PASSWORD
ensure API_TOKEN
