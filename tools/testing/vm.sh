#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a test kernel under QEMU with the build root as its read-only 9p root
# file system and run one guest script in it.
#
#   vm.sh [options] SCRIPT [ARGS...]
#
#   SCRIPT        a guest script, relative to the repository (for example
#                 tools/testing/guest/peer-smoke.sh); "shell" for an interactive
#                 guest with ksmbd started and modules loaded. A script that
#                 calls start_samba gets the Samba root (sambaroot.sh) built
#                 first; its guest path is SMBFS_SAMBA_ROOT in every guest.
#   --kernel F    kernel flavour: debug (default) or release
#   --timeout S   hard limit for the whole guest run, in seconds (default 600);
#                 a guest that is still running then is killed and the run fails
#   --name N      name of the run directory (default: the script's name)
#   --mem M       guest memory (default 1G: kmemleak scans and the KASAN
#                 shadow grow with it, and 1G holds every test's data)
#   --smp N       virtual CPUs (default 2)
#   --append A    extra kernel command line (e.g. kunit.enable=0)
#
# SMBFS_MEM, SMBFS_SMP and SMBFS_APPEND set the defaults of --mem, --smp and
# --append (for experiments such as SMBFS_APPEND=kmemleak=off make vm ...).
#
# The console is streamed to stdout and saved with the guest's dmesg, kmemleak
# report and test results in $SMBFS_CACHE/work/runs/<name>/. The exit status is
# the guest script's.
#
# Acceleration: TCG, unless SMBFS_ACCEL=kvm, or SMBFS_ACCEL=auto and a probe
# shows that a KVM guest really boots here (on nested hosts /dev/kvm can exist
# and still hang or abort QEMU).
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

flavour=debug timeout=600 name="" mem=${SMBFS_MEM:-1G} smp=${SMBFS_SMP:-2} extra=${SMBFS_APPEND:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) flavour=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--append) extra="$extra $2"; shift 2 ;;
	--) shift; break ;;
	-*) die "vm.sh: unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || die "usage: vm.sh [--kernel debug|release] [--timeout S] [--name N] SCRIPT [ARGS...]"
script=$1
shift
interactive=""
if [ "$script" = shell ]; then
	interactive=1
	script=tools/testing/guest/shell.sh
fi
[ -f "$REPO_DIR/$script" ] || die "no guest script $script in $REPO_DIR"
need_root

root=$("$TESTING_DIR/buildroot.sh" --path)
kdir=$("$TESTING_DIR/kernel.sh" "$flavour" --path)
# The Samba root (a second server), built on demand for a script that
# starts Samba; any guest sees it if it is there.
if grep -q start_samba "$REPO_DIR/$script"; then
	"$TESTING_DIR/sambaroot.sh" >/dev/null
fi
samba=""
if sroot=$("$TESTING_DIR/sambaroot.sh" --path 2>/dev/null); then
	samba="$ROOT_CACHE/samba/${sroot##*/}"
fi
name=${name:-$(basename "$script" .sh)}
[ -z "$SMBFS_TAG" ] || name="$SMBFS_TAG-$name"
hostrun="$SMBFS_CACHE/work/runs/$name"
rootrun="$ROOT_CACHE/runs/$name"
rm -rf "$hostrun"
mkdir -p "$hostrun"

# The guest reads what to run from its results share. Arguments are passed one
# per line, so they may contain spaces.
{
	echo "$ROOT_REPO/$script"
	printf '%s\n' "$@"
} >"$hostrun/cmd"
cat >"$hostrun/env" <<-EOF
	SMBFS_KERNEL_DIR=$kdir
	SMBFS_FLAVOUR=$flavour
	SMBFS_MODULE_DIR=$ROOT_CACHE/modules/$(tagged "$flavour" -)
	SMBFS_INTERACTIVE=${interactive:-0}
	SMBFS_SAMBA_ROOT=$samba
EOF

accel=tcg
case "${SMBFS_ACCEL:-tcg}" in
tcg) ;;
kvm) accel=kvm ;;
auto) accel=$("$TESTING_DIR/kvm-probe.sh" "$flavour") ;;
*) die "SMBFS_ACCEL must be tcg, kvm or auto" ;;
esac

cpu="max"
[ "$accel" = kvm ] && cpu=host
append="console=ttyS0 loglevel=7 root=rootfs rootfstype=9p"
append="$append rootflags=trans=virtio,version=9p2000.L,cache=loose,msize=262144 ro"
append="$append init=$ROOT_REPO/tools/testing/guest/init panic=-1 oops=panic"
# A full lockdep chain report or KASAN splat is long; keep all of it.
append="$append log_buf_len=8M"
# Extra kernel arguments (--append, or SMBFS_APPEND for experiments).
[ -n "$extra" ] && append="$append $extra"

qemu=(qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp"
	-kernel "$kdir/arch/x86/boot/bzImage" -append "$append"
	-nographic -no-reboot -nic none
	-virtfs "local,path=/,mount_tag=rootfs,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$rootrun,mount_tag=results,security_model=none,multidevs=remap")

log "booting the $flavour kernel ($accel) to run $script $* (timeout ${timeout}s, results in $hostrun)"
t0=$(date +%s)
rc=0
if [ -n "$interactive" ]; then
	inroot "$root" "${qemu[@]}" || rc=$?
else
	# The console goes to stdout and to console.log; stdin is not the guest's.
	inroot "$root" timeout -k 10 "$timeout" "${qemu[@]}" </dev/null 2>&1 |
		tee "$hostrun/console.log" || rc=$?
fi
elapsed=$(($(date +%s) - t0))

if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "vm.sh: TIMEOUT: the guest ran for more than ${timeout}s and was killed; the last console lines are in $hostrun/console.log" >&2
	echo timeout >"$hostrun/verdict"
	exit 124
fi
if [ ! -s "$hostrun/status" ]; then
	echo "vm.sh: the guest ended after ${elapsed}s without reporting a status (a crash, panic or Oops?); see $hostrun/console.log" >&2
	echo crashed >"$hostrun/verdict"
	# Let the gate read what the console saw.
	[ -s "$hostrun/dmesg.txt" ] || cp "$hostrun/console.log" "$hostrun/dmesg.txt" 2>/dev/null || true
	exit 125
fi
status=$(cat "$hostrun/status")
log "guest script exited with status $status after ${elapsed}s"
echo "$status" >"$hostrun/verdict"
exit "$status"
