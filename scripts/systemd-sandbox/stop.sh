#!/bin/bash
# Shut down the sandbox started by start.sh with the same LAB, and remove the cgroups it made.
# Safe to call whatever state start.sh reached (nothing started, half started, running).
# Usage: LAB=DIR stop.sh
: "${LAB:?set LAB to the directory given to start.sh}"
P=$(cat "$LAB/pid1" 2>/dev/null)
U=$(cat "$LAB/unshare.pid" 2>/dev/null)
if [ -n "$P" ] && [ -e "/proc/$P" ]; then
  nsenter -t "$P" -m -u -i -p -C systemctl poweroff --no-block 2>/dev/null || true
  for _ in $(seq 1 100); do [ -e "/proc/$P" ] || break; sleep 0.1; done
  # SIGKILL to the namespace's PID 1 kills every process in the namespace.
  [ -e "/proc/$P" ] && kill -KILL "$P"
fi
if [ -n "$U" ]; then
  for _ in $(seq 1 50); do [ -e "/proc/$U" ] || break; sleep 0.1; done
  [ -e "/proc/$U" ] && kill -KILL "$U"
fi
# The mounts vanished with the mount namespace; the cgroup subtrees stay until removed (deepest first).
status=0
if [ -f "$LAB/cgroups" ]; then
  while read -r d; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
    if [ -d "$d" ]; then echo "stop.sh: could not remove $d" >&2; status=1; fi
  done < "$LAB/cgroups"
fi
exit $status
