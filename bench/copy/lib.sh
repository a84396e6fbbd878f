# Shared by bench/copy/run.sh and bench/copy/sweep.sh: paths, prerequisites,
# the dataset (generated once, reused), the migrawave config, timing helpers.
# Source it; it does not run anything by itself.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR=$ROOT/bench/copy
WORK=$ROOT/.local/bench
export PATH=$PATH:/usr/local/go/bin

SRC_DB=bench_source
TENANT=bench
CLUSTER=pg-c
PG_HOST=127.0.0.1
PG_PORT=5434
MY_DSN_USER=migrawave
MY_DSN_PASS=migrawave
CONFIG=$WORK/migrawave-bench.yaml
MIGRAWAVE=${MIGRAWAVE_BIN:-$WORK/bin/migrawave}
# No TLS to PostgreSQL for any of the three, as pgloader (which never asks
# for it) connects: psql and migrawave would otherwise encrypt every row over
# the loopback, at a cost pgloader does not pay.
export PGSSLMODE=disable

# Source tables, parents first (the generation order).
TABLES=(customers products orders order_lines events attachments)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[bench] FAILED: %s\n' "$*" >&2; exit 1; }

# mysql_root runs the mariadb client as root over the socket, in utf8mb4.
mysql_root() { mariadb --default-character-set=utf8mb4 "$@"; }

# pgc runs psql against cluster pg-c: pgc DB [psql args...]
pgc() {
	local db=$1
	shift
	PGOPTIONS='-c client_min_messages=warning' \
		psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d "$db" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# fresh_pg_db drops (closing its connections) and optionally recreates a database on pg-c.
fresh_pg_db() {
	local db=$1 create=${2:-create}
	pgc postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
	if [[ $create == create ]]; then
		pgc postgres -c "CREATE DATABASE \"$db\""
	fi
}

# settle flushes what earlier runs left dirty, so that one run's writes are not
# paid for during the next one.
settle() {
	pgc postgres -c "CHECKPOINT"
	sync
}

# quiesce DB vacuums a database that a run has just loaded, untimed: left
# to autovacuum, that work would land in the middle of the next run.
quiesce() {
	pgc "$1" -c "VACUUM"
}

apt_install() {
	log "installing Debian package(s): $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; } ||
		die "apt-get install $* failed"
}

# ensure_prereqs brings the local stack up (idempotent), installs pgloader,
# GNU time and jq when missing, and builds the migrawave binary measured here.
ensure_prereqs() {
	mkdir -p "$WORK" "$WORK/runs" "$WORK/bin"
	log "local stack: bash deploy/local/stack.sh up"
	(cd "$ROOT" && bash deploy/local/stack.sh up >"$WORK/stack-up.log" 2>&1) ||
		die "deploy/local/stack.sh up failed, see $WORK/stack-up.log"
	command -v pgloader >/dev/null || apt_install pgloader
	[[ -x /usr/bin/time ]] || apt_install time
	command -v jq >/dev/null || apt_install jq
	BINARY_NOTE="built from the working tree"
	if [[ -n ${MIGRAWAVE_BIN:-} ]]; then
		BINARY_NOTE="MIGRAWAVE_BIN=$MIGRAWAVE_BIN"
	else
		# Built into .local/bench so that a concurrent `make build` cannot swap
		# the binary under a run.
		log "building migrawave -> ${MIGRAWAVE#"$ROOT"/}"
		if ! (cd "$ROOT" && go build -o "$MIGRAWAVE.new" ./cmd/migrawave 2>"$WORK/build.log"); then
			cat "$WORK/build.log" >&2
			[[ -x $MIGRAWAVE ]] || die "go build ./cmd/migrawave failed and there is no earlier build to measure"
			BINARY_NOTE="STALE: the working tree did not compile, measuring the build of $(date -r "$MIGRAWAVE" '+%Y-%m-%d %H:%M:%S')"
			log "WARNING: go build failed; $BINARY_NOTE"
		else
			mv "$MIGRAWAVE.new" "$MIGRAWAVE"
		fi
	fi
}

# dataset_version identifies the generator: change a SQL file and the dataset
# (and the CSV cache) is generated again.
dataset_version() {
	cat "$BENCH_DIR/schema.sql" "$BENCH_DIR"/fill/*.sql | sha256sum | cut -c1-16
}

# expected_rows TABLE prints the row count its fill file declares.
expected_rows() {
	local f
	f=$(ls "$BENCH_DIR"/fill/*-"$1".sql)
	sed -n 's/^-- rows: \([0-9]*\).*/\1/p' "$f" | head -1
}

# source_count TABLE counts the table's rows in bench_source.
source_count() {
	mysql_root -N -B "$SRC_DB" -e "SELECT COUNT(*) FROM \`$1\`"
}

# dataset_ok: the marker names the current generator version and every table
# holds the rows its fill file declares.
dataset_ok() {
	local want=$1 t
	[[ -f $WORK/dataset.marker && $(cat "$WORK/dataset.marker") == "$want" ]] || return 1
	mysql_root -N -B -e "SELECT 1 FROM information_schema.schemata WHERE schema_name='$SRC_DB'" | grep -q 1 || return 1
	for t in "${TABLES[@]}"; do
		[[ $(source_count "$t" 2>/dev/null) == "$(expected_rows "$t")" ]] || return 1
	done
}

# ensure_dataset generates bench_source once, server side (INSERT ... SELECT
# from the SEQUENCE engine's seq_1_to_N tables), in ranges of 250,000 rows
# with progress, and reuses it on later runs.
ensure_dataset() {
	local version
	version=$(dataset_version)
	if dataset_ok "$version"; then
		log "dataset $SRC_DB is ready (version $version), reusing it"
		return
	fi
	log "generating dataset $SRC_DB (version $version) ..."
	rm -f "$WORK/dataset.marker"
	rm -rf "$WORK/csv"
	local start=$SECONDS
	mysql_root -e "DROP DATABASE IF EXISTS \`$SRC_DB\`; CREATE DATABASE \`$SRC_DB\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	mysql_root "$SRC_DB" <"$BENCH_DIR/schema.sql"
	local f t rows lo hi step=250000 total=0
	for f in "$BENCH_DIR"/fill/*.sql; do
		t=$(basename "$f" .sql)
		t=${t#*-}
		rows=$(expected_rows "$t")
		for ((lo = 1; lo <= rows; lo += step)); do
			hi=$((lo + step - 1))
			((hi > rows)) && hi=$rows
			{
				echo "SET SESSION foreign_key_checks = 0, unique_checks = 0, time_zone = '+00:00';"
				echo "SET @lo = $lo, @hi = $hi;"
				cat "$f"
			} | mysql_root "$SRC_DB" || die "generating $t rows $lo-$hi failed"
			total=$((total + hi - lo + 1))
			log "  $t: $hi/$rows rows (total $total, $((SECONDS - start))s)"
		done
	done
	mysql_root "$SRC_DB" -e "ANALYZE TABLE $(IFS=,; echo "${TABLES[*]}")" >/dev/null
	for t in "${TABLES[@]}"; do
		[[ $(source_count "$t") == "$(expected_rows "$t")" ]] || die "dataset: $t has $(source_count "$t") rows, expected $(expected_rows "$t")"
	done
	echo "$version" >"$WORK/dataset.marker"
	log "dataset generated: $total rows in $((SECONDS - start))s"
}

# ensure_csv exports every table once to .local/bench/csv/<table>.csv in
# PostgreSQL's CSV format (every value double-quoted with quotes doubled, NULL
# as an empty unquoted field, blobs as \x hex for bytea), TIMESTAMPs in UTC.
ensure_csv() {
	local version
	version=$(dataset_version)
	if [[ -f $WORK/csv/.version && $(cat "$WORK/csv/.version") == "$version" ]]; then
		log "CSV export is cached in ${WORK#"$ROOT"/}/csv, reusing it"
		return
	fi
	log "exporting $SRC_DB to CSV (once) ..."
	rm -rf "$WORK/csv"
	mkdir -p "$WORK/csv"
	local t name type exprs cols start=$SECONDS
	for t in "${TABLES[@]}"; do
		exprs=() cols=()
		while IFS=$'\t' read -r name type; do
			cols+=("\"$name\"")
			case $type in
			*blob | binary | varbinary) exprs+=("IFNULL(CONCAT('\\\\x', HEX(\`$name\`)), '')") ;;
			*) exprs+=("IFNULL(CONCAT('\"', REPLACE(\`$name\`, '\"', '\"\"'), '\"'), '')") ;;
			esac
		done < <(mysql_root -N -B -e "SELECT column_name, data_type FROM information_schema.columns
			WHERE table_schema = '$SRC_DB' AND table_name = '$t' ORDER BY ordinal_position")
		mysql_root --quick --raw -N -B "$SRC_DB" \
			-e "SET time_zone = '+00:00'; SELECT CONCAT_WS(',', $(IFS=,; echo "${exprs[*]}")) FROM \`$t\`" \
			>"$WORK/csv/$t.csv" || die "exporting $t to CSV failed"
		(IFS=,; echo "${cols[*]}") >"$WORK/csv/$t.columns"
		log "  $t: $(du -h "$WORK/csv/$t.csv" | cut -f1)"
	done
	echo "$version" >"$WORK/csv/.version"
	log "CSV export done in $((SECONDS - start))s"
}

# warm_source gives the source MariaDB a buffer pool that holds the dataset,
# until the server restarts, and reads every table into it: a production
# server holds its working set in memory. With MariaDB's default pool of 128
# MiB and its O_DIRECT reads, every run would read the source from disk,
# timing the disk for each tool (pgloader alike) rather than the tools.
warm_source() {
	local need have t
	need=$(mysql_root -N -B -e "SELECT CEIL(SUM(data_length + index_length) * 1.5 / 134217728) * 128
		FROM information_schema.tables WHERE table_schema = '$SRC_DB'")
	have=$(mysql_root -N -B -e "SELECT @@innodb_buffer_pool_size DIV 1048576")
	if ((have < need)); then
		log "source: growing MariaDB's buffer pool from $have to $need MiB (until it restarts) to hold the dataset"
		mysql_root -e "SET GLOBAL innodb_buffer_pool_size = $need * 1048576" || die "could not grow MariaDB's buffer pool"
		for _ in $(seq 60); do
			(($(mysql_root -N -B -e "SELECT @@innodb_buffer_pool_size DIV 1048576") >= need)) && break
			sleep 1
		done
	fi
	SOURCE_POOL_MIB=$(mysql_root -N -B -e "SELECT @@innodb_buffer_pool_size DIV 1048576")
	for t in "${TABLES[@]}"; do
		mysql_root --quick -N -B "$SRC_DB" -e "SELECT * FROM \`$t\`" >/dev/null || die "reading $t into the buffer pool failed"
	done
}

# write_config writes the bench's migrawave config: deploy/local/migrawave.yaml
# with source.dsn pointing at bench_source, no per-table overrides (the legacy
# schema's `settings` table does not exist here), sslmode=disable on the
# clusters' DSNs (see PGSSLMODE above), an absolute token_file and
# migration.copy_parallelism = $1 (the target pool is sized from it).
write_config() {
	local parallelism=$1
	awk -v dsn="$MY_DSN_USER:$MY_DSN_PASS@tcp(127.0.0.1:3306)/$SRC_DB" \
		-v token="$ROOT/.local/cfemu/token" -v par="$parallelism" '
		/^[a-z_]+:/ { section = $1; skip = 0 }
		section == "source:" && /^  tables:/ { skip = 1; next }
		skip && /^    / { next }
		skip && !/^    / { skip = 0 }
		section == "source:" && /^  dsn:/ { print "  dsn: \"" dsn "\""; next }
		section == "clusters:" && /^    dsn: postgres:\/\/[^?]*$/ { print $0 "?sslmode=disable"; next }
		section == "cloudflare:" && /^  token_file:/ { print "  token_file: " token; next }
		section == "migration:" && /^  copy_parallelism:/ { print "  copy_parallelism: " par; seen = 1; next }
		{ print }
		END { if (!seen) print "  copy_parallelism: " par }
	' "$ROOT/deploy/local/migrawave.yaml" >"$CONFIG"
	grep -q "/$SRC_DB\"" "$CONFIG" || die "writing $CONFIG: source.dsn not replaced"
}

# timed NAME CMD... runs CMD under GNU time, recording WALL_S[NAME] (seconds,
# from our own clock) and RSS_KB[NAME] (its "Maximum resident set size"; for
# several processes, the largest single one). Returns CMD's exit status.
#
# LOAD_AFTER[NAME] is the 1-minute load average when it ended: this machine
# is shared, and a run that competed with a compiler says so.
declare -A WALL_S RSS_KB LOAD_AFTER CPU_S

# server_cpu prints the CPU seconds MariaDB and the target cluster's
# PostgreSQL (the postmaster and the backends it has reaped) have used so far.
server_cpu() {
	local tick my pg
	tick=$(getconf CLK_TCK)
	my=$(pgrep -x mariadbd | head -1)
	pg=$(head -1 "/var/lib/postgresql/15/$CLUSTER/postmaster.pid")
	awk -v t="$tick" '{ printf "%s ", ($14 + $15 + $16 + $17) / t }' "/proc/$my/stat" "/proc/$pg/stat"
}

# timed NAME CMD... runs CMD under GNU time and records its wall time, peak
# RSS, the load average after it and the CPU seconds it took, split between
# MariaDB, PostgreSQL and the client itself — on 2 CPUs shared by all three.
timed() {
	local name=$1
	shift
	local tf=$WORK/runs/$name.time t0 t1 rc cpu0 cpu1
	cpu0=$(server_cpu)
	t0=$(date +%s%N)
	set +e
	/usr/bin/time -v -o "$tf" "$@"
	rc=$?
	set -e
	t1=$(date +%s%N)
	LOAD_AFTER[$name]=$(cut -d' ' -f1 /proc/loadavg)
	sleep 1 # let the postmaster reap the run's backends, whose CPU it then counts
	cpu1=$(server_cpu)
	WALL_S[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
	RSS_KB[$name]=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
	CPU_S[$name]=$(awk -F': ' -v before="$cpu0" -v after="$cpu1" '
		/User time|System time/ { client += $2 }
		END { split(before, b, " "); split(after, a, " ")
		      printf "%.1f %.1f %.1f", a[1] - b[1], a[2] - b[2], client }' "$tf")
	return $rc
}

# pg_counts DB SCHEMA prints "table count" for every bench table in DB.SCHEMA.
pg_counts() {
	local db=$1 schema=$2 t
	for t in "${TABLES[@]}"; do
		echo "$t $(pgc "$db" -c "SELECT count(*) FROM \"$schema\".\"$t\"")"
	done
}
