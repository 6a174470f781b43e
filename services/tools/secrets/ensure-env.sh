#!/usr/bin/env bash
# Optional (`make env`): the stack generates its Redis password itself; this puts one on the host
# instead, in ENV_FILE (default .env, which docker compose reads), and the stack then uses it:
# REDIS_PASSWORD, taken from the environment if set there, else generated. Idempotent: a password
# already in the file is kept, and no other line of the file is touched (`make offline-images`
# records image names in the same file).
#
# Usage: ensure-env.sh [ENV_FILE]
set -euo pipefail

env_file="${1:-.env}"
touch "$env_file"
# The file now holds a secret: readable by its owner only.
chmod 600 "$env_file"

current=$(sed -n 's/^REDIS_PASSWORD=//p' "$env_file" | tail -n 1)
# Generated passwords are URL-safe (A-Z a-z 0-9 - _): REDIS_URL embeds them unescaped.
password="${current:-${REDIS_PASSWORD:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')}}"
if [[ ! "$password" =~ ^[A-Za-z0-9._~-]+$ ]]; then
  echo "env: REDIS_PASSWORD must use only A-Z a-z 0-9 . _ ~ - (it goes into REDIS_URL unescaped);" \
    "delete it from $env_file and run \`make env\` to generate one" >&2
  exit 1
fi
if [[ -z "$current" ]]; then
  sed -i '/^REDIS_PASSWORD=/d' "$env_file"
  # Keep the file's last line intact if it lacks a newline.
  if [[ -s "$env_file" && -n "$(tail -c 1 "$env_file")" ]]; then echo >>"$env_file"; fi
  printf 'REDIS_PASSWORD=%s\n' "$password" >>"$env_file"
  echo "env: REDIS_PASSWORD written to $env_file"
fi
