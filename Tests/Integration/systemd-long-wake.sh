#!/bin/bash
# A wake longer than WatchdogSec under the real systemd (DMN-6, DMN-8, issue #8 item 5).
#
# Usage: Tests/Integration/systemd-long-wake.sh [PATH-TO-rolloutd [PATH-TO-rolloutctl]]
#        (default: .build/debug/rolloutd and .build/debug/rolloutctl)
# Needs root, systemd 252+ (booted in namespaces by scripts/systemd-sandbox), sqlite3, setpriv. Prints one
# PASS:/FAIL: line per check; exits non-zero if any check failed. Run by `swift test` through
# Tests/RolloutDaemonTests/SystemdLongWakeTests.swift.
#
# No test hook in the product: the wake is long because the fleet is big. A database of
# $ENDPOINTS desktop endpoints, its cursor two days back and four releases becoming effective
# in that time (each wake retargets every endpoint), is handed to the unit with WatchdogSec=1s.
# Then: the daemon catches up, its first release wake lasts several WatchdogSec and completes
# without a watchdog kill or restart; `systemctl stop` in the middle of the catch-up returns
# after at most the wake in progress, exits cleanly, and leaves the cursor on a committed wake;
# a second start resumes the catch-up and every release wake is processed exactly once.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${1:-$ROOT/.build/debug/rolloutd}
CTL=${2:-$(dirname "$BIN")/rolloutctl}
UNIT=$ROOT/systemd/rolloutd.service
SANDBOX=$ROOT/scripts/systemd-sandbox
ENDPOINTS=${ENDPOINTS:-150000}
RELEASES=4

ID_WAKE=8a70321d43144265a51bc71aea0388c8
ID_STOPPING=4137e6a06bc543e283325c6e1b721ac5
ID_CATCH_UP=$(sed -n 's/.*case catchUp *= *"\([0-9a-f]*\)".*/\1/p' "$ROOT/Sources/RolloutDaemon/Journal/JournalMessage.swift")

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, cgroups)"; exit 2; }
[ -x "$BIN" ] && [ -x "$CTL" ] || { echo "FAIL: no rolloutd/rolloutctl at $BIN, $CTL (swift build first)"; exit 2; }
command -v sqlite3 >/dev/null || { echo "FAIL: sqlite3 is needed to build the fleet"; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)

LAB=$(mktemp -d /tmp/rolloutd-longwake.XXXXXX)
export LAB
cleanup() {
  "$SANDBOX/stop.sh" || echo "WARN: sandbox cleanup incomplete"
  rm -rf "$LAB"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the fleet: migrated by rolloutctl, filled with set-based SQL ------------------------------
DB=$LAB/fleet.sqlite
printf '[store]\npath = "%s"\n' "$DB" > "$LAB/build.toml"
echo '{}' > "$LAB/empty.json"
"$CTL" apply --config "$LAB/build.toml" "$LAB/empty.json" > /dev/null || { echo "FAIL: rolloutctl could not create the database"; exit 1; }
key() { printf '%09d.%09d.%09d.000000000.000000000.000000000' "$1" "$2" "$3"; }
CURSOR=$(( $(date +%s) - 2 * 86400 ))
{
  echo "BEGIN;"
  echo "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9)
        INSERT INTO partner (id, name, release_management, cadence, defer_weeks, schedule_set_at)
        SELECT 'p' || i, 'Partner ' || i, 1, 'automatic', 0, 0 FROM n;"
  echo "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
        INSERT INTO organisation (id, name, effective_cadence, effective_defer_weeks) SELECT 'o' || i, 'Org ' || i, 'automatic', 0 FROM n;"
  echo "INSERT INTO organisation_partner (organisation_id, partner_id) SELECT id, 'p' || (CAST(substr(id, 2) AS INTEGER) % 10) FROM organisation;"
  echo "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $ENDPOINTS - 1)
        INSERT INTO endpoint (id, organisation_id, platform, os_version, installed_version, installed_version_key,
                              target_version, target_version_key, agent_version, last_check_in)
        SELECT 'e' || i, 'o' || (i % 1000), CASE i % 3 WHEN 0 THEN 'windows' WHEN 1 THEN 'macos' ELSE 'linux' END,
               '10.0.22631', '45.1.0', '$(key 45 1 0)', '45.1.0', '$(key 45 1 0)', '14.3.1', $CURSOR FROM n;"
  # One release every six hours after the cursor: each becomes effective at its own wake.
  for k in $(seq 2 $((RELEASES + 1))); do
    echo "INSERT INTO release (version, version_key, auto_date) VALUES ('45.$k.0', '$(key 45 "$k" 0)', $((CURSOR + (k - 1) * 21600 - 3600)));"
    for p in windows macos linux; do
      echo "INSERT INTO release_build VALUES ('45.$k.0', '$p', 'app-45.$k.0-$p', 1, '$(printf 'a%.0s' $(seq 64))');"
    done
  done
  echo "INSERT INTO clock (id, processed_through) VALUES (1, $CURSOR);"
  echo "COMMIT;"
} | sqlite3 "$DB" || { echo "FAIL: could not build the fleet"; exit 1; }
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
echo "fleet: $ENDPOINTS endpoints, $RELEASES releases, cursor $(date -u -d "@$CURSOR" +%FT%TZ) ($(since "$T0") s)"

# --- the unit, WatchdogSec=1s ----------------------------------------------------------------
"$SANDBOX/start.sh" || { echo "FAIL: systemd sandbox did not boot"; cat "$LAB/unshare.log"; exit 1; }
P=$(cat "$LAB/pid1")
R=/proc/$P/root
ns() { nsenter -t "$P" -m -u -i -p -C "$@"; }
prop() { ns systemctl show -P "$1" rolloutd.service; }
journal() { ns journalctl -u rolloutd.service --no-pager "$@"; }
# Bounded wait (about $1 s), so a broken daemon fails the test instead of hanging it.
within() { local limit=$1 _; shift; for _ in $(seq 1 $((limit * 10))); do "$@" && return 0; sleep 0.1; done; "$@"; }
count_entries() { journal -o json "MESSAGE_ID=$1" | grep -c "\"MESSAGE_ID\":\"$1\""; }
release_wakes_logged() { journal -o json "MESSAGE_ID=$ID_WAKE" | grep -c '"ROLLOUT_DECISIONS_ENDPOINT_RETARGETED"'; }
# Inside the namespace (SQLite resolves the /proc/PID/root symlink and would miss the file), as
# the daemon's user, so no file SQLite creates beside the database is root's.
live_db() { ns setpriv --reuid=rolloutd --regid=rolloutd --init-groups sqlite3 /var/lib/rolloutd/rolloutd.sqlite "$@"; }

install -D -m755 "$BIN" "$R/usr/local/bin/rolloutd"
install -D -m644 "$UNIT" "$R/etc/systemd/system/rolloutd.service"
install -D -m644 /dev/stdin "$R/etc/systemd/system/rolloutd.service.d/50-long-wake.conf" <<'UNIT'
# Far shorter than one wake of this fleet: the daemon must keep the watchdog fed while it works.
[Service]
WatchdogSec=1s
UNIT
install -D -m644 "$ROOT/systemd/rolloutd.sysusers" "$R/usr/lib/sysusers.d/rolloutd.conf"
ns systemd-sysusers rolloutd.conf
install -d -m755 "$R/etc/rolloutd"
: > "$R/etc/rolloutd/rolloutd.toml"
install -d -m750 "$R/var/lib/rolloutd"
install -m640 "$DB" "$R/var/lib/rolloutd/rolloutd.sqlite"
ns chown -R rolloutd:rolloutd /var/lib/rolloutd
ns systemctl daemon-reload

# --- a wake longer than WatchdogSec completes, no watchdog kill, no restart ---------------------
TS=$(now)
check "systemctl start returns once READY=1 arrived" ns systemctl start rolloutd.service
PID_A=$(prop MainPID)
watchdog_usec=$(prop WatchdogUSec)
check "the running unit has WatchdogSec=1s ($watchdog_usec)" [ "$watchdog_usec" = 1s ]
check "the first release wake is journaled" within 120 sh -c "[ \$(nsenter -t $P -m -u -i -p -C journalctl -u rolloutd.service --no-pager -o json MESSAGE_ID=$ID_WAKE | grep -c ROLLOUT_DECISIONS_ENDPOINT_RETARGETED) -ge 1 ]"
first_us=$(journal -o json "MESSAGE_ID=$ID_WAKE" | grep ROLLOUT_DECISIONS_ENDPOINT_RETARGETED | head -1 | sed -n 's/.*"ROLLOUT_DURATION_US":"\([0-9]*\)".*/\1/p')
echo "  first release wake: ${first_us:-?} us, $(since "$TS") s after start"
check "that wake lasted longer than WatchdogSec=1s (${first_us:-?} us)" [ "${first_us:-0}" -gt 1000000 ]
check "the wake retargeted every endpoint" sh -c "nsenter -t $P -m -u -i -p -C journalctl -u rolloutd.service --no-pager -o json MESSAGE_ID=$ID_WAKE | grep -q '\"ROLLOUT_DECISIONS_ENDPOINT_RETARGETED\":\"$ENDPOINTS\"'"
check "no restart (NRestarts=0)" [ "$(prop NRestarts)" = 0 ]
check "same process (MainPID $PID_A)" [ "$(prop MainPID)" = "$PID_A" ]
check "no watchdog timeout in the journal" sh -c "! nsenter -t $P -m -u -i -p -C journalctl --no-pager -o cat -u rolloutd.service | grep -q 'Watchdog timeout'"

# --- SIGTERM in the middle of the catch-up: stops after the wake in progress ---------------------
logged_before=$(release_wakes_logged)
TT=$(now)
check "systemctl stop succeeds" ns systemctl stop rolloutd.service
stop_s=$(since "$TT")
longest_s=$(awk -v us="${first_us:-0}" 'BEGIN { printf "%.1f", us / 1e6 }')
echo "  stop took $stop_s s; a release wake takes about $longest_s s"
check "stopped within one wake and a few seconds ($stop_s s)" awk -v s="$stop_s" -v w="$longest_s" 'BEGIN { exit !(s <= 2 * w + 5) }'
check "stopped with Result=success" [ "$(prop Result)" = success ]
check "main process exited with status 0" [ "$(prop ExecMainStatus)" = 0 ]
check "journal has the 'stopping' entry" [ "$(count_entries $ID_STOPPING)" -ge 1 ]
journal -o cat "MESSAGE_ID=$ID_STOPPING" | sed 's/^/  stopping: /'
done_before=$(live_db "SELECT count(*) FROM wake WHERE summary LIKE '%endpoint_retargeted%'")
check "the catch-up was cut short ($done_before of $RELEASES release wakes done)" [ "$done_before" -lt "$RELEASES" ]
cursor_after=$(live_db 'SELECT processed_through FROM clock')
same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
check "the cursor ($cursor_after) is the last committed wake" same "$cursor_after" "$(live_db 'SELECT max(at) FROM wake')"
check "no 'caught up' entry before the stop" [ "$(journal -o cat "MESSAGE_ID=$ID_CATCH_UP" | grep -c 'caught up')" = 0 ]
echo "  release wakes journaled before the stop: $logged_before"

# --- the next start resumes the catch-up where it stopped ----------------------------------------
check "second start" ns systemctl start rolloutd.service
check "the catch-up finishes" within 180 sh -c "nsenter -t $P -m -u -i -p -C journalctl --no-pager -o cat -u rolloutd.service MESSAGE_ID=$ID_CATCH_UP | grep -q 'caught up'"
check "still no restart after the catch-up (NRestarts=0)" [ "$(prop NRestarts)" = 0 ]
ns systemctl stop rolloutd.service
live_db "SELECT datetime(at, 'unixepoch'), duration_us, reasons, json_extract(summary, '$.decisions') FROM wake ORDER BY at" | sed 's/^/  wake: /'
check "every release wake processed exactly once across the stop" \
  [ "$(live_db "SELECT count(*) FROM wake WHERE summary LIKE '%endpoint_retargeted%'")" = "$RELEASES" ]
check "every endpoint on the newest release" \
  [ "$(live_db "SELECT count(*) FROM endpoint WHERE target_version = '45.$((RELEASES + 1)).0'")" = "$ENDPOINTS" ]

echo "elapsed $(since "$T0") s; failures=$failures"
[ "$failures" = 0 ]
