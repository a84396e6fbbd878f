#!/usr/bin/env bash
# The local stack: every service migrawave needs, on this machine.
#
#   stack.sh up       install what is missing (Debian packages, as root), start what is down
#   stack.sh down     stop what `up` started, and nothing else
#   stack.sh status   one line per service: up/down and its address
#
# Idempotent: `up` on a running stack changes nothing. Services already running
# (the machine's own PostgreSQL, MariaDB, RabbitMQ) are reused and never stopped.
# Logs live under .local/ in the repository. The services are the machine's,
# shared by every checkout, so their state is too: the temporal CLI (minutes
# to build), Temporal's SQLite file and the emulator's state live under
# ${MIGRAWAVE_CACHE:-~/.cache/migrawave}.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL="$ROOT/.local"
LOGS="$LOCAL/logs"
RUN="$LOCAL/run"
CACHE="${MIGRAWAVE_CACHE:-$HOME/.cache/migrawave}"
TEMPORAL_VERSION=v1.5.1
TEMPORAL="$CACHE/temporal-$TEMPORAL_VERSION/temporal"
HEALTH_TIMEOUT=${STACK_HEALTH_TIMEOUT:-90}

SEARCH_ATTRIBUTES=(WaveId TenantId MigrationPhase TargetCluster)
PG_CLUSTERS=("pg-a:5432" "pg-b:5433" "pg-c:5434")
SERVICES=(mariadb pg-a pg-b pg-c rabbitmq temporal cfemu)

mkdir -p "$LOGS" "$RUN"

say() { printf '%s\n' "$*" >&2; }
die() { say "stack: $*"; exit 1; }

# started records that `up` started a service, so that `down` stops only those.
mark_started() { touch "$RUN/$1.started"; }
was_started() { [ -f "$RUN/$1.started" ]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for NAME LOG CHECK...: polls CHECK until it succeeds or the timeout runs out.
wait_for() {
	local name=$1 log=$2
	shift 2
	local deadline=$((SECONDS + HEALTH_TIMEOUT))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			die "$name did not become healthy within ${HEALTH_TIMEOUT}s; see $log"
		fi
		sleep 0.5
	done
}

apt_updated=""
need_packages() {
	local missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	((${#missing[@]} == 0)) && return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages ${missing[*]}; run as root to install them"
	say "installing ${missing[*]}"
	if [ -z "$apt_updated" ]; then
		apt-get update -qq >"$LOGS/apt.log" 2>&1 || die "apt-get update failed; see $LOGS/apt.log"
		apt_updated=1
	fi
	# Debian starts services from postinst where it can; policy-rc.d keeps
	# that from racing with our own start below.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOGS/apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed; see $LOGS/apt.log"
}

# --- MariaDB ---------------------------------------------------------------

mariadb_up() {
	if ! port_open 3306; then
		need_packages mariadb-server mariadb-client
		install -d -o mysql -g mysql /run/mysqld "$LOGS/mariadb"
		start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --log-error="$LOGS/mariadb/error.log"
		mark_started mariadb
		wait_for mariadb "$LOGS/mariadb/error.log" port_open 3306
	fi
	wait_for mariadb "$LOGS/mariadb.log" mariadb -uroot -e 'select 1'
	# A password user over TCP: tools like pgloader cannot use root's socket auth.
	mariadb -uroot >>"$LOGS/mariadb.log" 2>&1 <<-'SQL' || die "mariadb: creating database legacy failed; see $LOGS/mariadb.log"
		CREATE DATABASE IF NOT EXISTS legacy CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
		CREATE USER IF NOT EXISTS 'migrawave'@'127.0.0.1' IDENTIFIED BY 'migrawave';
		CREATE USER IF NOT EXISTS 'migrawave'@'localhost' IDENTIFIED BY 'migrawave';
		GRANT ALL PRIVILEGES ON *.* TO 'migrawave'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON *.* TO 'migrawave'@'localhost';
	SQL
}

mariadb_down() {
	was_started mariadb || return 0
	start-stop-daemon --stop --oknodo --retry 30 --exec /usr/sbin/mariadbd >/dev/null
	rm -f "$RUN/mariadb.started"
}

mariadb_status() { port_open 3306 && mariadb -uroot -e 'select 1' >/dev/null 2>&1; }

# --- PostgreSQL clusters ---------------------------------------------------

pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n1; }

pg_cluster_for_port() {
	local v=$1 port=$2 c
	for c in /etc/postgresql/"$v"/*/; do
		c=$(basename "$c")
		if grep -Eq "^\s*port\s*=\s*$port\b" "/etc/postgresql/$v/$c/postgresql.conf" 2>/dev/null; then
			echo "$c"
			return
		fi
	done
}

pg_up_one() {
	local name=$1 port=$2 v cluster log
	need_packages postgresql postgresql-client
	v=$(pg_version)
	[ -n "$v" ] || die "$name: no PostgreSQL version under /etc/postgresql after install"
	log="$LOGS/$name.log"
	if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
		cluster=$(pg_cluster_for_port "$v" "$port")
		if [ -z "$cluster" ]; then
			cluster=$name
			pg_createcluster "$v" "$cluster" -p "$port" --start-conf=manual -- --auth-host=trust --auth-local=trust >>"$log" 2>&1 ||
				die "$name: pg_createcluster failed; see $log"
		fi
		pg_ctlcluster --skip-systemctl-redirect "$v" "$cluster" start >>"$log" 2>&1 || die "$name: start failed; see $log"
		echo "$v $cluster" >"$RUN/$name.started"
	fi
	wait_for "$name" "$log" pg_isready -q -h 127.0.0.1 -p "$port"
	wait_for "$name" "$log" psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc 'select 1'
	# The application's role: it owns every tenant database and its tables.
	if ! psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc "select 1 from pg_roles where rolname = 'tenant_app'" | grep -q 1; then
		psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc 'create role tenant_app nologin' >>"$log" 2>&1 ||
			die "$name: creating role tenant_app failed; see $log"
	fi
}

pg_up() {
	local spec
	for spec in "${PG_CLUSTERS[@]}"; do pg_up_one "${spec%%:*}" "${spec##*:}"; done
	if ! psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc "select 1 from pg_database where datname='migrawave'" | grep -q 1; then
		psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -qc 'create database migrawave' >>"$LOGS/pg-a.log" 2>&1 ||
			die "pg-a: creating the catalog database failed; see $LOGS/pg-a.log"
	fi
}

pg_down() {
	local spec name
	for spec in "${PG_CLUSTERS[@]}"; do
		name=${spec%%:*}
		was_started "$name" || continue
		# shellcheck disable=SC2046
		pg_ctlcluster --skip-systemctl-redirect $(cat "$RUN/$name.started") stop -m fast >/dev/null 2>&1 || true
		rm -f "$RUN/$name.started"
	done
}

pg_status() { pg_isready -q -h 127.0.0.1 -p "$1"; }

# --- RabbitMQ --------------------------------------------------------------

rabbitmq_up() {
	local log="$LOGS/rabbitmq.log"
	if ! rabbitmq_status; then
		need_packages rabbitmq-server
		rabbitmq-server -detached >>"$log" 2>&1 || die "rabbitmq: start failed; see $log"
		mark_started rabbitmq
	fi
	wait_for rabbitmq "$log" rabbitmq_status
	rabbitmq_ready && return 0
	{
		rabbitmq-plugins enable --quiet rabbitmq_management
		rabbitmqctl -q add_vhost legacy 2>/dev/null || true
		rabbitmqctl -q add_vhost platform 2>/dev/null || true
		rabbitmqctl -q add_user migrawave migrawave 2>/dev/null || true
		rabbitmqctl -q set_user_tags migrawave administrator
		rabbitmqctl -q set_permissions -p legacy migrawave '.*' '.*' '.*'
		rabbitmqctl -q set_permissions -p platform migrawave '.*' '.*' '.*'
	} >>"$log" 2>&1 || die "rabbitmq: creating vhosts legacy/platform failed; see $log"
}

# rabbitmq_ready asks the management API (fast) whether the user already has
# both vhosts; each rabbitmqctl call costs seconds of Erlang start-up.
rabbitmq_ready() {
	local vh
	for vh in legacy platform; do
		curl -fsS -o /dev/null -u migrawave:migrawave "http://127.0.0.1:15672/api/permissions/$vh/migrawave" 2>/dev/null || return 1
	done
}

rabbitmq_down() {
	was_started rabbitmq || return 0
	rabbitmqctl -q stop >/dev/null 2>&1 || true
	rm -f "$RUN/rabbitmq.started"
}

rabbitmq_status() {
	port_open 5672 || return 1
	# The management API answers in milliseconds; before it is enabled, ask the node.
	curl -fsS -o /dev/null -u migrawave:migrawave http://127.0.0.1:15672/api/overview 2>/dev/null ||
		rabbitmq-diagnostics -q check_port_connectivity >/dev/null 2>&1
}

# --- Temporal dev server ---------------------------------------------------

temporal_build() {
	[ -x "$TEMPORAL" ] && return 0
	say "building the temporal CLI $TEMPORAL_VERSION from source into $(dirname "$TEMPORAL") (about 6 minutes, once)"
	mkdir -p "$(dirname "$TEMPORAL")"
	GOBIN="$(dirname "$TEMPORAL")" GOFLAGS=-mod=mod go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_VERSION" >"$LOGS/temporal-build.log" 2>&1 ||
		die "temporal: building the CLI failed; see $LOGS/temporal-build.log"
}

temporal_healthy() { "$TEMPORAL" operator cluster health --address 127.0.0.1:7233 2>/dev/null | grep -q SERVING; }

temporal_up() {
	local log="$LOGS/temporal.log" sa args=()
	temporal_build
	if ! port_open 7233; then
		mkdir -p "$CACHE/state"
		for sa in "${SEARCH_ATTRIBUTES[@]}"; do args+=(--search-attribute "$sa=Keyword"); done
		# The dev server's SQLite file with WAL and synchronous=normal is several
		# times faster than its default; the batch limit allows a few operators.
		setsid "$TEMPORAL" server start-dev \
			--ip 127.0.0.1 --port 7233 --ui-port 8233 \
			--db-filename "$CACHE/state/temporal.db" \
			--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
			--dynamic-config-value frontend.MaxConcurrentBatchOperationPerNamespace=5 \
			--log-level warn "${args[@]}" >>"$log" 2>&1 </dev/null &
		echo $! >"$RUN/temporal.pid"
		mark_started temporal
	fi
	wait_for temporal "$log" temporal_healthy
	# A server that was already running may predate the attributes: register
	# whatever is missing (the call fails harmlessly for existing ones).
	local existing
	existing=$("$TEMPORAL" operator search-attribute list --address 127.0.0.1:7233 2>>"$log") || die "temporal: listing search attributes failed; see $log"
	for sa in "${SEARCH_ATTRIBUTES[@]}"; do
		grep -qw "$sa" <<<"$existing" && continue
		"$TEMPORAL" operator search-attribute create --address 127.0.0.1:7233 --name "$sa" --type Keyword >>"$log" 2>&1 ||
			die "temporal: registering search attribute $sa failed; see $log"
	done
}

stop_pid() {
	local name=$1 pid
	was_started "$name" || return 0
	if [ -f "$RUN/$name.pid" ]; then
		pid=$(cat "$RUN/$name.pid")
		if kill "$pid" 2>/dev/null; then
			for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -f "$RUN/$name.pid" "$RUN/$name.started"
}

temporal_down() { stop_pid temporal; }

# --- Cloudflare API emulator -----------------------------------------------

cfemu_healthy() { curl -fsS -o /dev/null http://127.0.0.1:8787/__admin/health 2>/dev/null; }

cfemu_up() {
	local log="$LOGS/cfemu.log"
	if ! port_open 8787; then
		mkdir -p "$CACHE/state" "$LOCAL/bin"
		(cd "$ROOT" && go build -o "$LOCAL/bin/cfemu" ./cmd/cfemu) >>"$log" 2>&1 || die "cfemu: build failed; see $log"
		# The emulator's token is a fixed local one, not a secret: every
		# checkout's config (deploy/local/cfemu.token) must match the running emulator.
		CFEMU_TOKENS=$(cat "$ROOT/deploy/local/cfemu.token") setsid "$LOCAL/bin/cfemu" --addr 127.0.0.1:8787 \
			--state "$CACHE/state/cfemu.json" >>"$log" 2>&1 </dev/null &
		echo $! >"$RUN/cfemu.pid"
		mark_started cfemu
	fi
	wait_for cfemu "$log" cfemu_healthy
}

cfemu_down() { stop_pid cfemu; }

# --- commands --------------------------------------------------------------

status_line() {
	local name=$1 addr=$2
	shift 2
	if "$@"; then printf '%-9s up    %s\n' "$name" "$addr"; else printf '%-9s down  %s\n' "$name" "$addr"; return 1; fi
}

cmd_status() {
	local rc=0
	status_line mariadb "127.0.0.1:3306 (database legacy)" mariadb_status || rc=1
	status_line pg-a "127.0.0.1:5432 (catalog database migrawave)" pg_status 5432 || rc=1
	status_line pg-b "127.0.0.1:5433" pg_status 5433 || rc=1
	status_line pg-c "127.0.0.1:5434" pg_status 5434 || rc=1
	status_line rabbitmq "127.0.0.1:5672 (vhosts legacy, platform)" rabbitmq_status || rc=1
	status_line temporal "127.0.0.1:7233, UI http://127.0.0.1:8233" temporal_healthy || rc=1
	status_line cfemu "http://127.0.0.1:8787/client/v4" cfemu_healthy || rc=1
	return $rc
}

case "${1:-}" in
up)
	# Temporal's first build is the slow part: start it while the databases come up.
	temporal_build_log="$LOGS/temporal-build.log"
	[ -x "$TEMPORAL" ] || { temporal_build & build_pid=$!; }
	mariadb_up
	pg_up
	rabbitmq_up
	if [ -n "${build_pid:-}" ]; then wait "$build_pid" || die "temporal: building the CLI failed; see $temporal_build_log"; fi
	temporal_up
	cfemu_up
	cmd_status
	;;
down)
	cfemu_down
	temporal_down
	rabbitmq_down
	pg_down
	mariadb_down
	;;
status) cmd_status ;;
temporal-path) echo "$TEMPORAL" ;;
*)
	say "usage: $0 up|down|status|temporal-path"
	exit 2
	;;
esac
