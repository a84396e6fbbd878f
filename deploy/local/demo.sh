#!/usr/bin/env bash
# make demo: a real migration wave on the local stack (already up, binaries
# built). Each run starts from a clean demo state: demo tenant databases and
# the catalog are recreated, the source re-seeded, DNS and queues reset.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONFIG=${CONFIG:-$ROOT/deploy/local/migrawave.yaml}
TENANTS=${DEMO_TENANTS:-50}
# One tenant at a time. The application's 250 writes/s take about one of
# the two CPUs of the machine this was measured on; a second tenant frozen
# at once doubled each one's freeze (p50 1.5 s -> 2.8 s, 10 tenants).
CONCURRENCY=${DEMO_CONCURRENCY:-1}
# The application's writes per second per tenant, during the whole wave.
RATE=${DEMO_RATE:-5}
# Tests run the demo under names of their own: a config (CONFIG), a tenant id
# prefix, their own logs folder, metrics ports and task queues. The task
# queues must be the config's temporal.task_queue and data_task_queue; the
# Temporal server is the local stack's.
PREFIX=${DEMO_PREFIX:-}
LOGS=${DEMO_LOGS:-$ROOT/.local/logs}
METRICS_PORT=${DEMO_METRICS_PORT:-9464} # the workers' are this and the next; 0: any free ones
TASK_QUEUE=${DEMO_TASK_QUEUE:-migrawave}
DATA_TASK_QUEUE=${DEMO_DATA_TASK_QUEUE:-migrawave-data}
TEMPORAL=$(bash "$ROOT/deploy/local/stack.sh" temporal-path)
WAVE="${PREFIX}demo-$(date +%Y%m%d-%H%M%S)"
BIN=${MIGRAWAVE_BIN:-$ROOT/bin/migrawave}
APP=${TENANTAPP_BIN:-$ROOT/bin/tenantapp}
# The application's ledger (empty: its default, tenantapp_ledger on the first
# cluster's server) and where the demo's report goes.
LEDGER=${DEMO_LEDGER:-}
REPORT=${DEMO_REPORT:-$ROOT/.local/demo-report.json}
mw() { "$BIN" --config "$CONFIG" "$@"; }
ledger=()
if [ -n "$LEDGER" ]; then ledger=(--ledger "$LEDGER"); fi

# The workers are started as the binary itself, never through the mw
# function: `mw … &` forks a subshell, $! is its pid, and the worker it runs
# outlives the demo.
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "==> resetting the demo: its tenant databases and its catalog"
mw demo reset --force >/dev/null
mkdir -p "$LOGS" "$ROOT/.local"

echo "==> setup: catalog schema and Temporal search attributes"
mw setup
echo "==> seeding $TENANTS demo tenants: MariaDB legacy, their RabbitMQ queues, their DNS records"
mw demo seed --tenants "$TENANTS" --prefix "$PREFIX"
echo "==> registering the tenants in the catalog"
mw catalog import

echo "==> starting two workers (logs in $LOGS/demo-worker-{1,2}.log)"
for i in 1 2; do
	port=$((METRICS_PORT ? METRICS_PORT + i - 1 : 0))
	"$BIN" --config "$CONFIG" worker --log-format json --metrics-addr "127.0.0.1:$port" >"$LOGS/demo-worker-$i.log" 2>&1 &
	pids+=($!)
done

echo "==> starting the SaaS application on every tenant: $RATE writes/s each (log in $LOGS/tenantapp.log)"
"$APP" --config "$CONFIG" "${ledger[@]}" run --all --rate "$RATE" --reset-ledger >"$LOGS/tenantapp.log" 2>&1 &
app=$!
pids+=("$app")

echo "==> starting wave $WAVE with the temporal CLI"
input="$ROOT/.local/$WAVE.json"
tenants=$(mw catalog list -o json | python3 -c 'import json,sys; print(json.dumps([t["tenant_id"] for t in json.load(sys.stdin)]))')
printf '{"wave_id": "%s", "tenants": %s, "concurrency": %d, "max_failed_percent": 20, "data_task_queue": "%s"}\n' \
	"$WAVE" "$tenants" "$CONCURRENCY" "$DATA_TASK_QUEUE" >"$input"
"$TEMPORAL" workflow start --address 127.0.0.1:7233 --type Wave --task-queue "$TASK_QUEUE" \
	--workflow-id "wave/$WAVE" --input-file "$input" >/dev/null
echo "    temporal workflow start --type Wave --task-queue $TASK_QUEUE --workflow-id wave/$WAVE --input-file $input"

mw wave watch "$WAVE"

echo "==> stopping the application: it writes on for a moment in the new databases, then processes what is left in the queues"
sleep 3
kill -TERM "$app"
wait "$app" || { echo "tenantapp failed: see $LOGS/tenantapp.log" >&2; exit 1; }

echo "==> what the application's users lived through (also in $REPORT)"
mw demo report --wave "$WAVE" "${ledger[@]}" --out "$REPORT"

cat <<INFO

Where to look:
  the wave in the UI   http://127.0.0.1:8233/namespaces/default/workflows/wave%2F$WAVE
  its tenants          $TEMPORAL workflow list --query 'WaveId="$WAVE"'
  the catalog          $ROOT/bin/migrawave --config $CONFIG catalog list
  Cloudflare emulator  curl -s http://127.0.0.1:8787/__admin/state
  RabbitMQ             http://127.0.0.1:15672 (migrawave/migrawave), vhosts legacy and platform
  the application      $APP --config $CONFIG check   (its ledger against where every tenant lives)
  logs                 $LOGS/
INFO
