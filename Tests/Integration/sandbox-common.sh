# Shared by the systemd integration scripts (sourced, not run): PASS:/FAIL: checks, and a systemd
# manager booted by scripts/systemd-sandbox for the rest of the script, stopped on exit.
#
# After `boot_sandbox NAME`: P (host PID of the manager), R (its root, for installing files),
# ns CMD… (run in its namespaces), prop KEY (a property of rolloutd.service), journal ARGS…,
# count_entries MESSAGE_ID, eventually CMD… (about 30 s).

failures=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

boot_sandbox() {
  LAB=$(mktemp -d "/tmp/$1.XXXXXX")
  export LAB
  trap '"$ROOT/scripts/systemd-sandbox/stop.sh" || echo "WARN: sandbox cleanup incomplete"; rm -rf "$LAB"' EXIT
  trap 'exit 130' INT TERM
  "$ROOT/scripts/systemd-sandbox/start.sh" || { echo "FAIL: systemd sandbox did not boot"; cat "$LAB/unshare.log"; exit 1; }
  P=$(cat "$LAB/pid1")
  R=/proc/$P/root
}

ns() { nsenter -t "$P" -m -u -i -p -C "$@"; }
prop() { ns systemctl show -P "$1" rolloutd.service; }
journal() { ns journalctl -u rolloutd.service --no-pager "$@"; }
# Bounded wait for a condition (about 30 s), so a broken daemon fails the test instead of hanging it.
eventually() { local _; for _ in $(seq 1 300); do "$@" && return 0; sleep 0.1; done; "$@"; }
# (grep -c, not grep -q: with pipefail, grep -q quitting early can fail the pipeline with SIGPIPE)
count_entries() { journal -o json "MESSAGE_ID=$1" | grep -c "\"MESSAGE_ID\":\"$1\""; }
