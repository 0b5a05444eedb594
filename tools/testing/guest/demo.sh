#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo's guest side: each step says what it does, runs it, and shows the
# result. Later issues extend it to mount the share with smbfs.
set -u
n=0
demo_step() {
	n=$((n + 1))
	echo
	echo "=== step $n: $1"
}

demo_step "the guest runs the debug kernel (lockdep, KASAN, UBSAN, kmemleak)"
uname -a
grep -E '^CONFIG_(PROVE_LOCKING|KASAN|UBSAN|DEBUG_KMEMLEAK|RUST)=' "$SMBFS_KERNEL_DIR/.config" | sed 's/^/  /'

demo_step "the kernel's built-in KUnit suites ran at boot"
dmesg | sed -n 's/.*\] \(\(not \)\?ok [0-9]* [a-z_0-9]*\)$/  \1/p' | grep -v '^  ok [0-9]* [a-z_0-9]*_test$' | sort -u | head -n 20

demo_step "start ksmbd on 127.0.0.1 with a tmpfs share"
start_ksmbd || exit 1
ksmbd.control -l | sed 's/^/  /'

demo_step "smbfs modules"
if [ -e "$SMBFS_MODULE_DIR/smbxprt.ko" ]; then
	load_modules && lsmod | grep -E '^smb' | sed 's/^/  /'
else
	echo "  not built yet: the module plumbing lands with the next issue."
fi

demo_step "for comparison, the peer: cifs.ko mounts the share (vers=3.1.1)"
modprobe cifs
mkdir -p /mnt/cifs
mount -t cifs "//127.0.0.1/$SMB_SHARE" /mnt/cifs -o "username=$SMB_USER,password=$SMB_PASS,vers=3.1.1" || exit 1
grep ' /mnt/cifs ' /proc/mounts | sed 's/password=[^,]*/password=***/; s/^/  /'

demo_step "write a file through cifs.ko and read it on the server side"
echo "hello from the smbfs demo, $(date)" >/mnt/cifs/hello.txt
echo "  client wrote:   $(cat /mnt/cifs/hello.txt)"
echo "  server's tmpfs: $(cat "$SMB_SHARE_DIR/hello.txt")"
ls -l /mnt/cifs | sed 's/^/  /'

demo_step "unmount and stop the server"
umount /mnt/cifs && rmmod cifs && stop_ksmbd && echo "  done"
echo
echo "demo finished"
