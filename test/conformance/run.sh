#!/usr/bin/env bash
# MCP conformance suite against the gateway's /mcp/fixture route (fronting the in-repo fixture); non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
VERSION="${CONFORMANCE_VERSION:-0.1.16}"
OUT="${CONFORMANCE_OUT:-$(mktemp -d)}"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

node --import tsx test/fixtures/mcp-fixture-server.ts > "$OUT/fixture.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q MCP_FIXTURE_LISTENING "$OUT/fixture.log" && break; sleep 0.1; done
FIXTURE_PORT=$(sed -n 's/.*MCP_FIXTURE_LISTENING \([0-9]*\).*/\1/p' "$OUT/fixture.log")
[ -n "$FIXTURE_PORT" ] || { echo "conformance: fixture did not start"; cat "$OUT/fixture.log"; exit 1; }

cat > "$OUT/gateway.yaml" <<EOF
server: { port: 0, host: 127.0.0.1 }
storage: { dataDir: "memory://" }
logLevel: warn
mcpServers:
  fixture: { type: http, url: "http://127.0.0.1:${FIXTURE_PORT}/mcp" }
EOF
GATEWAY_CONFIG="$OUT/gateway.yaml" PORT="${CONFORMANCE_PORT:-0}" node --import tsx test/conformance/serve.ts > "$OUT/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do grep -q GATEWAY_LISTENING "$OUT/gateway.log" && break; sleep 0.1; done
GW_PORT=$(sed -n 's/.*GATEWAY_LISTENING \([0-9]*\).*/\1/p' "$OUT/gateway.log")
[ -n "$GW_PORT" ] || { echo "conformance: gateway did not start"; cat "$OUT/gateway.log"; exit 1; }

# The suite needs Node 22; npx fetches it as a package. The URL must be localhost for the DNS-rebinding scenario.
npx -y -p node@22 -p "@modelcontextprotocol/conformance@${VERSION}" \
  conformance server --url "http://localhost:${GW_PORT}/mcp/fixture" -o "$OUT/results" "$@"
status=$?
echo "conformance: results in $OUT/results (exit $status)"
exit $status
