#!/bin/bash
# Fault tests of systemd/rolloutd.service under a real systemd (DMN-6, DMN-7, DMN-8; issue #9
# findings 3, 4 and 5, issue #12 "files and people"): liveness after `systemctl stop`, a reload
# with an invalid file that must fail, a full disk the daemon must come back from by itself, and
# an operator of the rolloutd group reading the database without root.
#
# Usage: Tests/Integration/systemd-faults.sh [BIN-DIR]   (default: .build/debug, holding rolloutd and rolloutctl)
# Needs root, systemd 252+ (scripts/systemd-sandbox boots one in namespaces), unshare, nsenter.
# Prints one PASS:/FAIL: line per check; exits non-zero if any check failed.
# Run by `swift test` through Tests/RolloutDaemonTests/SystemdFaultTests.swift.
#
# The state directory (/var/lib/rolloutd) is a 6 MiB tmpfs mounted in the manager's namespace before
# the first start, so filling it is a real ENOSPC for the daemon.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN_DIR=${1:-$ROOT/.build/debug}
STATE=/var/lib/rolloutd
CONFIG=/etc/rolloutd/rolloutd.toml

# MESSAGE_IDs, as in Sources/RolloutDaemon/Journal/JournalMessage.swift.
ID_RELOADED=3e9a0f78444845fa9862f612d933d5ba
ID_RELOAD_REJECTED=1336b3ff203742588dd73f6ea61046ae

# shellcheck source=sandbox-common.sh
. "$ROOT/Tests/Integration/sandbox-common.sh"

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, cgroups, mounts)"; exit 2; }
for b in rolloutd rolloutctl; do
  [ -x "$BIN_DIR/$b" ] || { echo "FAIL: no $b in $BIN_DIR (swift build first, or pass the directory)"; exit 2; }
done

boot_sandbox rolloutd-faults
is_active() { [ "$(ns systemctl is-active rolloutd.service)" = "$1" ]; }
write_config() { printf '%b' "$1" > "$R$CONFIG"; }
ctl() { ns /usr/local/bin/rolloutctl "$@" --config "$CONFIG"; }
status_says() { ctl status --tolerance 999999999 2>&1 | grep -q "$1"; }

install -D -m755 "$BIN_DIR/rolloutd" "$R/usr/local/bin/rolloutd"
install -D -m755 "$BIN_DIR/rolloutctl" "$R/usr/local/bin/rolloutctl"
install -D -m644 "$ROOT/systemd/rolloutd.service" "$R/etc/systemd/system/rolloutd.service"
install -D -m644 "$ROOT/systemd/rolloutd.catalog" "$R/usr/lib/systemd/catalog/rolloutd.catalog"
install -D -m644 "$ROOT/systemd/rolloutd.sysusers" "$R/usr/lib/sysusers.d/rolloutd.conf"
ns systemd-sysusers rolloutd.conf
install -d -m755 "$R/etc/rolloutd"
GOOD='[daemon]\npoll_interval_seconds = 1\n'
write_config "$GOOD"
ns install -d -m700 "$STATE"
ns mount -t tmpfs -o size=6m,mode=700 tmpfs "$STATE"
ns systemctl daemon-reload

check "unit starts" ns systemctl start rolloutd.service
check "status: daemon running (heartbeat)" eventually status_says "daemon: running"

# --- issue #12, files and people: group-readable state, an operator without root --------------
check "state directory 0750 rolloutd:rolloutd" [ "$(ns stat -c '%a %U:%G' "$STATE")" = "750 rolloutd:rolloutd" ]
check "database 0640 rolloutd:rolloutd, not world-readable" [ "$(ns stat -c '%a %U:%G' "$STATE/rolloutd.sqlite")" = "640 rolloutd:rolloutd" ]
as_operator() { ns setpriv --reuid nobody --regid rolloutd --clear-groups /usr/local/bin/rolloutctl "$@" --config "$CONFIG"; }
operator_status() { as_operator status --tolerance 999999999 | grep -q 'daemon: running'; }
# An unknown partner exits 4, "no such subject" (issue #12): the database was read; a permission problem would exit 1.
operator_reads() { as_operator history --partner none >/dev/null 2>&1; [ $? = 4 ] && as_operator get partners >/dev/null && as_operator db check >/dev/null; }
check "an operator in the rolloutd group runs status without root" operator_status
check "… and history, get, db check" operator_reads
ns setpriv --reuid nobody --regid nogroup --clear-groups /usr/local/bin/rolloutctl status --config "$CONFIG" > "$LAB/outsider.out" 2>&1
check "anyone else gets 'permission denied', not 'no database'" grep -q "permission denied" "$LAB/outsider.out"
sed 's/^/  outsider: /' "$LAB/outsider.out"

# --- finding 4: reload validates before signalling ------------------------------------------
PID_A=$(prop MainPID)
before=$(ns journalctl -t rolloutd --no-pager -o json MESSAGE_ID=$ID_RELOAD_REJECTED | grep -c poll_interval_seconds || true)
write_config '[daemon]\npoll_interval_seconds = "soon"\n'
if ns systemctl reload rolloutd.service 2>/dev/null; then fail "reload with an invalid file fails"; else pass "reload with an invalid file fails"; fi
check "the journal says why (reload refused, MESSAGE_ID=$ID_RELOAD_REJECTED)" eventually sh -c "[ \$(nsenter -t $P -m -u -i -p -C journalctl -t rolloutd --no-pager -o json MESSAGE_ID=$ID_RELOAD_REJECTED | grep -c poll_interval_seconds) -gt $before ]"
check "the daemon was not signalled: same MainPID, still active" sh -c "[ \"\$(nsenter -t $P -m -u -i -p -C systemctl show -P MainPID rolloutd.service)\" = $PID_A ]"
check "still active after the refused reload" is_active active
write_config "$GOOD"
reloaded=$(count_entries $ID_RELOADED)
check "reload with a valid file succeeds" ns systemctl reload rolloutd.service
check "the daemon reloaded it" eventually sh -c "[ \$(nsenter -t $P -m -u -i -p -C journalctl -u rolloutd.service --no-pager -o json MESSAGE_ID=$ID_RELOADED | grep -c $ID_RELOADED) -gt $reloaded ]"

# --- finding 5: a full disk; the daemon comes back by itself ---------------------------------
ns sh -c "dd if=/dev/zero of=$STATE/filler bs=64k 2>/dev/null; sync"
echo "  state directory: $(ns df -h "$STATE" | tail -1)"
failed_once() { [ "$(prop NRestarts)" -ge 1 ]; }
check "on a full disk the daemon fails (exit 1) and systemd restarts it" eventually failed_once
sleep 12
state=$(ns systemctl is-active rolloutd.service)
echo "  12 s later: $state, NRestarts=$(prop NRestarts)"
check "after 12 s on a full disk the unit is not given up (not 'failed')" [ "$state" != failed ]
ns rm -f "$STATE/filler"
T0=$(date +%s)
back() { is_active active && status_says "daemon: running"; }
check "once the disk has room the daemon is back by itself" eventually back
echo "  back $(( $(date +%s) - T0 )) s after space was freed, NRestarts=$(prop NRestarts)"
restarts=$(prop NRestarts)
sleep 3
check "and stays up (no further restarts)" [ "$(prop NRestarts)" = "$restarts" ]
check "db check: the database survived the full disk" sh -c "nsenter -t $P -m -u -i -p -C /usr/local/bin/rolloutctl db check --config $CONFIG >/dev/null"

# --- finding 3: after systemctl stop, status says so and exits 3 ------------------------------
check "systemctl stop" ns systemctl stop rolloutd.service
ctl status --tolerance 999999999 > "$LAB/status.out" 2>&1
code=$?
sed 's/^/  status: /' "$LAB/status.out"
check "status exits 3 when the daemon is stopped" [ "$code" = 3 ]
check "status says it is not running, and since when" grep -q "daemon: NOT RUNNING: stopped at " "$LAB/status.out"

echo "failures=$failures"
[ "$failures" = 0 ]
