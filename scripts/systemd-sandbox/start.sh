#!/bin/bash
# Boot a real systemd as PID 1 in private pid/mount/uts/ipc/cgroup namespaces, on a throw-away
# overlay of the host root (every write lands in tmpfs), so tests can drive rolloutd.service with
# systemctl and read it back with journalctl (DMN-5, DMN-6) on a host where systemd is not PID 1.
#
# Usage: LAB=DIR start.sh   (DIR: an empty directory of the caller's, e.g. from mktemp -d)
# Prints `pid1=N state=S`; N (the host PID of the manager) is also written to $LAB/pid1.
# Drive it with `nsenter -t N -m -u -i -p -C systemctl …`; install files through /proc/N/root/.
# Always pair with stop.sh (from a `trap … EXIT`), even when this script fails.
# Needs root, unshare(1), nsenter(1), setpriv(1); tested with systemd 252 (Debian 12).
set -euo pipefail
: "${LAB:?set LAB to an empty directory}"
LAB=$(cd "$LAB" && pwd)
mkdir -p "$LAB"/{units,root,ovl}
: > "$LAB/console.log"

# A private /etc/systemd/system: hides the host's enabled units; the tests install units here.
cat > "$LAB/units/sandbox.target" <<'T'
[Unit]
Description=rolloutd test sandbox
Requires=basic.target
After=basic.target
AllowIsolate=yes
T

# A child cgroup in every mounted hierarchy, below our own, named after $LAB so concurrent
# sandboxes do not share it: after unshare --cgroup everything the manager creates lands below
# it, never at the host's cgroup roots, and stop.sh can remove exactly what was made.
CG="rolloutd-sandbox-$(basename "$LAB")"
: > "$LAB/cgroups"
while IFS=: read -r _ controllers path; do
  if [ -z "$controllers" ]; then
    mp=$(awk '$3=="cgroup2"{print $2; exit}' /proc/self/mounts)
  else
    mp=$(awk -v c="$controllers" '$3=="cgroup"{n=split($4,o,","); for(i=1;i<=n;i++) if(o[i]==c) {print $2; exit}}' /proc/self/mounts)
  fi
  [ -n "$mp" ] || continue
  d="$mp${path%/}/$CG"
  mkdir -p "$d"
  echo "$d" >> "$LAB/cgroups"
  if [ -e "$d/cpuset.cpus" ]; then
    cat "$(dirname "$d")/cpuset.cpus" > "$d/cpuset.cpus"
    cat "$(dirname "$d")/cpuset.mems" > "$d/cpuset.mems"
  fi
done < /proc/self/cgroup

# Runs as PID 1 of the new namespaces: builds the root and execs systemd.
cat > "$LAB/inner.sh" <<'I'
#!/bin/bash
set -euo pipefail
LAB=$1; R=$LAB/root
mount -t tmpfs -o mode=755 tmpfs "$LAB/ovl"
mkdir "$LAB/ovl/upper" "$LAB/ovl/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$LAB/ovl/upper,workdir=$LAB/ovl/work" "$R"
mount -t proc proc "$R/proc"
mount --bind "$R/proc/sys" "$R/proc/sys"; mount -o remount,bind,ro "$R/proc/sys"
if [ -e "$R/proc/sysrq-trigger" ]; then
  mount --bind "$R/proc/sysrq-trigger" "$R/proc/sysrq-trigger"; mount -o remount,bind,ro "$R/proc/sysrq-trigger"
fi
mount --bind /sys "$R/sys"; mount -o remount,bind,ro,nosuid,nodev,noexec "$R/sys"
mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs "$R/sys/fs/cgroup"
mkdir "$R/sys/fs/cgroup/systemd" "$R/sys/fs/cgroup/unified"
mount -t cgroup -o none,name=systemd,nosuid,nodev,noexec cgroup "$R/sys/fs/cgroup/systemd"
mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup/unified"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"
mount --bind "$LAB/console.log" "$R/dev/console"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs "$R/run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
mount --bind "$LAB/units" "$R/etc/systemd/system"
cd "$R"
pivot_root . .
umount -l .
cd /
exec setpriv --bounding-set=-sys_module,-sys_time,-sys_rawio,-syslog \
  env -i container=rolloutd-sandbox PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  /lib/systemd/systemd --unit=sandbox.target --show-status=no
I
chmod +x "$LAB/inner.sh"

( while read -r d; do echo "$BASHPID" > "$d/cgroup.procs"; done < "$LAB/cgroups"
  exec unshare --pid --fork --mount --uts --ipc --cgroup --propagation private "$LAB/inner.sh" "$LAB"
) </dev/null >"$LAB/unshare.log" 2>&1 &
echo $! > "$LAB/unshare.pid"

# The manager is unshare's child; wait for it, then for the boot to finish (bounded waits).
P=
for _ in $(seq 1 100); do
  P=$(awk '{print $1}' "/proc/$(cat "$LAB/unshare.pid")/task/$(cat "$LAB/unshare.pid")/children" 2>/dev/null || true)
  [ -n "$P" ] && [ "$(readlink "/proc/$P/exe" 2>/dev/null)" = /usr/lib/systemd/systemd ] && break
  P=
  sleep 0.1
done
[ -n "$P" ] || { echo "systemd did not start:" >&2; cat "$LAB/unshare.log" >&2; exit 1; }
echo "$P" > "$LAB/pid1"
state=
for _ in $(seq 1 300); do
  state=$(nsenter -t "$P" -m -u -i -p -C systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.1
done
echo "pid1=$P state=$state"
case "$state" in running|degraded) ;; *) exit 1 ;; esac
