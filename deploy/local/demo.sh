#!/usr/bin/env bash
# make demo: a real migration wave on the local stack (already up, binaries
# built). Each run starts from a clean demo state: demo tenant databases and
# the catalog are recreated, the source re-seeded, DNS and queues reset.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONFIG=${CONFIG:-$ROOT/deploy/local/migrawave.yaml}
TENANTS=${DEMO_TENANTS:-50}
CONCURRENCY=${DEMO_CONCURRENCY:-6}
TEMPORAL=$(bash "$ROOT/deploy/local/stack.sh" temporal-path)
LOGS="$ROOT/.local/logs"
WAVE="demo-$(date +%Y%m%d-%H%M%S)"
mw() { "$ROOT/bin/migrawave" --config "$CONFIG" "$@"; }

# The workers are started as the binary itself, never through the mw
# function: `mw … &` forks a subshell, $! is its pid, and the worker it runs
# outlives the demo.
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

echo "==> resetting the demo: tenant databases on pg-a/b/c and the catalog"
for port in 5432 5433 5434; do
	for db in $(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc "select datname from pg_database where datname like 't\_%'"); do
		psql -qh 127.0.0.1 -p "$port" -U postgres -d postgres -c "drop database \"$db\" with (force)"
	done
done
psql -qh 127.0.0.1 -p 5432 -U postgres -d postgres -c 'drop database if exists migrawave with (force)' -c 'create database migrawave'

echo "==> setup: catalog schema and Temporal search attributes"
mw setup
echo "==> seeding $TENANTS demo tenants: MariaDB legacy, their RabbitMQ queues, their DNS records"
mw demo seed --tenants "$TENANTS"
echo "==> registering the tenants in the catalog"
mw catalog import

echo "==> starting two workers (logs in $LOGS/demo-worker-{1,2}.log)"
for i in 1 2; do
	"$ROOT/bin/migrawave" --config "$CONFIG" worker --log-format json --metrics-addr "127.0.0.1:$((9463 + i))" >"$LOGS/demo-worker-$i.log" 2>&1 &
	pids+=($!)
done

echo "==> starting wave $WAVE with the temporal CLI"
input="$ROOT/.local/$WAVE.json"
tenants=$(mw catalog list -o json | python3 -c 'import json,sys; print(json.dumps([t["tenant_id"] for t in json.load(sys.stdin)]))')
printf '{"wave_id": "%s", "tenants": %s, "concurrency": %d, "max_failed_percent": 20}\n' "$WAVE" "$tenants" "$CONCURRENCY" >"$input"
"$TEMPORAL" workflow start --address 127.0.0.1:7233 --type Wave --task-queue migrawave \
	--workflow-id "wave/$WAVE" --input-file "$input" >/dev/null
echo "    temporal workflow start --type Wave --task-queue migrawave --workflow-id wave/$WAVE --input-file $input"

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
