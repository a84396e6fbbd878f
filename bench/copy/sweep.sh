#!/usr/bin/env bash
# bench/copy/sweep.sh — migrawave copy (and verify) of the bench tenant under
# several --parallelism / --chunk-rows settings, to see where the time goes.
# Uses the dataset and config of bench/copy/run.sh (generated if missing).
#
#   SWEEP_PARALLELISM="1 2 4 8"        copy --parallelism values
#   SWEEP_CHUNK_ROWS="10000 50000 200000"  copy --chunk-rows values
#   SWEEP_TABLES=events                copy --tables (default: all tables)
#   SWEEP_VERIFY_CHUNK_ROWS="10000 50000"  verify --chunk-rows values, run on
#                                      the last full copy (default: none)
#
# Prints one line per run and appends JSON lines to .local/bench/sweep-results.jsonl.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PARS=${SWEEP_PARALLELISM:-1 2 4 8}
CHUNKS=${SWEEP_CHUNK_ROWS:-10000 50000 200000}
ONLY=${SWEEP_TABLES:-}
VCHUNKS=${SWEEP_VERIFY_CHUNK_ROWS:-}
OUT=$WORK/sweep-results.jsonl
MW_DB=t_$TENANT

ensure_prereqs
ensure_dataset
mkdir -p "$WORK/runs/sweep"

printf '%-6s %5s %8s %-12s %9s %9s %9s %9s %10s %5s  %s\n' KIND PAR CHUNK TABLES WALL DATA POST ROWS/S RSS LOAD SLOWEST
for p in $PARS; do
	for c in $CHUNKS; do
		write_config "$p"
		fresh_pg_db "$MW_DB" drop
		settle
		name=sweep/copy-p$p-c$c
		args=(copy --config "$CONFIG" --tenant "$TENANT" --cluster "$CLUSTER" --output json --parallelism "$p" --chunk-rows "$c")
		[[ -n $ONLY ]] && args+=(--tables "$ONLY")
		timed "$name" "$MIGRAWAVE" "${args[@]}" >"$WORK/runs/$name.json" 2>"$WORK/runs/$name.log" ||
			die "migrawave copy exited $?: $(tail -3 "$WORK/runs/$name.log")"
		r=$WORK/runs/$name.json
		rows=$(jq .rows "$r")
		printf '%-6s %5s %8s %-12s %8.2fs %8.2fs %8.2fs %9.0f %6.1f MiB %5s  %s\n' copy "$p" "$c" "${ONLY:-all}" \
			"${WALL_S[$name]}" "$(jq '.data_duration_ns/1e9' "$r")" "$(jq '.post_data_duration_ns/1e9' "$r")" \
			"$(awk -v n="$rows" -v s="${WALL_S[$name]}" 'BEGIN { print n / s }')" "$(awk -v k="${RSS_KB[$name]}" 'BEGIN { print k / 1024 }')" "${LOAD_AFTER[$name]}" \
			"$(jq -r '.tables | max_by(.duration_ns) | "\(.table) \(.duration_ns/1e9*100|round/100)s"' "$r")"
		jq -c --arg kind copy --argjson p "$p" --argjson c "$c" --arg tables "${ONLY:-all}" \
			--argjson wall "${WALL_S[$name]}" --argjson rss "${RSS_KB[$name]}" --argjson load "${LOAD_AFTER[$name]}" \
			'{kind: $kind, load_after: $load, parallelism: $p, chunk_rows: $c, tables: $tables, wall_s: $wall, peak_rss_kib: $rss,
			  data_s: (.data_duration_ns/1e9), post_data_s: (.post_data_duration_ns/1e9), rows: .rows,
			  per_table_s: (.tables | map({(.table): (.duration_ns/1e9)}) | add)}' "$r" >>"$OUT"
	done
done

if [[ -n $VCHUNKS ]]; then
	[[ -z $ONLY ]] || die "SWEEP_VERIFY_CHUNK_ROWS needs a full copy: unset SWEEP_TABLES"
	for v in $VCHUNKS; do
		settle
		name=sweep/verify-c$v
		timed "$name" "$MIGRAWAVE" verify --config "$CONFIG" --tenant "$TENANT" --cluster "$CLUSTER" --output json --chunk-rows "$v" \
			>"$WORK/runs/$name.json" 2>"$WORK/runs/$name.log" || die "migrawave verify exited $?: $(tail -3 "$WORK/runs/$name.log")"
		r=$WORK/runs/$name.json
		printf '%-6s %5s %8s %-12s %8.2fs %9s %9s %9.0f %6.1f MiB %5s  %s\n' verify 4 "$v" all "${WALL_S[$name]}" - - \
			"$(jq '[.tables[].source_rows] | add' "$r" | awk -v s="${WALL_S[$name]}" '{ print $1 / s }')" \
			"$(awk -v k="${RSS_KB[$name]}" 'BEGIN { print k / 1024 }')" "${LOAD_AFTER[$name]}" \
			"$(jq -r '.tables | max_by(.duration_ns) | "\(.table) \(.duration_ns/1e9*100|round/100)s"' "$r")"
		jq -c --argjson c "$v" --argjson wall "${WALL_S[$name]}" --argjson rss "${RSS_KB[$name]}" --argjson load "${LOAD_AFTER[$name]}" \
			'{kind: "verify", load_after: $load, chunk_rows: $c, wall_s: $wall, peak_rss_kib: $rss, match: .match,
			  per_table_s: (.tables | map({(.table): (.duration_ns/1e9)}) | add)}' "$r" >>"$OUT"
	done
fi
log "results appended to ${OUT#"$ROOT"/}"
