#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The demo's guest side: each step says what it does, runs it, and shows the
# result: the modules load, smbclient reads a file for an in-kernel
# consumer, and mount -t smbfs mounts the share, which ls, stat, df,
# mkdir, mv and rm then use.
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

demo_step "load smbxprt.ko, smbclient.ko and smbfs.ko (their KUnit suites run at load)"
load_modules || exit 1
grep -E '^smb(xprt|client|fs) ' /proc/modules | awk '{ printf "  %-10s %7s bytes, used by: %s\n", $1, $2, $4 }'
for m in smbxprt smbclient smbfs; do
	printf '  %-10s depends: %-10s imports: %s\n' "$m" "$(modinfo -F depends "$SMBFS_MODULE_DIR/$m.ko")" \
		"$(modinfo -F import_ns "$SMBFS_MODULE_DIR/$m.ko" | paste -sd,)"
done
dmesg | sed -n 's/.*\] \(\(not \)\?ok [0-9]* smb[a-z_]*\)$/  KUnit: \1/p'

demo_step "smbclient.ko as an in-kernel consumer sees it: smb_sample.ko reads a file over SMB"
dd if=/dev/urandom of="$SMB_SHARE_DIR/sample.bin" bs=1000 count=2000 status=none
echo "  server's sha256sum: $(sha256sum <"$SMB_SHARE_DIR/sample.bin" | cut -d' ' -f1)"
unc='\\127.0.0.1\'"$SMB_SHARE"
insmod "$SMBFS_MODULE_DIR/smb_sample.ko" addr=127.0.0.1 "unc=$unc" \
	"user=$SMB_USER" "password=$SMB_PASS" path=sample.bin || exit 1
dmesg | grep 'smb_sample: ' | tail -n1 | sed 's/^[^]]*\] /  /'
rmmod smb_sample

demo_step "mount -t smbfs //127.0.0.1/$SMB_SHARE /mnt/smbfs (mount.cifs's option names)"
mkdir -p /mnt/smbfs /mnt/b "$SMB_SHARE_DIR/docs"
echo "a file the server had" >"$SMB_SHARE_DIR/docs/readme.txt"
mount -t smbfs "//127.0.0.1/$SMB_SHARE" /mnt/smbfs -o "username=$SMB_USER,password=$SMB_PASS" || exit 1
grep ' /mnt/smbfs ' /proc/mounts | sed 's/^/  /'
echo "  (no password in /proc/mounts)"

demo_step "use the share: ls, stat, df, mkdir, touch, mv, ln, rm, find"
ls -la /mnt/smbfs | sed 's/^/  /'
stat /mnt/smbfs/docs/readme.txt | sed 's/^/  /'
df -h /mnt/smbfs | sed 's/^/  /'
mkdir /mnt/smbfs/projects && touch /mnt/smbfs/projects/plan.txt &&
	mv /mnt/smbfs/projects/plan.txt /mnt/smbfs/projects/plan-v2.txt &&
	touch -d '2001-02-03 04:05:06 UTC' /mnt/smbfs/projects/plan-v2.txt &&
	ln /mnt/smbfs/projects/plan-v2.txt /mnt/smbfs/projects/plan.link
find /mnt/smbfs | sed 's/^/  /'
stat -c '  %n: %h links, mode %A' /mnt/smbfs/projects/plan.link
echo "  the server sees: $(cd "$SMB_SHARE_DIR" && find . | sort | tr '\n' ' ')"
echo "  and the time set: $(date -u -r "$SMB_SHARE_DIR/projects/plan-v2.txt")"
rm /mnt/smbfs/projects/plan-v2.txt /mnt/smbfs/projects/plan.link && rmdir /mnt/smbfs/projects &&
	echo "  removed; the server has: $(ls "$SMB_SHARE_DIR" | tr '\n' ' ')"
echo "  what this mount sent (/sys/kernel/debug/smbfs/$(mountpoint -d /mnt/smbfs)/stats):"
sed 's/^/    /' "/sys/kernel/debug/smbfs/$(mountpoint -d /mnt/smbfs)/stats"
echo "  (reading and writing file data through netfs is the next step)"

demo_step "bad input gives a clear error: a bad option, a wrong password, a missing path"
mount -t smbfs "//127.0.0.1/$SMB_SHARE" /mnt/b -o "username=$SMB_USER,password=$SMB_PASS,soft,hard" 2>&1 | sed 's/^/  /'
mount -t smbfs "//127.0.0.1/$SMB_SHARE" /mnt/b -o "username=$SMB_USER,password=wrong" 2>&1 | sed 's/^/  /'
mount -t smbfs "//127.0.0.1/$SMB_SHARE/no/such/dir" /mnt/b -o "username=$SMB_USER,password=$SMB_PASS" 2>&1 | sed 's/^/  /'
umount /mnt/smbfs

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

demo_step "unmount, unload everything, stop the server"
umount /mnt/cifs && rmmod cifs && rmmod smbfs smbclient smbxprt && stop_ksmbd && echo "  done"
echo
echo "demo finished"
