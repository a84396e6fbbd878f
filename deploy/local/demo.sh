#!/usr/bin/env bash
# make demo: seed demo tenants on the local stack (already up, binaries built)
# and print where to look.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONFIG=${CONFIG:-$ROOT/deploy/local/migrawave.yaml}
TENANTS=${DEMO_TENANTS:-50}
mw() { "$ROOT/bin/migrawave" --config "$CONFIG" "$@"; }

echo "==> setup: catalog schema and Temporal search attributes"
mw setup
echo "==> seeding $TENANTS demo tenants into MariaDB legacy, their RabbitMQ queues and DNS records"
mw demo seed --tenants "$TENANTS"
echo "==> registering the tenants in the catalog"
mw catalog import
echo
mw catalog list --limit 10
echo "   ... ($(mw catalog list -o json | grep -c '"tenant_id"') tenants in the catalog)"
cat <<INFO

Where to look:
  Temporal Web UI     http://127.0.0.1:8233
  catalog             psql -h 127.0.0.1 -U postgres migrawave -c 'select * from tenants'
  source              mariadb -h 127.0.0.1 -u migrawave -pmigrawave legacy
  RabbitMQ            http://127.0.0.1:15672 (migrawave/migrawave), vhosts legacy and platform
  Cloudflare emulator curl -s http://127.0.0.1:8787/__admin/state
  logs                $ROOT/.local/logs/
  configuration       $CONFIG
INFO
