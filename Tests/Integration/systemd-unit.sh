#!/bin/bash
# Integration test of systemd/rolloutd.service with the real daemon under a real systemd (DMN-5, DMN-6).
#
# Usage: Tests/Integration/systemd-unit.sh [PATH-TO-rolloutd]   (default: .build/debug/rolloutd)
# Needs root, systemd 252+ (not as PID 1: scripts/systemd-sandbox boots one in namespaces), unshare,
# nsenter, setpriv. Prints one PASS:/FAIL: line per check; exits non-zero if any check failed.
# Run by `swift test` through Tests/RolloutDaemonTests/SystemdIntegrationTests.swift.
#
# Static checks of the unit, first:
#   systemd-analyze security --offline=true systemd/rolloutd.service   (exposure must be <= 2.0)
#   systemd-analyze verify --man=no /etc/systemd/system/rolloutd.service
# verify runs inside the sandbox, where ExecStart's /usr/local/bin/rolloutd exists (verify checks
# it); --man=no because Documentation=man:rolloutd(8) is not installed there.
#
# Then, in the sandbox: start -> active + STATUS= "next wake …"; reload (SIGHUP) keeps MainPID and
# logs the `reloaded` entry; a reload with an invalid config is refused, the daemon stays active;
# a frozen daemon (SIGSTOP) is restarted by the watchdog (drop-in WatchdogSec=2s); stop -> inactive
# with a clean exit; the journal holds the started/wake/stopping entries by MESSAGE_ID and
# `journalctl -x` shows the catalog text; an invalid config at start exits 78 and is not restarted.
#
# The binary is the dynamically linked Swift build: its RUNPATH points into the toolchain
# (/opt/swift/usr/lib/swift/linux), which the sandbox's overlay of / keeps and ProtectSystem=strict
# leaves readable for the service user.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$ROOT/.build/debug/rolloutd}
UNIT=$ROOT/systemd/rolloutd.service
CATALOG=$ROOT/systemd/rolloutd.catalog
MAX_EXPOSURE=2.0

# MESSAGE_IDs, as in Sources/RolloutDaemon/Journal/JournalMessage.swift.
ID_STARTED=d280f58db66b4a51a9adc8fe716f6aba
ID_WAKE=8a70321d43144265a51bc71aea0388c8
ID_RELOADED=3e9a0f78444845fa9862f612d933d5ba
ID_RELOAD_REJECTED=1336b3ff203742588dd73f6ea61046ae
ID_STOPPING=4137e6a06bc543e283325c6e1b721ac5
ID_CONFIG_INVALID=2fb8863c1316488685f175af94250bb6

# shellcheck source=sandbox-common.sh
. "$ROOT/Tests/Integration/sandbox-common.sh"

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, cgroups)"; exit 2; }
[ -x "$BIN" ] || { echo "FAIL: no rolloutd binary at $BIN (swift build first, or pass its path)"; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)

# --- static checks ----------------------------------------------------------------------------
exposure=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1 | sed -n 's/.*Overall exposure level for rolloutd.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security --offline=true: exposure ${exposure:-?}"
check "security exposure ${exposure:-?} <= $MAX_EXPOSURE" awk -v e="${exposure:-99}" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e != "" && e + 0 <= m + 0) }'

# --- sandbox ----------------------------------------------------------------------------------
boot_sandbox rolloutd-sandbox
has_entry() { [ "$(count_entries "$1")" -ge 1 ]; }
is_active() { [ "$(ns systemctl is-active rolloutd.service)" = "$1" ]; }
# Entries of short-lived processes (--check-config, a refused start) are matched by identifier: the
# process may exit before journald reads its cgroup, leaving no _SYSTEMD_UNIT (systemd 252). Their
# stderr line always reaches the unit's journal.
has_identified_entry() { [ "$(ns journalctl -t rolloutd --no-pager -o json "MESSAGE_ID=$1" | grep -c "\"MESSAGE_ID\":\"$1\"")" -ge 1 ]; }
write_config() { printf '%b' "$1" > "$R/etc/rolloutd/rolloutd.toml"; }

install -D -m755 "$BIN" "$R/usr/local/bin/rolloutd"
install -D -m644 "$UNIT" "$R/etc/systemd/system/rolloutd.service"
install -D -m644 /dev/stdin "$R/etc/systemd/system/rolloutd.service.d/50-test.conf" <<'EOF'
# The integration test trips the watchdog: a short WatchdogSec keeps it fast.
[Service]
WatchdogSec=2s
EOF
install -D -m644 "$CATALOG" "$R/usr/lib/systemd/catalog/rolloutd.catalog"
install -D -m644 "$ROOT/systemd/rolloutd.sysusers" "$R/usr/lib/sysusers.d/rolloutd.conf"
ns systemd-sysusers rolloutd.conf
install -d -m755 "$R/etc/rolloutd"
write_config ''
ns systemctl daemon-reload

verify_out=$(ns systemd-analyze verify --man=no /etc/systemd/system/rolloutd.service 2>&1)
check "systemd-analyze verify is clean" [ -z "$verify_out" ]
[ -z "$verify_out" ] || echo "$verify_out"

check "journalctl --update-catalog accepts rolloutd.catalog" ns journalctl --update-catalog
listed=$(ns journalctl --list-catalog --no-pager)
for id in $(sed -n 's/^-- \([0-9a-f]\{32\}\)$/\1/p' "$CATALOG"); do
  check "catalog entry $id listed by journalctl --list-catalog" grep -q "^$id rolloutd: " <<< "$listed"
done

# --- start: Type=notify, READY=1 once the store is open, STATUS= --------------------------------
check "systemctl start returns once READY=1 arrived" ns systemctl start rolloutd.service
check "is-active = active" is_active active
status_text=$(prop StatusText)
echo "StatusText: $status_text"
check "STATUS= starts with 'next wake'" [ "${status_text#next wake}" != "$status_text" ]
PID_A=$(prop MainPID)
check "journal has the 'started' entry (MESSAGE_ID=$ID_STARTED)" eventually has_entry $ID_STARTED
check "store created in StateDirectory" test -e "$R/var/lib/rolloutd/rolloutd.sqlite"

# --- reload (SIGHUP): RELOADING=1 … READY=1, same process ----------------------------------------
check "systemctl reload succeeds" ns systemctl reload rolloutd.service
check "journal has the 'reloaded' entry" eventually has_entry $ID_RELOADED
check "reload kept MainPID $PID_A" [ "$(prop MainPID)" = "$PID_A" ]
check "active after reload" eventually is_active active

# --- reload with an invalid config: rejected, logged, old config kept ---------------------------
write_config '[daemon]\npoll_interval_seconds = "soon"\n'
ns systemctl reload rolloutd.service
check "journal has the 'reload rejected' entry" eventually has_identified_entry $ID_RELOAD_REJECTED
check "still active after the rejected reload" eventually is_active active
check "rejected reload kept MainPID $PID_A" [ "$(prop MainPID)" = "$PID_A" ]
ns journalctl -t rolloutd --no-pager -o cat "MESSAGE_ID=$ID_RELOAD_REJECTED" | sed 's/^/  rejected: /'
write_config ''

# --- watchdog: a frozen daemon stops pinging, systemd aborts and restarts it ---------------------
check "WatchdogUSec from the drop-in is 2s" [ "$(prop WatchdogUSec)" = 2s ]
TW=$(now)
ns kill -STOP "$PID_A"
restarted() { [ "$(prop NRestarts)" -ge 1 ] && is_active active && [ "$(prop MainPID)" != "$PID_A" ] && [ "$(prop MainPID)" != 0 ]; }
check "watchdog restarted the frozen daemon" eventually restarted
PID_B=$(prop MainPID)
echo "  watchdog: $PID_A -> $PID_B, NRestarts=$(prop NRestarts), $(since "$TW") s after SIGSTOP"
check "journal shows the watchdog timeout" eventually sh -c "nsenter -t $P -m -u -i -p -C journalctl --no-pager -o cat -u rolloutd.service | grep -q 'Watchdog timeout'"

# --- stop (SIGTERM): STOPPING=1, clean exit ----------------------------------------------------
check "systemctl stop succeeds" ns systemctl stop rolloutd.service
check "is-active = inactive after stop" is_active inactive
check "stopped with Result=success" [ "$(prop Result)" = success ]
check "main process exited with status 0" [ "$(prop ExecMainStatus)" = 0 ]

# --- journal: structured entries, catalog text -------------------------------------------------
check "journal has the 'wake' or 'stopping' entry" eval "has_entry $ID_WAKE || has_entry $ID_STOPPING"
check "journal has the 'stopping' entry" has_entry $ID_STOPPING
check "two 'started' entries (first start, watchdog restart)" [ "$(count_entries $ID_STARTED)" -ge 2 ]
check "entries carry SYSLOG_IDENTIFIER=rolloutd and PRIORITY" sh -c \
  "nsenter -t $P -m -u -i -p -C journalctl -u rolloutd.service -o json --no-pager MESSAGE_ID=$ID_STARTED | grep '\"SYSLOG_IDENTIFIER\":\"rolloutd\"' | grep -q '\"PRIORITY\":\"[0-7]\"'"
subject=$(sed -n "/^-- $ID_STARTED\$/,/^Subject:/s/^Subject: //p" "$CATALOG")
check "journalctl -x shows the catalog text ($subject)" sh -c \
  "nsenter -t $P -m -u -i -p -C journalctl -x -u rolloutd.service --no-pager | grep -qF -- 'Subject: $subject'"
journal -o verbose "MESSAGE_ID=$ID_STARTED" -n 1 | grep -E '^ +(MESSAGE|MESSAGE_ID|PRIORITY|SYSLOG_IDENTIFIER|_SYSTEMD_UNIT|ROLLOUT_[A-Z0-9_]+)=' | sed 's/^ */  started entry: /'

# --- invalid config at start: exit 78 (EX_CONFIG), no restart loop ------------------------------
write_config '[daemon]\npoll_interval_seconds = "soon"\n'
check "start with an invalid config fails" eval "! ns systemctl start rolloutd.service 2>/dev/null"
check "exit status 78 (EX_CONFIG)" [ "$(prop ExecMainStatus)" = 78 ]
# A restart would be pending now (state activating/auto-restart); RestartPreventExitStatus=78 leaves it failed.
check "RestartPreventExitStatus=78: failed, no restart scheduled" is_active failed
check "journal has the 'config invalid' entry" eventually has_identified_entry $ID_CONFIG_INVALID
check "journalctl -u rolloutd.service shows the reason" eventually sh -c \
  "nsenter -t $P -m -u -i -p -C journalctl -u rolloutd.service --no-pager -o cat | grep -q 'invalid configuration: .*poll_interval_seconds'"

echo "elapsed $(since "$T0") s; failures=$failures"
[ "$failures" = 0 ]
