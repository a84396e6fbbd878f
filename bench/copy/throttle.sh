#!/usr/bin/env bash
# bench/copy/throttle.sh — `make bench-throttle`: does `migrawave copy
# --max-rows-per-second R` hold the rate on the benchmark's tenant? A copy of
# n rows at R rows per second must read for at least n/R seconds (the
# throttle pays for rows before it reads them) and, on a machine that copies
# faster than R, for not much longer. Figures are ratios of the copy's own
# report (rows, data phase) against n/R; see bench/copy/README.md.
#
# Knobs (environment):
#   BENCH_RATE          --max-rows-per-second (default 100000)
#   BENCH_PARALLELISM   --parallelism (default 4)
#   MIGRAWAVE_BIN       measure this binary instead of building one
#
# Exit status: 0 when the copy succeeded, moved every source row and took at
# least n/R; the upper bound (at most 15% more) is printed as a verdict.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RATE=${BENCH_RATE:-100000}
PARALLELISM=${BENCH_PARALLELISM:-4}
[[ $RATE =~ ^[1-9][0-9]*$ ]] || die "BENCH_RATE must be a positive integer, not '$RATE'"
DB=t_$TENANT

ensure_prereqs
ensure_dataset
warm_source
write_config "$PARALLELISM"
mkdir -p "$WORK/runs"

SOURCE_TOTAL=0
for t in "${TABLES[@]}"; do
	SOURCE_TOTAL=$((SOURCE_TOTAL + $(source_count "$t")))
done
fresh_pg_db "$DB" drop # migrawave creates it, owned by the application role
log "copy of $SOURCE_TOTAL rows at --max-rows-per-second $RATE (at least $((SOURCE_TOTAL / RATE)) s) -> $CLUSTER/$DB"
out=$WORK/runs/throttled-copy.json
timed throttled "$MIGRAWAVE" copy --config "$CONFIG" --tenant "$TENANT" --cluster "$CLUSTER" --output json \
	--parallelism "$PARALLELISM" --max-rows-per-second "$RATE" >"$out" 2>"$WORK/runs/throttled-copy.log" ||
	die "migrawave copy exited $?: $(tail -3 "$WORK/runs/throttled-copy.log")"
ROWS=$(jq .rows "$out")
[[ $ROWS == "$SOURCE_TOTAL" ]] || die "the copy's report says $ROWS rows, the source has $SOURCE_TOTAL"

awk -v rows="$ROWS" -v rate="$RATE" -v data="$(jq '.data_duration_ns / 1e9' "$out")" -v wall="${WALL_S[throttled]}" '
	BEGIN {
		least = rows / rate
		printf "%-34s %12s\n", "rows (the copy'"'"'s own report)", rows
		printf "%-34s %11.3fs\n", "rows / rate", least
		printf "%-34s %11.3fs  ratio %.3f  (>= 1, <= 1.15: %s)\n", "data phase", data, data / least,
			(data >= least && data <= 1.15 * least) ? "PASS" : "FAIL"
		printf "%-34s %11.3fs  ratio %.3f  (indexes and constraints after the data are not throttled)\n", "whole copy (wall)", wall, wall / least
		exit (data >= least) ? 0 : 1
	}'
