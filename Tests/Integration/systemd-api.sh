#!/bin/bash
# Integration test of systemd/rolloutd-api.service beside systemd/rolloutd.service under a real
# systemd (SPEC §8, API-3, API-6; DMN-6 for the API's Type=notify).
#
# Usage: Tests/Integration/systemd-api.sh [PATH-TO-rolloutd [PATH-TO-rolloutctl]]
#        (default: .build/debug/rolloutd and .build/debug/rolloutctl)
# Needs root, systemd 252+ (scripts/systemd-sandbox boots one in namespaces), curl, python3.
# Prints one PASS:/FAIL: line per check; exits non-zero if any check failed.
# Run by `swift test` through Tests/RolloutAPITests/SystemdAPITests.swift.
#
# Static: systemd-analyze security --offline=true systemd/rolloutd-api.service (exposure <= 2.0);
# the scheduler's unit keeps PrivateNetwork=yes. Then, in the sandbox: the sample state and an
# agent token are written by rolloutctl running as the units' user (systemd-run); both
# units start (Type=notify: the API reports READY=1 once listening); an agent checks in through
# the API with a new installed version; the API's inbox hands it to the database, the scheduler
# wakes for it (retarget request, DMN-1) and decides the endpoint's target; the next check-in
# answers exactly the target the scheduler recorded; stop is clean for both.
#
# The sandbox shares the host's network namespace, so the API listens on a free loopback port
# picked here.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$ROOT/.build/debug/rolloutd}
CTL=${2:-$(dirname "$BIN")/rolloutctl}
API_UNIT=$ROOT/systemd/rolloutd-api.service
UNIT=$ROOT/systemd/rolloutd.service
SANDBOX=$ROOT/scripts/systemd-sandbox
MAX_EXPOSURE=2.0

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, cgroups)"; exit 2; }
[ -x "$BIN" ] || { echo "FAIL: no rolloutd binary at $BIN"; exit 2; }
[ -x "$CTL" ] || { echo "FAIL: no rolloutctl binary at $CTL"; exit 2; }

# --- static checks ----------------------------------------------------------------------------
exposure=$(systemd-analyze security --offline=true --no-pager "$API_UNIT" 2>&1 | sed -n 's/.*Overall exposure level for rolloutd-api.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security --offline=true rolloutd-api.service: exposure ${exposure:-?}"
check "API unit exposure ${exposure:-?} <= $MAX_EXPOSURE" awk -v e="${exposure:-99}" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e != "" && e + 0 <= m + 0) }'
check "the scheduler's unit keeps PrivateNetwork=yes" grep -qx 'PrivateNetwork=yes' "$UNIT"
check "the API unit is Type=notify" grep -qx 'Type=notify' "$API_UNIT"

# --- sandbox ----------------------------------------------------------------------------------
LAB=$(mktemp -d /tmp/rolloutd-api-sandbox.XXXXXX)
export LAB
cleanup() {
  "$SANDBOX/stop.sh" || echo "WARN: sandbox cleanup incomplete"
  rm -rf "$LAB"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$SANDBOX/start.sh" || { echo "FAIL: systemd sandbox did not boot"; cat "$LAB/unshare.log"; exit 1; }
P=$(cat "$LAB/pid1")
R=/proc/$P/root
ns() { nsenter -t "$P" -m -u -i -p -C "$@"; }
prop() { ns systemctl show -P "$2" "$1"; }
eventually() { local _; for _ in $(seq 1 300); do "$@" && return 0; sleep 0.1; done; "$@"; }
is_active() { [ "$(ns systemctl is-active "$1")" = "$2" ]; }
# rolloutctl as the units' user, with their state and config directories.
ctl() {
  ns systemd-run --quiet --wait --pipe --collect -p User=rolloutd -p Group=rolloutd -p StateDirectory=rolloutd \
    -p StateDirectoryMode=0750 -p ConfigurationDirectory=rolloutd -p UMask=0027 -p PrivateNetwork=yes \
    /usr/local/bin/rolloutctl "$@" --config /etc/rolloutd/rolloutd.toml
}

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
API=http://127.0.0.1:$PORT
install -D -m755 "$BIN" "$R/usr/local/bin/rolloutd"
install -D -m755 "$CTL" "$R/usr/local/bin/rolloutctl"
install -D -m644 "$UNIT" "$R/etc/systemd/system/rolloutd.service"
install -D -m644 "$API_UNIT" "$R/etc/systemd/system/rolloutd-api.service"
install -D -m644 "$ROOT/systemd/rolloutd.sysusers" "$R/usr/lib/sysusers.d/rolloutd.conf"
ns systemd-sysusers rolloutd.conf
install -d -m755 "$R/etc/rolloutd"
printf '[daemon]\npoll_interval_seconds = 1\n\n[api]\nlisten = "127.0.0.1:%s"\n' "$PORT" > "$R/etc/rolloutd/rolloutd.toml"
install -m644 "$ROOT/examples/sample-state.json" "$R/etc/rolloutd/state.json"
ns systemctl daemon-reload

verify_out=$(ns systemd-analyze verify --man=no /etc/systemd/system/rolloutd-api.service 2>&1)
check "systemd-analyze verify rolloutd-api.service is clean" [ -z "$verify_out" ]
[ -z "$verify_out" ] || echo "$verify_out"

check "rolloutctl apply (as the rolloutd user) loads the sample state" eval "ctl apply /etc/rolloutd/state.json >/dev/null"
TOKEN=$(ctl token create --role agent --org contoso --name "contoso agents" 2>/dev/null)
check "rolloutctl token create printed an agent token" [ "${TOKEN#rlt_}" != "$TOKEN" ]

# --- both units --------------------------------------------------------------------------------
check "systemctl start rolloutd.service" ns systemctl start rolloutd.service
check "systemctl start rolloutd-api.service returns once READY=1 arrived" ns systemctl start rolloutd-api.service
check "both active" eval "is_active rolloutd.service active && is_active rolloutd-api.service active"
echo "  API StatusText: $(prop rolloutd-api.service StatusText)"
check "the API's STATUS= names its address" [ "$(prop rolloutd-api.service StatusText)" = "listening on 127.0.0.1:$PORT" ]
check "both run as the same user" [ "$(prop rolloutd.service User)" = "$(prop rolloutd-api.service User)" ]
check "GET /v1/health answers 200" eventually curl -fsS -o /dev/null "$API/v1/health"
check "no token: 401" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$API/v1/endpoints/contoso-e1/check-in")" = 401 ]

# The scheduler catches up to now and decides targets; wait until its first wake is recorded.
targeted() { ctl get endpoints --json 2>/dev/null | python3 -c '
import json, sys
rows = json.load(sys.stdin)
row = next(r for r in rows if r["id"] == "contoso-e1")
sys.exit(0 if row.get("target_version") else 1)'; }
check "the scheduler decided a target for contoso-e1" eventually targeted

# --- an agent checks in with a new installed version --------------------------------------------
checkin() {
  curl -sS -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"installed_version\":\"$1\",\"platform\":\"windows\",\"agent_version\":\"14.4.0\"}" \
    -w '\n%{http_code}' "$API/v1/endpoints/contoso-e1/check-in"
}
first=$(checkin 45.9.0)
check "check-in answered 200" [ "$(tail -n1 <<< "$first")" = 200 ]
echo "  first answer: $(head -n1 <<< "$first")"
reported() { ctl history --endpoint contoso-e1 --json 2>/dev/null | grep -q '"after" : "installed 45.9.0"'; }
check "the check-in reached the scheduler's database (report in history)" eventually reported
# The report asks for a retarget at its instant; the daemon's next poll wakes for it (DMN-1).
report_at=$(ctl history --endpoint contoso-e1 --json 2>/dev/null | python3 -c '
import json, sys
print([e["at"] for e in json.load(sys.stdin) if e.get("after") == "installed 45.9.0"][-1])')
retargeted() {
  ctl status --json 2>/dev/null | python3 -c '
import json, sys
status = json.load(sys.stdin)
sys.exit(0 if (status.get("last_wake") or {}).get("at", "") >= sys.argv[1] else 1)' "$report_at"
}
check "the scheduler woke for the report ($report_at)" eventually retargeted
expected=$(ctl get endpoints --json 2>/dev/null | python3 -c '
import json, sys
print(next(r for r in json.load(sys.stdin) if r["id"] == "contoso-e1").get("target_version") or "")')
second=$(checkin 45.9.0)
answered=$(head -n1 <<< "$second" | python3 -c 'import json, sys; print((json.load(sys.stdin).get("target") or {}).get("version", ""))')
echo "  scheduler's target: $expected; API answered: $answered"
check "the check-in answers the target the scheduler decided ($expected)" [ -n "$expected" ] && [ "$answered" = "$expected" ]
check "the answer carries the build to fetch" eval "head -n1 <<< \"\$second\" | grep -q '\"sha256\"'"

# --- stop --------------------------------------------------------------------------------------
check "systemctl stop rolloutd-api.service" ns systemctl stop rolloutd-api.service
check "API stopped with Result=success" [ "$(prop rolloutd-api.service Result)" = success ]
check "API exited with status 0" [ "$(prop rolloutd-api.service ExecMainStatus)" = 0 ]
check "the scheduler is still active" is_active rolloutd.service active
check "systemctl stop rolloutd.service" ns systemctl stop rolloutd.service
check "journal has the API's 'listening on' entry" eval "ns journalctl -u rolloutd-api.service --no-pager -o cat | grep -q 'listening on 127.0.0.1:$PORT'"

echo "failures=$failures"
[ "$failures" = 0 ]
