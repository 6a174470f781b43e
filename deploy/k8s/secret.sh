#!/usr/bin/env bash
# `make k8s-secret`: the Secret `cpu-contrast` that the manifests read, in the namespace cpu-contrast:
# - redis-password: Redis's password (Redis, the API, the workers and KEDA's scaler read it);
# - api-token: the API's bearer token (inside a cluster the API is reachable beyond loopback).
# Each from the environment (REDIS_PASSWORD, API_TOKEN; `make` reads .env, where `make env` writes them),
# else random: 43 of A-Z a-z 0-9. A Secret already there is kept (as compose keeps its volume's), so
# re-running changes nothing; `kubectl delete namespace cpu-contrast` removes it with the data.
# Bash builtins carry the values (printf, a process substitution): they are on no command line.
#
# Usage: secret.sh            create it in the current kubectl context, unless it exists
#        secret.sh --print    print it, to review (no cluster needed)
set -euo pipefail

namespace=cpu-contrast
name=cpu-contrast
here=$(dirname "$0")

# value NAME: $NAME if set, else a random one; only characters a URL and a header carry unescaped.
value() {
  local given=${!1:-}
  if [[ -z $given ]]; then
    # tr's SIGPIPE, when head has its 43, is no failure: it is outside the pipeline pipefail watches.
    head -c 43 < <(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom)
  elif [[ $given =~ ^[A-Za-z0-9._~-]+$ ]]; then
    printf '%s' "$given"
  else
    echo "k8s-secret: $1 may hold only A-Z a-z 0-9 . _ ~ - (unset it to get a random one)" >&2
    return 1
  fi
}

secret() {
  local redis_password api_token
  redis_password=$(value REDIS_PASSWORD)
  api_token=$(value API_TOKEN)
  kubectl create secret generic "$name" --namespace "$namespace" --dry-run=client -o yaml \
    --from-env-file=<(printf 'redis-password=%s\napi-token=%s\n' "$redis_password" "$api_token")
}

if [[ ${1:-} == --print ]]; then
  secret
  exit
fi
kubectl apply -f "$here/base/namespace.yaml"
if kubectl get secret "$name" --namespace "$namespace" >/dev/null 2>&1; then
  echo "k8s-secret: secret/$name is there already in namespace $namespace: kept"
else
  secret | kubectl create -f -
fi
echo "k8s-secret: the API's token: kubectl -n $namespace get secret $name -o jsonpath='{.data.api-token}' | base64 -d"
