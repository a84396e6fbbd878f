#!/usr/bin/env bash
# make demo: a real migration wave on the local stack (already up, binaries
# built). Each run starts from a clean demo state: demo tenant databases and
# the catalog are recreated, the source re-seeded, DNS and queues reset.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONFIG=${CONFIG:-$ROOT/deploy/local/migrawave.yaml}
TENANTS=${DEMO_TENANTS:-50}
CONCURRENCY=${DEMO_CONCURRENCY:-6}
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
mw() { "$BIN" --config "$CONFIG" "$@"; }

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

echo "==> starting wave $WAVE with the temporal CLI"
input="$ROOT/.local/$WAVE.json"
tenants=$(mw catalog list -o json | python3 -c 'import json,sys; print(json.dumps([t["tenant_id"] for t in json.load(sys.stdin)]))')
printf '{"wave_id": "%s", "tenants": %s, "concurrency": %d, "max_failed_percent": 20, "data_task_queue": "%s"}\n' \
	"$WAVE" "$tenants" "$CONCURRENCY" "$DATA_TASK_QUEUE" >"$input"
"$TEMPORAL" workflow start --address 127.0.0.1:7233 --type Wave --task-queue "$TASK_QUEUE" \
	--workflow-id "wave/$WAVE" --input-file "$input" >/dev/null
echo "    temporal workflow start --type Wave --task-queue $TASK_QUEUE --workflow-id wave/$WAVE --input-file $input"

mw wave watch "$WAVE"

cat <<INFO

Where to look:
  the wave in the UI   http://127.0.0.1:8233/namespaces/default/workflows/wave%2F$WAVE
  its tenants          $TEMPORAL workflow list --query 'WaveId="$WAVE"'
  the catalog          $ROOT/bin/migrawave --config $CONFIG catalog list
  Cloudflare emulator  curl -s http://127.0.0.1:8787/__admin/state
  RabbitMQ             http://127.0.0.1:15672 (migrawave/migrawave), vhosts legacy and platform
  logs                 $LOGS/
INFO
