#!/bin/bash
# Integration test: no "Failed to set thread priority" line in the journal of rolloutd.service,
# rolloutd-deliver.service and rolloutd-api.service under their hardening (issue #12).
#
# Usage: Tests/Integration/systemd-startup-noise.sh [BUILD-DIR]   (default: .build/debug)
# Needs root and what scripts/systemd-sandbox needs. Prints one PASS:/FAIL: line per check; exits
# non-zero if any check failed. Run by `swift test` through SystemdStartupNoiseTests.swift.
#
# The cause (found with gdb on setpriority(2)): libdispatch gives each worker thread the nice value
# of its QoS (src/queue.c, _dispatch_worker_thread). Its event manager thread, made by the first
# timer or signal source (every Task.sleep), runs at the highest QoS and asks for nice -4; the
# thread that creates it is a default-QoS worker at nice 0, and a process without CAP_SYS_NICE
# and with RLIMIT_NICE 0 may not lower a nice value: EACCES, and libdispatch writes the line to
# stderr, i.e. the unit's journal (rolloutd-api also asks -2 for a user-initiated worker). The
# units keep the runtime from logging it (Environment=LIBDISPATCH_LOG=NO) rather than grant the
# service the right to raise its priority (docs/decisions.md).
#
# Proof both ways: the units as shipped start and run a few seconds with no such line; then a
# drop-in with UnsetEnvironment=LIBDISPATCH_LOG brings it back, so the check can see the line and
# the setting is what removes it.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${1:-$ROOT/.build/debug}
PORT=$((20000 + RANDOM % 20000))
LINE='Failed to set thread priority'

# shellcheck source=sandbox-common.sh
. "$ROOT/Tests/Integration/sandbox-common.sh"

[ "$(id -u)" = 0 ] || { echo "FAIL: needs root (namespaces, cgroups)"; exit 2; }
[ -x "$BUILD/rolloutd" ] || { echo "FAIL: no rolloutd in $BUILD (swift build first)"; exit 2; }

boot_sandbox rolloutd-noise-sandbox
install -D -m644 "$ROOT/systemd/rolloutd.sysusers" "$R/usr/lib/sysusers.d/rolloutd.conf"
ns systemd-sysusers rolloutd.conf
install -D -m755 "$BUILD/rolloutd" "$R/usr/local/bin/rolloutd"
units=(rolloutd.service rolloutd-deliver.service rolloutd-api.service)
for unit in "${units[@]}"; do install -D -m644 "$ROOT/systemd/$unit" "$R/etc/systemd/system/$unit"; done
install -D -m644 /dev/stdin "$R/etc/rolloutd/rolloutd.toml" <<EOF
[daemon]
poll_interval_seconds = 1
[delivery]
poll_interval_ms = 50
[api]
listen = "127.0.0.1:$PORT"
EOF
ns systemctl daemon-reload

# Each phase reads only what was logged after it began.
cursor=
unit_log() { ns journalctl -u "$1" --no-pager -o cat ${cursor:+--after-cursor "$cursor"}; }
noisy() { [ "$(unit_log "$1" | grep -c "$LINE")" -ge 1 ]; }
# Worker threads are made as work arrives: a few seconds of wakes and polls make them all.
run_units() {
  local unit
  for unit in "${units[@]}"; do check "$1: systemctl start $unit" ns systemctl start "$unit"; done
  sleep 4
  for unit in "${units[@]}"; do check "$1: $unit still active" [ "$(ns systemctl is-active "$unit")" = active ]; done
  echo "  $1: systemctl status rolloutd.service, its log:"
  ns systemctl status rolloutd.service --no-pager -n 4 2>&1 | sed -n '/^$/,$p' | sed '/^$/d; s/^/    /'
  for unit in "${units[@]}"; do ns systemctl stop "$unit"; done
}

# --- as shipped ---------------------------------------------------------------------------------
run_units shipped
for unit in "${units[@]}"; do
  check "shipped: $unit has LIBDISPATCH_LOG=NO" sh -c "nsenter -t $P -m -u -i -p -C systemctl show -P Environment $unit | grep -qw LIBDISPATCH_LOG=NO"
  check "shipped: no '$LINE' in the journal of $unit" eval "! noisy $unit"
  unit_log "$unit" | grep "$LINE" | sed 's/^/  noise: /'
done

# --- without LIBDISPATCH_LOG=NO: the line is back ---------------------------------------------
for unit in "${units[@]}"; do
  install -D -m644 /dev/stdin "$R/etc/systemd/system/$unit.d/50-dispatch-log.conf" <<'EOF'
[Service]
UnsetEnvironment=LIBDISPATCH_LOG
EOF
done
ns systemctl daemon-reload
cursor=$(ns journalctl -n 0 --show-cursor --no-pager | sed -n 's/^-- cursor: //p')
check "a journal cursor to start the second phase from" [ -n "$cursor" ]
run_units "libdispatch logging"
for unit in "${units[@]}"; do
  check "libdispatch logging: '$LINE' is logged by $unit" eventually noisy "$unit"
done
unit_log rolloutd.service | grep -m1 "$LINE" | sed 's/^/  libdispatch logging: /'

echo "failures=$failures"
[ "$failures" = 0 ]
