#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvm-probe.sh FLAVOUR: print "kvm" if a KVM guest really boots the FLAVOUR
# kernel on this host, else "tcg". /dev/kvm existing is not enough: under
# nested virtualisation QEMU can abort ("failed to set MSR") or hang before the
# kernel prints anything. The answer is cached per host kernel and test kernel.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
flavour=${1:-debug}
if [ ! -w /dev/kvm ]; then
	echo tcg
	exit 0
fi
root=$("$TESTING_DIR/buildroot.sh" --path)
kdir=$("$TESTING_DIR/kernel.sh" "$flavour" --path)
stamp="$SMBFS_CACHE/work/kvm-probe-$(uname -r)-$(basename "$kdir")"
if [ ! -e "$stamp" ]; then
	log "probing whether KVM boots here (up to 30s)"
	out=$(inroot "$root" timeout -k 5 30 qemu-system-x86_64 -accel kvm -cpu host -m 512M -smp 1 \
		-kernel "$kdir/arch/x86/boot/bzImage" -nographic -no-reboot -nic none \
		-append "console=ttyS0 panic=-1 root=/dev/nonexistent" </dev/null 2>&1 | head -c 200000 || true)
	# Reaching the root-mount panic proves the kernel booted to the end of init.
	if printf '%s' "$out" | grep -q 'VFS: Unable to mount root\|Kernel panic'; then
		echo kvm >"$stamp"
	else
		echo tcg >"$stamp"
	fi
	log "KVM probe: $(cat "$stamp")"
fi
cat "$stamp"
