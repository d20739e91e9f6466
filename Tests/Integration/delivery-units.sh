#!/bin/bash
# Integration test of systemd/rolloutd-deliver.service with the scheduler under a real systemd
# (DLV-1, DLV-3, DLV-4): a wake's notifications arrive, signed, at a loopback receiver.
#
# Usage: Tests/Integration/delivery-units.sh [BUILD-DIR]   (default: .build/debug; holds rolloutd and rolloutctl)
# Needs root, python3 with the PyPI standardwebhooks package (scripts/install-deps), and what
# scripts/systemd-sandbox needs. Prints one PASS:/FAIL: line per check; exits non-zero if any failed.
# Run by `swift test` through Tests/RolloutDaemonTests/Delivery/DeliveryUnitsTests.swift.
#
# Static checks: systemd-analyze security --offline=true (exposure <= 2.0) and verify of the unit.
# In the sandbox: rolloutd.service (PrivateNetwork=yes) and rolloutd-deliver.service run as the
# same system user on one store (and rolloutd-api.service, when the repository has it); a webhook
# is registered for a partner, a programme announced a few seconds ahead; the scheduler's wake
# writes the announcement to the outbox and the deliverer POSTs it to a receiver on the host's
# loopback, which verifies it with the standardwebhooks library. STATUS= and the journal show
# the deliverer's health and its round summary; both units stop cleanly.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/.build/debug}
MAX_EXPOSURE=2.0
ID_DELIVERER_STARTED=77e510f83165440e85eabb6184f9aa8a
ID_DELIVERY_ROUND=586927cd2d4b4f628dfcdf1f8b632b2c

# shellcheck source=sandbox-common.sh
. "$ROOT/Tests/Integration/sandbox-common.sh"

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, cgroups)"; exit 2; }
for b in rolloutd rolloutctl; do
  [ -x "$BUILD/$b" ] || { echo "FAIL: no $b in $BUILD (swift build first)"; exit 2; }
done

exposure=$(systemd-analyze security --offline=true --no-pager "$ROOT/systemd/rolloutd-deliver.service" 2>&1 \
  | sed -n 's/.*Overall exposure level for rolloutd-deliver.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security --offline=true rolloutd-deliver.service: exposure ${exposure:-?}"
check "deliverer security exposure ${exposure:-?} <= $MAX_EXPOSURE" awk -v e="${exposure:-99}" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e != "" && e + 0 <= m + 0) }'

boot_sandbox rolloutd-delivery-sandbox
RECEIVER_PID=
trap '[ -n "$RECEIVER_PID" ] && kill "$RECEIVER_PID" 2>/dev/null; "$ROOT/scripts/systemd-sandbox/stop.sh" || echo "WARN: sandbox cleanup incomplete"; rm -rf "$LAB"' EXIT
ctl() { ns /usr/local/bin/rolloutctl "$@" --config /etc/rolloutd/rolloutd.toml; }
is_active() { [ "$(ns systemctl is-active "$1")" = active ]; }
has_entry() { [ "$(ns journalctl -u "$1" -o json --no-pager "MESSAGE_ID=$2" | grep -c "\"MESSAGE_ID\":\"$2\"")" -ge 1 ]; }

install -D -m644 "$ROOT/systemd/rolloutd.sysusers" "$R/usr/lib/sysusers.d/rolloutd.conf"
ns systemd-sysusers rolloutd.conf
install -D -m755 "$BUILD/rolloutd" "$R/usr/local/bin/rolloutd"
install -D -m755 "$BUILD/rolloutctl" "$R/usr/local/bin/rolloutctl"
units=(rolloutd.service rolloutd-deliver.service)
[ -f "$ROOT/systemd/rolloutd-api.service" ] && units+=(rolloutd-api.service)
for unit in "${units[@]}"; do install -D -m644 "$ROOT/systemd/$unit" "$R/etc/systemd/system/$unit"; done
install -D -m644 "$ROOT/systemd/rolloutd.catalog" "$R/usr/lib/systemd/catalog/rolloutd.catalog"
install -D -m644 /dev/stdin "$R/etc/rolloutd/rolloutd.toml" <<'EOF'
[daemon]
poll_interval_seconds = 1
[delivery]
poll_interval_ms = 50
first_retry_seconds = 1
max_retry_interval_seconds = 2
EOF
# The sandbox shares the host's network namespace: the API listens on a free loopback port, not
# the default 8480 another test (or another checkout's) may hold at the same moment.
API_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
printf '[api]\nlisten = "127.0.0.1:%s"\n' "$API_PORT" >> "$R/etc/rolloutd/rolloutd.toml"
ns systemctl daemon-reload
verify_out=$(ns systemd-analyze verify --man=no /etc/systemd/system/rolloutd-deliver.service 2>&1)
check "systemd-analyze verify rolloutd-deliver.service is clean" [ -z "$verify_out" ]
[ -z "$verify_out" ] || echo "$verify_out"

# The scheduler creates the store as its user; the operator's CLI (root) then writes to it.
check "rolloutd.service starts" ns systemctl start rolloutd.service
check "rolloutd.service keeps PrivateNetwork=yes" [ "$(ns systemctl show -P PrivateNetwork rolloutd.service)" = yes ]
printf '%s' '{"partners": [{"id": "northwind", "name": "Northwind MSP", "locale": "fr"}],
  "organisations": [{"id": "contoso", "name": "Contoso", "partners": ["northwind"], "generation": "legacy"}]}' > "$R/tmp/state.json"
check "state applied" ctl apply /tmp/state.json

# A receiver on the host's loopback: first to learn a free port, then again with the secret.
python3 "$ROOT/Tests/Integration/webhook-receiver.py" --port-file "$LAB/port" --log "$LAB/probe.jsonl" &
RECEIVER_PID=$!
eventually test -s "$LAB/port"
PORT=$(cat "$LAB/port")
kill "$RECEIVER_PID"; wait "$RECEIVER_PID" 2>/dev/null
added=$(ctl webhook add --partner northwind --url "http://127.0.0.1:$PORT/ok" --json)
SECRET=$(sed -n 's/.*"secret" : "\(whsec_[^"]*\)".*/\1/p' <<< "$added")
check "webhook registered, secret shown once" [ -n "$SECRET" ]
rm -f "$LAB/port"
python3 "$ROOT/Tests/Integration/webhook-receiver.py" --port "$PORT" --port-file "$LAB/port" --log "$LAB/received.jsonl" --secret "$SECRET" &
RECEIVER_PID=$!
eventually test -s "$LAB/port"

for unit in "${units[@]}"; do
  [ "$unit" = rolloutd.service ] && continue
  check "$unit starts (READY=1)" ns systemctl start "$unit"
done
check "rolloutd-deliver.service is active" is_active rolloutd-deliver.service
check "both units run as the same user" [ "$(ns systemctl show -P User rolloutd-deliver.service)" = "$(ns systemctl show -P User rolloutd.service)" ]
check "journal has the deliverer's 'started' entry" eventually has_entry rolloutd-deliver.service $ID_DELIVERER_STARTED

# A programme announced a few seconds from now: the scheduler's wake writes the announcement.
announce=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
# The first column of `calendar` is the UTC instant (weekday and local time follow it).
mapfile -t boundaries < <(ctl calendar --from "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)" --count 2 | awk '{print $1}')
check "programme created (announce $announce)" ctl programme create --partner northwind --announce "$announce" \
  --window-start "${boundaries[0]}" --auto-upgrade "${boundaries[1]}"
T0=$(date +%s.%N)
arrived() { grep -q '"type": "programme_announced"' "$LAB/received.jsonl" 2>/dev/null; }
check "the wake's announcement arrived at the loopback receiver" eventually arrived
echo "  announcement arrived $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the programme was created (announce +3 s)"
check "every request verified with the standardwebhooks library" sh -c "! grep -q '\"verified\": \[\]' '$LAB/received.jsonl'"
check "webhook-id is the notification's idempotency key" grep -q '"id": "programme_announced|partner:northwind|' "$LAB/received.jsonl"
delivered() { ctl deliveries --state delivered --json | grep -q '"kind" : "programme_announced"'; }
check "rolloutctl deliveries shows it delivered" eventually delivered
status_text=$(ns systemctl show -P StatusText rolloutd-deliver.service)
echo "  deliverer STATUS=: $status_text"
status_ok() { ns systemctl show -P StatusText rolloutd-deliver.service | grep -q 'webhooks 1; pending 0, failed 0, dead 0, delivered [1-9]'; }
check "STATUS= shows per-endpoint health" eventually status_ok
check "journal has a delivery round summary" eventually has_entry rolloutd-deliver.service $ID_DELIVERY_ROUND
ns journalctl -u rolloutd-deliver.service -o cat --no-pager "MESSAGE_ID=$ID_DELIVERY_ROUND" | sed 's/^/  round: /'

for unit in "${units[@]}"; do
  check "$unit stops cleanly" ns systemctl stop "$unit"
  check "$unit exited with status 0" [ "$(ns systemctl show -P ExecMainStatus "$unit")" = 0 ]
done

echo "failures=$failures"
[ "$failures" = 0 ]
