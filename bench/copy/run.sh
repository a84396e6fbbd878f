#!/usr/bin/env bash
# bench/copy/run.sh — `make bench-copy`: how fast does migrawave copy one
# tenant compared to pgloader (the baseline) and to a bare COPY FROM (the
# ceiling)? See bench/copy/README.md.
#
# Knobs (environment):
#   BENCH_PARALLELISM          migrawave copy --parallelism (default 4, as migration.copy_parallelism)
#   BENCH_CHUNK_ROWS           migrawave copy --chunk-rows (default 50000, the CLI default)
#   BENCH_CEILING_PARALLELISM  parallel \copy sessions for the ceiling (default: BENCH_PARALLELISM)
#   BENCH_ROUNDS               rounds of every run (default 3); each figure is the median round's
#   BENCH_SKIP_PGLOADER=1      skip the pgloader run (quick iterations; its ratio is then n/a)
#   MIGRAWAVE_BIN              measure this binary instead of building one
#
# Exit status: 0 when every run succeeded and every row count matches the
# source, whatever the targets say (this is a measurement, not a test).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PARALLELISM=${BENCH_PARALLELISM:-4}
CHUNK_ROWS=${BENCH_CHUNK_ROWS:-50000}
CEILING_PARALLELISM=${BENCH_CEILING_PARALLELISM:-$PARALLELISM}
SKIP_PGLOADER=${BENCH_SKIP_PGLOADER:-0}
ROUNDS=${BENCH_ROUNDS:-3}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, not '$ROUNDS'"
RUNS=$WORK/runs
RESULTS=$WORK/copy-results.json
MW_DB=t_$TENANT
PGL_DB=bench_pgloader
CEIL_DB=bench_ceiling

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ensure_prereqs
ensure_dataset
ensure_csv
warm_source
write_config "$PARALLELISM"
find "$RUNS" -maxdepth 1 -type f -delete

declare -A SRC_ROWS
SOURCE_TOTAL=0
for t in "${TABLES[@]}"; do
	SRC_ROWS[$t]=$(source_count "$t")
	SOURCE_TOTAL=$((SOURCE_TOTAL + SRC_ROWS[$t]))
done
log "source: $SOURCE_TOTAL rows in ${#TABLES[@]} tables"

# Every run is done ROUNDS times, in rounds (a b d c, a b d c, ...), so that
# a disturbance of the shared machine hits one round of each, not one tool;
# each figure reported is the median round's.
declare -A DATA_S
for ((round = 1; round <= ROUNDS; round++)); do
	# ---------------------------------------------------------------- (a) pgloader
	PGL_ERRORS=0 PGL_SUMMARY_ROWS=0 PGL_FKS=0 PGL_SCHEMA=
	if [[ $SKIP_PGLOADER != 1 ]]; then
		log "round $round/$ROUNDS (a) pgloader -> $CLUSTER/$PGL_DB"
		# pgloader 3.6.9 sometimes exhausts its fixed 1 GiB Lisp heap on this
		# dataset ("Heap exhausted, game over"); such a run is retried once, with
		# the same defaults, and the retry is what gets measured.
		for attempt in 1 2; do
			fresh_pg_db "$PGL_DB"
			settle
			rc=0
			timed "pgloader#$round" pgloader "mysql://$MY_DSN_USER:$MY_DSN_PASS@127.0.0.1/$SRC_DB" \
				"postgresql://postgres@$PG_HOST:$PG_PORT/$PGL_DB" >"$RUNS/pgloader-$round.log" 2>&1 || rc=$?
			((rc == 0)) && break
			if ((attempt == 1)) && grep -q "Heap exhausted" "$RUNS/pgloader-$round.log"; then
				log "WARNING: pgloader ran out of heap; running it once more"
				continue
			fi
			die "pgloader exited $rc, see $RUNS/pgloader-$round.log"
		done
		# pgloader exits 0 even when a step failed (e.g. a foreign key it could
		# not create): its summary's errors column is the real verdict.
		PGL_ERRORS=$(awk '
			/table name +errors +rows/ { e = index($0, "errors") + 5; next }
			e && !/^-/ { v = substr($0, e - 8, 9); gsub(/ /, "", v); if (v ~ /^[0-9]+$/) sum += v }
			END { print sum + 0 }' "$RUNS/pgloader-$round.log")
		PGL_SUMMARY_ROWS=$(awk '/Total import time/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; exit } }' "$RUNS/pgloader-$round.log")
		grep -q "Total import time" "$RUNS/pgloader-$round.log" || die "pgloader printed no summary, see $RUNS/pgloader-$round.log"
		if ((PGL_ERRORS > 0)); then
			log "WARNING: pgloader reported $PGL_ERRORS error(s) in its summary:"
			grep -E ' (ERROR|FATAL) ' "$RUNS/pgloader-$round.log" | head -5 >&2 || true
		fi
		PGL_SCHEMA=$(pgc "$PGL_DB" -c "SELECT table_schema FROM information_schema.tables
			WHERE table_name = 'orders' AND table_schema NOT IN ('pg_catalog', 'information_schema') LIMIT 1")
		[[ -n $PGL_SCHEMA ]] || die "pgloader created no orders table in $PGL_DB"
		PGL_FKS=$(pgc "$PGL_DB" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
		quiesce "$PGL_DB"
	fi

	# -------------------------------------------------------- (b) migrawave copy
	log "round $round/$ROUNDS (b) migrawave copy --tenant $TENANT --cluster $CLUSTER --parallelism $PARALLELISM --chunk-rows $CHUNK_ROWS -> $MW_DB"
	fresh_pg_db "$MW_DB" drop
	settle
	timed "migrawave#$round" "$MIGRAWAVE" copy --config "$CONFIG" --tenant "$TENANT" --cluster "$CLUSTER" --output json \
		--parallelism "$PARALLELISM" --chunk-rows "$CHUNK_ROWS" >"$RUNS/migrawave-copy-$round.json" 2>"$RUNS/migrawave-copy-$round.log" ||
		die "migrawave copy exited $?: $(tail -3 "$RUNS/migrawave-copy-$round.log")"
	DATA_S[$round]=$(jq '.data_duration_ns / 1e9' "$RUNS/migrawave-copy-$round.json")
	MW_FKS=$(pgc "$MW_DB" -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f'")

	# ------------------------------------------------------ (d) migrawave verify
	log "round $round/$ROUNDS (d) migrawave verify --tenant $TENANT --cluster $CLUSTER"
	settle
	timed "verify#$round" "$MIGRAWAVE" verify --config "$CONFIG" --tenant "$TENANT" --cluster "$CLUSTER" --output json \
		>"$RUNS/migrawave-verify-$round.json" 2>"$RUNS/migrawave-verify-$round.log" ||
		die "migrawave verify exited $? (3 = source and target differ): $(tail -3 "$RUNS/migrawave-verify-$round.log")"
	[[ $(jq .rows "$RUNS/migrawave-copy-$round.json") == "$SOURCE_TOTAL" ]] || die "migrawave's report says $(jq .rows "$RUNS/migrawave-copy-$round.json") rows, the source has $SOURCE_TOTAL"
	[[ $(jq .match "$RUNS/migrawave-verify-$round.json") == true ]] || die "migrawave verify: no match, see $RUNS/migrawave-verify-$round.json"
	quiesce "$MW_DB"

	# ------------------------------------------------------- (c) COPY ceiling
	# Plain tables with the very column types migrawave chose (read back from its
	# database), no keys, indexes, constraints or defaults; then one psql \copy
	# ... FROM file CSV per table, $CEILING_PARALLELISM at once, largest first.
	log "round $round/$ROUNDS (c) COPY ceiling: $CEILING_PARALLELISM parallel \\copy FROM csv -> $CLUSTER/$CEIL_DB"
	fresh_pg_db "$CEIL_DB"
	for t in "${TABLES[@]}"; do
		ddl=$(pgc "$MW_DB" -c "SELECT format('CREATE TABLE %I (%s)', c.relname,
				string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY a.attnum))
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
			WHERE n.nspname = 'public' AND c.relname = '$t' GROUP BY c.relname")
		[[ -n $ddl ]] || die "ceiling: no table $t in $MW_DB to take column types from"
		pgc "$CEIL_DB" -c "$ddl"
		echo "\\copy \"$t\" ($(cat "$WORK/csv/$t.columns")) FROM '$WORK/csv/$t.csv' WITH (FORMAT csv)" >"$RUNS/ceiling-$t.sql"
	done
	settle
	# shellcheck disable=SC2012 # sizes of our own files
	timed "ceiling#$round" bash -c "ls -S '$WORK/csv' | sed -n 's/\\.csv\$//p' |
		xargs -P '$CEILING_PARALLELISM' -I{} psql -h '$PG_HOST' -p '$PG_PORT' -U postgres -d '$CEIL_DB' -X -q -v ON_ERROR_STOP=1 -f '$RUNS/ceiling-{}.sql'" \
		>"$RUNS/ceiling-$round.log" 2>&1 || die "ceiling \\copy failed: $(tail -3 "$RUNS/ceiling-$round.log")"
done

# ------------------------------------------------------------ row counts
log "checking row counts against the source"
declare -A MW_ROWS PGL_ROWS CEIL_ROWS
while read -r t n; do MW_ROWS[$t]=$n; done < <(pg_counts "$MW_DB" public)
while read -r t n; do CEIL_ROWS[$t]=$n; done < <(pg_counts "$CEIL_DB" public)
[[ -n $PGL_SCHEMA ]] && while read -r t n; do PGL_ROWS[$t]=$n; done < <(pg_counts "$PGL_DB" "$PGL_SCHEMA")
mismatch=0 MW_TOTAL=0 PGL_TOTAL=0 CEIL_TOTAL=0
counts_table=$(printf '%-14s %10s %10s %10s %10s\n' TABLE SOURCE PGLOADER MIGRAWAVE CEILING)
for t in "${TABLES[@]}"; do
	s=${SRC_ROWS[$t]} m=${MW_ROWS[$t]} c=${CEIL_ROWS[$t]} p=${PGL_ROWS[$t]:-skipped}
	MW_TOTAL=$((MW_TOTAL + m)) CEIL_TOTAL=$((CEIL_TOTAL + c))
	[[ $p == skipped ]] || PGL_TOTAL=$((PGL_TOTAL + p))
	flag=
	if [[ $m != "$s" || $c != "$s" || ($p != skipped && $p != "$s") ]]; then
		flag="  <-- MISMATCH"
		mismatch=1
	fi
	counts_table+=$'\n'$(printf '%-14s %10s %10s %10s %10s%s' "$t" "$s" "$p" "$m" "$c" "$flag")
done
echo "$counts_table"
((mismatch == 0)) || die "row counts differ from the source (see the table above)"

# ------------------------------------------------------------ results
calc() { awk "BEGIN { printf \"%.${2:-3}f\", $1 }"; }
mib() { calc "${1:-0} / 1024" 1; }
rate() { calc "$1 / $2" 0; }
verdict() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo FAIL; fi; }

# median VALUE...: the middle one (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk -v n=$# 'NR == int((n + 1) / 2)'; }

# Each run's figures are those of its median round by wall time, but its
# peak RSS is the largest of any round.
RUN_NAMES=(migrawave verify ceiling)
[[ $SKIP_PGLOADER == 1 ]] || RUN_NAMES=(pgloader "${RUN_NAMES[@]}")
declare -A MEDIAN_ROUND ROUND_WALLS
for name in "${RUN_NAMES[@]}"; do
	walls=() rss=()
	for ((r = 1; r <= ROUNDS; r++)); do
		walls+=("${WALL_S[$name#$r]}")
		rss+=("${RSS_KB[$name#$r]}")
	done
	m=$(for ((r = 1; r <= ROUNDS; r++)); do echo "${WALL_S[$name#$r]} $r"; done | sort -g | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) { print $2 }')
	MEDIAN_ROUND[$name]=$m
	WALL_S[$name]=${WALL_S[$name#$m]} CPU_S[$name]=${CPU_S[$name#$m]} LOAD_AFTER[$name]=${LOAD_AFTER[$name#$m]}
	RSS_KB[$name]=$(printf '%s\n' "${rss[@]}" | sort -n | tail -1)
	ROUND_WALLS[$name]=$(printf '%s,' "${walls[@]}")
done
MW_DATA_S=$(median "${DATA_S[@]}")
MW_COPY_JSON=$RUNS/migrawave-copy-${MEDIAN_ROUND[migrawave]}.json
MW_VERIFY_JSON=$RUNS/migrawave-verify-${MEDIAN_ROUND[verify]}.json
MW_POST_S=$(jq '.post_data_duration_ns / 1e9' "$MW_COPY_JSON")

MW_WALL=${WALL_S[migrawave]} VERIFY_WALL=${WALL_S[verify]} CEIL_WALL=${WALL_S[ceiling]}
MW_RSS_MIB=$(mib "${RSS_KB[migrawave]}")
R_DATA=$(calc "$MW_DATA_S / $CEIL_WALL" 2)
R_VERIFY=$(calc "$VERIFY_WALL / $MW_WALL" 2)
# Verdicts on the unrounded ratios: 0.504 prints as 0.50 but misses 0.5.
V_DATA=$(verdict "$MW_DATA_S / $CEIL_WALL <= 1.5")
V_RSS=$(verdict "${RSS_KB[migrawave]:-0} / 1024 < 200")
V_VERIFY=$(verdict "$VERIFY_WALL / $MW_WALL <= 0.5")
if [[ $SKIP_PGLOADER != 1 ]]; then
	PGL_WALL=${WALL_S[pgloader]}
	R_PGL=$(calc "$PGL_WALL / $MW_WALL" 2)
	V_PGL=$(verdict "$PGL_WALL / $MW_WALL >= 2")
else
	PGL_WALL=null R_PGL=null V_PGL=SKIPPED
fi

row() { printf '%-24s %9s %10s %9s %11s %11s %20s\n' "$@"; }
cpu() { awk '{ printf "%s/%s/%s", $1, $2, $3 }' <<<"${CPU_S[$1]}"; }
echo
echo "migrawave copy benchmark: tenant $TENANT, $SOURCE_TOTAL rows in ${#TABLES[@]} tables, MariaDB $SRC_DB (buffer pool $SOURCE_POOL_MIB MiB) -> $CLUSTER, $(nproc) CPUs"
echo "migrawave binary: $BINARY_NOTE; load average before the runs: $LOAD_START (our own runs alone load ~2-3)"
echo "migrawave --parallelism $PARALLELISM --chunk-rows $CHUNK_ROWS; ceiling: $CEILING_PARALLELISM parallel psql \\copy FROM CSV, largest table first"
echo "each run: the median of $ROUNDS round(s) (peak RSS: the largest); wall times by round:"
for name in "${RUN_NAMES[@]}"; do printf '  %-10s %s\n' "$name" "${ROUND_WALLS[$name]%,}"; done
echo "  data phase $(printf '%s,' "${DATA_S[@]}" | sed 's/,$//')"
echo
row TOOL WALL ROWS ROWS/S "PEAK RSS" "LOAD AFTER" "CPU S MARIADB/PG/TOOL"
if [[ $SKIP_PGLOADER != 1 ]]; then
	row "pgloader" "${PGL_WALL}s" "$PGL_TOTAL" "$(rate "$PGL_TOTAL" "$PGL_WALL")" "$(mib "${RSS_KB[pgloader]}") MiB" "${LOAD_AFTER[pgloader]}" "$(cpu pgloader)"
fi
row "migrawave copy" "${MW_WALL}s" "$MW_TOTAL" "$(rate "$MW_TOTAL" "$MW_WALL")" "$MW_RSS_MIB MiB" "${LOAD_AFTER[migrawave]}" "$(cpu migrawave)"
row "  data phase (median)" "$(calc "$MW_DATA_S")s" "$MW_TOTAL" "$(rate "$MW_TOTAL" "$MW_DATA_S")" "" ""
row "  post-data phase" "$(calc "$MW_POST_S")s" "" "" "" ""
row "COPY ceiling" "${CEIL_WALL}s" "$CEIL_TOTAL" "$(rate "$CEIL_TOTAL" "$CEIL_WALL")" "$(mib "${RSS_KB[ceiling]}") MiB" "${LOAD_AFTER[ceiling]}" "$(cpu ceiling)"
row "migrawave verify" "${VERIFY_WALL}s" "$SOURCE_TOTAL" "$(rate "$SOURCE_TOTAL" "$VERIFY_WALL")" "$(mib "${RSS_KB[verify]}") MiB" "${LOAD_AFTER[verify]}" "$(cpu verify)"
echo
echo "migrawave per table (data phase):"
jq -r '.tables[] | [.table, .rows, (.duration_ns / 1e9 * 1000 | round / 1000), (if .duration_ns > 0 then (.rows / (.duration_ns / 1e9) | round) else 0 end)] | @tsv' \
	"$MW_COPY_JSON" | awk -F'\t' '{ printf "  %-14s %9s rows %9.3fs %9s rows/s\n", $1, $2, $3, $4 }'
echo "verify per table:"
jq -r '.tables[] | [.table, .source_rows, .chunks, (.duration_ns / 1e9 * 1000 | round / 1000)] | @tsv' \
	"$MW_VERIFY_JSON" | awk -F'\t' '{ printf "  %-14s %9s rows %5s chunks %9.3fs\n", $1, $2, $3, $4 }'
if [[ $SKIP_PGLOADER != 1 ]]; then
	echo "pgloader: exit 0, summary errors $PGL_ERRORS, summary rows $PGL_SUMMARY_ROWS, foreign keys created $PGL_FKS (migrawave: $MW_FKS)"
fi
echo
printf '%-42s %10s %10s  %s\n' TARGET VALUE GOAL RESULT
shown_pgl=${R_PGL}x
[[ $R_PGL == null ]] && shown_pgl=n/a
printf '%-42s %10s %10s  %s\n' "pgloader / migrawave end-to-end time" "$shown_pgl" ">= 2x" "$V_PGL"
printf '%-42s %10s %10s  %s\n' "migrawave data phase / COPY ceiling" "${R_DATA}x" "<= 1.5x" "$V_DATA"
printf '%-42s %10s %10s  %s\n' "migrawave peak RSS" "$MW_RSS_MIB MiB" "< 200 MiB" "$V_RSS"
printf '%-42s %10s %10s  %s\n' "verify time / copy time" "$R_VERIFY" "<= 0.5" "$V_VERIFY"
echo

jq -n \
	--arg at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	--arg commit "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
	--argjson cpus "$(nproc)" \
	--arg dataset "$(cat "$WORK/dataset.marker")" --arg binary "$BINARY_NOTE" \
	--argjson parallelism "$PARALLELISM" --argjson chunk_rows "$CHUNK_ROWS" \
	--argjson ceiling_parallelism "$CEILING_PARALLELISM" \
	--argjson source_rows "$SOURCE_TOTAL" --argjson rounds "$ROUNDS" \
	--argjson round_walls "$(for k in "${RUN_NAMES[@]}"; do jq -n --arg k "$k" --argjson v "[${ROUND_WALLS[$k]%,}]" '{($k): $v}'; done | jq -s add)" \
	--argjson round_data "[$(printf '%s,' "${DATA_S[@]}" | sed 's/,$//')]" \
	--argjson tables "$(for t in "${TABLES[@]}"; do jq -n --arg t "$t" --argjson s "${SRC_ROWS[$t]}" \
		--argjson m "${MW_ROWS[$t]}" --argjson c "${CEIL_ROWS[$t]}" --argjson p "${PGL_ROWS[$t]:-null}" \
		'{table: $t, source: $s, pgloader: $p, migrawave: $m, ceiling: $c}'; done | jq -s .)" \
	--argjson pgl_wall "$PGL_WALL" --argjson pgl_rss "${RSS_KB[pgloader]:-null}" \
	--argjson pgl_rows "${PGL_TOTAL}" --argjson pgl_errors "$PGL_ERRORS" --argjson pgl_fks "$PGL_FKS" \
	--argjson mw_wall "$MW_WALL" --argjson mw_rss "${RSS_KB[migrawave]}" --argjson mw_rows "$MW_TOTAL" \
	--argjson mw_data "$MW_DATA_S" --argjson mw_post "$MW_POST_S" --argjson mw_fks "$MW_FKS" \
	--slurpfile mw_report "$MW_COPY_JSON" \
	--argjson ceil_wall "$CEIL_WALL" --argjson ceil_rss "${RSS_KB[ceiling]}" --argjson ceil_rows "$CEIL_TOTAL" \
	--argjson v_wall "$VERIFY_WALL" --argjson verify_rss "${RSS_KB[verify]}" \
	--argjson load "$(for k in "${RUN_NAMES[@]}"; do jq -n --arg k "$k" --argjson v "${LOAD_AFTER[$k]}" '{($k): $v}'; done | jq -s add)" \
	--argjson cpu "$(for k in "${RUN_NAMES[@]}"; do read -r m p c <<<"${CPU_S[$k]}"; jq -n --arg k "$k" --argjson m "$m" --argjson p "$p" --argjson c "$c" '{($k): {mariadb: $m, postgres: $p, tool: $c}}'; done | jq -s add)" \
	--slurpfile v_report "$MW_VERIFY_JSON" \
	--argjson r_pgl "$R_PGL" --arg v_pgl "$V_PGL" --argjson r_data "$R_DATA" --arg v_data "$V_DATA" \
	--argjson rss_mib "$MW_RSS_MIB" --arg v_rss "$V_RSS" --argjson r_verify "$R_VERIFY" --arg v_verify "$V_VERIFY" \
	'{
	  at: $at, commit: $commit, binary: $binary, cpus: $cpus, dataset_version: $dataset, tenant: "'"$TENANT"'", cluster: "'"$CLUSTER"'",
	  source_rows: $source_rows, tables: $tables, load_average_start: "'"$LOAD_START"'", load_average_after: $load,
	  cpu_seconds: $cpu,
	  rounds: $rounds, round_wall_s: ($round_walls + {migrawave_data: $round_data}),
	  options: {parallelism: $parallelism, chunk_rows: $chunk_rows, ceiling_parallelism: $ceiling_parallelism,
	            ceiling_method: "psql \\copy FROM CSV, plain tables without keys/indexes, largest table first"},
	  runs: {
	    pgloader: (if $pgl_wall == null then null else
	      {wall_s: $pgl_wall, rows: $pgl_rows, rows_per_s: ($pgl_rows / $pgl_wall), peak_rss_kib: $pgl_rss,
	       summary_errors: $pgl_errors, foreign_keys: $pgl_fks} end),
	    migrawave_copy: {wall_s: $mw_wall, rows: $mw_rows, rows_per_s: ($mw_rows / $mw_wall), peak_rss_kib: $mw_rss,
	      data_s: $mw_data, post_data_s: $mw_post, foreign_keys: $mw_fks, report: $mw_report[0]},
	    copy_ceiling: {wall_s: $ceil_wall, rows: $ceil_rows, rows_per_s: ($ceil_rows / $ceil_wall), peak_rss_kib: $ceil_rss},
	    migrawave_verify: {wall_s: $v_wall, rows: $source_rows, rows_per_s: ($source_rows / $v_wall), peak_rss_kib: $verify_rss,
	      report: $v_report[0]}
	  },
	  targets: {
	    pgloader_over_migrawave: {value: $r_pgl, goal: ">= 2", result: $v_pgl},
	    migrawave_data_over_ceiling: {value: $r_data, goal: "<= 1.5", result: $v_data},
	    migrawave_peak_rss_mib: {value: $rss_mib, goal: "< 200", result: $v_rss},
	    verify_over_copy: {value: $r_verify, goal: "<= 0.5", result: $v_verify}
	  }
	}' >"$RESULTS"
log "results written to ${RESULTS#"$ROOT"/}; logs in ${RUNS#"$ROOT"/}/"
