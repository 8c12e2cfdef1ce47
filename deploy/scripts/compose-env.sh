#!/usr/bin/env bash
# Writes deploy/.env for deploy/compose.yaml with fresh random secrets; refuses to overwrite an existing one.
set -euo pipefail
env_file="$(cd "$(dirname "$0")/.." && pwd)/.env"
if [ -e "$env_file" ]; then
  echo "compose-env: $env_file exists; remove it first to start over" >&2
  exit 1
fi
command -v openssl >/dev/null || { echo "compose-env: openssl is needed" >&2; exit 1; }
umask 077
{
  echo "POSTGRES_PASSWORD=$(openssl rand -hex 24)"
  echo "GATEWAY_ADMIN_KEY=sk-admin-$(openssl rand -hex 24)"
  echo "GATEWAY_AUDIT_SIGNING_KEY=$(openssl rand -base64 32)"
  echo "GATEWAY_DEMO_KEY=sk-demo-$(openssl rand -hex 24)"
  echo "GRAFANA_ADMIN_PASSWORD=$(openssl rand -hex 12)"
  echo "OPENAI_API_KEY=${OPENAI_API_KEY:-}"
  echo "ANTHROPIC_API_KEY=${ANTHROPIC_API_KEY:-}"
  echo "GEMINI_API_KEY=${GEMINI_API_KEY:-}"
} >"$env_file"
echo "compose-env: wrote $env_file (mode 0600); provider keys taken from your environment where set"
