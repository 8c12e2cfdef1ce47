#!/usr/bin/env bash
# MCP conformance suite (server scenarios) against the gateway, for each protocol revision it serves, through
# /mcp/fixture (one upstream) and /mcp/suite (a virtual server over the federated catalog that serves the suite's
# names unprefixed). Non-zero when a scored scenario fails, unless this file expects that failure (see EXPECTED).
# Usage: test/conformance/run.sh [extra conformance args]; REVISIONS / ROUTES narrow the matrix.
set -uo pipefail
cd "$(dirname "$0")/../.."
VERSION="${CONFORMANCE_VERSION:-0.2.0-alpha.12}"
REVISIONS="${REVISIONS:-2025-11-25 2026-07-28}"
ROUTES="${ROUTES:-fixture suite}"
OUT="${CONFORMANCE_OUT:-$(mktemp -d)}"

# Scored scenarios known to fail, as "<revision>:<route>:<scenario>", each with the reason. A listed scenario that
# passes is reported so the entry can go. Empty: every scored scenario passes on both revisions and both routes.
EXPECTED=(
)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

node --import tsx test/fixtures/mcp-fixture-server.ts > "$OUT/fixture.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -qs MCP_FIXTURE_LISTENING "$OUT/fixture.log" && break; sleep 0.1; done
FIXTURE_PORT=$(sed -n 's/.*MCP_FIXTURE_LISTENING \([0-9]*\).*/\1/p' "$OUT/fixture.log")
[ -n "$FIXTURE_PORT" ] || { echo "conformance: fixture did not start"; cat "$OUT/fixture.log"; exit 1; }

# The virtual server lists the fixture's tools, resources and prompts by their federated names; it serves them bare.
tools=(test_simple_text test_image_content test_audio_content test_embedded_resource test_multiple_content_types
  test_tool_with_logging test_error_handling test_tool_with_progress test_sampling test_elicitation
  test_elicitation_sep1034_defaults test_elicitation_sep1330_enums json_schema_2020_12_tool
  test_input_required_result_elicitation test_input_required_result_sampling test_input_required_result_list_roots
  test_input_required_result_request_state test_input_required_result_tampered_state
  test_input_required_result_multiple_inputs test_input_required_result_multi_round
  test_input_required_result_capabilities test_missing_capability test_streaming_elicitation test_logging_tool
  test_trigger_tool_change test_trigger_prompt_change)
prompts=(test_simple_prompt test_prompt_with_arguments test_prompt_with_embedded_resource test_prompt_with_image
  test_input_required_result_prompt)
list() { local prefix=$1; shift; local out=""; for n in "$@"; do out+="${out:+, }\"${prefix}${n}\""; done; echo "[$out]"; }

cat > "$OUT/gateway.yaml" <<EOF
server: { port: 0, host: 127.0.0.1 }
storage: { dataDir: "memory://" }
logLevel: warn
mcpServers:
  fixture: { type: http, url: "http://127.0.0.1:${FIXTURE_PORT}/mcp" }
virtualServers:
  suite:
    tools: $(list fixture__ "${tools[@]}")
    prompts: $(list fixture__ "${prompts[@]}")
    resources: ["fixture+test://static-text", "fixture+test://static-binary", "fixture+test://watched-resource", "fixture+test://template/{id}/data"]
EOF
GATEWAY_CONFIG="$OUT/gateway.yaml" PORT="${CONFORMANCE_PORT:-0}" node --import tsx test/conformance/serve.ts > "$OUT/gateway.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do grep -qs GATEWAY_LISTENING "$OUT/gateway.log" && break; sleep 0.1; done
GW_PORT=$(sed -n 's/.*GATEWAY_LISTENING \([0-9]*\).*/\1/p' "$OUT/gateway.log")
[ -n "$GW_PORT" ] || { echo "conformance: gateway did not start"; cat "$OUT/gateway.log"; exit 1; }

status=0
summary=()
for rev in $REVISIONS; do
  for route in $ROUTES; do
    dir="$OUT/results-$rev-$route"
    # The suite needs Node 22; npx fetches it as a package. The URL must be localhost for the DNS-rebinding scenario.
    npx -y -p node@22 -p "@modelcontextprotocol/conformance@${VERSION}" \
      conformance server --url "http://localhost:${GW_PORT}/mcp/${route}" --requirements "$rev" -o "$dir" "$@" > "$OUT/run-$rev-$route.log" 2>&1
    code=$?
    total=$(grep -E '^Total:' "$OUT/run-$rev-$route.log" | tail -1)
    # Scored scenarios that failed: in the summary above the "Not scored" block, marked ✗.
    failed=$(sed -n '/=== SUMMARY ===/,/^Total:/p' "$OUT/run-$rev-$route.log" | sed -n 's/^✗ \([^:]*\):.*/\1/p')
    notscored=$(sed -n '/^Not scored/,$p' "$OUT/run-$rev-$route.log" | sed -n 's/^  \(✗\|✓\) \([^ ]*\) .*/\2/p')
    unexpected=()
    for s in $failed; do
      grep -qx "$s" <<<"$notscored" && continue
      [[ " ${EXPECTED[*]-} " == *" $rev:$route:$s "* ]] || unexpected+=("$s")
    done
    for e in "${EXPECTED[@]-}"; do
      [[ "$e" == "$rev:$route:"* ]] || continue
      grep -qx "${e##*:}" <<<"$failed" || echo "conformance: $e is listed as expected to fail but passed; remove it from EXPECTED"
    done
    if [ "$code" -ne 0 ] && [ ${#unexpected[@]} -eq 0 ] && [ -z "$failed" ]; then unexpected+=("(suite exited $code; see $OUT/run-$rev-$route.log)"); fi
    [ ${#unexpected[@]} -gt 0 ] && status=1
    summary+=("$rev /mcp/$route: ${total:-no total} ${unexpected[*]:+- unexpected failures: ${unexpected[*]}}")
  done
done
printf 'conformance: %s\n' "${summary[@]}"
echo "conformance: logs and results in $OUT (exit $status)"
exit $status
