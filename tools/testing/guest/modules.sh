#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The smbfs modules in the debug kernel: load in dependency order (their KUnit
# suites run at insmod and the gate reads the KTAP), check the export chain
# and the namespace, run smbclient's tests and mount -t smbfs against
# ksmbd, check each bad mount option's message, unload in reverse order,
# and run kmemleak.
set -u
d=$SMBFS_MODULE_DIR
mnt=/mnt/smbfs

t_check "ksmbd starts" start_ksmbd
t_check "insmod smbxprt, smbclient, smbfs" load_modules || { t_done; exit; }
t_check "modinfo: smbclient depends on smbxprt" test "$(modinfo -F depends "$d/smbclient.ko")" = smbxprt
t_check "modinfo: smbfs depends on smbclient" test "$(modinfo -F depends "$d/smbfs.ko")" = smbclient
t_check "modinfo: smbxprt depends on nothing of ours" test -z "$(modinfo -F depends "$d/smbxprt.ko" | grep smb)"
t_check "modinfo: smbclient and smbfs import the SMB namespace" \
	sh -c "modinfo -F import_ns '$d/smbclient.ko' | grep -qx SMB && modinfo -F import_ns '$d/smbfs.ko' | grep -qx SMB"
t_check "smbxprt exports smb_md4 in the SMB namespace" grep -q 'smb_md4.*smbxprt' /proc/kallsyms
t_check "smbfs is in /proc/filesystems" grep -qw smbfs /proc/filesystems

# smbclient through smbclient_test.ko (a C consumer of <smb/clnt.h>) against
# ksmbd: the tests in clnt-tests.sh (samba.sh runs them against Samba).
. "$SMBFS_REPO/tools/testing/guest/clnt-tests.sh"
. "$SMBFS_REPO/tools/testing/guest/clnt-faults.sh"
clnt_server ksmbd
t_check "load smbclient_test" insmod "$d/smbclient_test.ko"
clnt_sessions
clnt_signing
clnt_writes
clnt_ops
clnt_aio
clnt_faultinj
clnt_dir
clnt_req
clnt_restart
clnt_signing_required
t_check "ksmbd restarted with the default configuration" srv_config default

proxy_start
clnt_sealing
# The share requires it (SMB2_SHAREFLAG_ENCRYPT_DATA, set by the proxy).
proxy encrypt-share
clnt_sealed_share "$UNC" "$SMB_SHARE_DIR"
proxy encrypt-share
err=$(clnt create "127.0.0.1 $PPORT $UNC $SMB_USER $SMB_PASS 210 210")
t_check "... on SMB 2.1, which cannot seal, the tree connect is refused with EOPNOTSUPP (${err:-accepted})" \
	sh -c "echo '$err' | grep -q 'not supported'"
clnt_validate_negotiate
clnt_faults
clnt_park
# ksmbd with "smb3 encryption = mandatory": sessions seal without being asked.
t_check "ksmbd restarted with smb3 encryption = mandatory" srv_config encryption
for dl in 300 311; do
	sealed_session "server encryption mandatory" $dl 0
done
# The setting is for SMB 3: ksmbd still lets 2.1 in, unencrypted, and the
# handle must say so.
if clnt create "127.0.0.1 445 $UNC $SMB_USER $SMB_PASS 210 210" >/dev/null; then
	t_check "SMB 2.1 with encryption mandatory: ksmbd lets it in unencrypted, and the handle says so (encrypted $(info_field 0 encrypted))" \
		test "$(info_field 0 dialect)" = 0x210 -a "$(info_field 0 encrypted)" = 0
	clnt release all
else
	t_fail "SMB 2.1 with encryption mandatory: $(cat /tmp/clnt.err)"
fi
t_check "ksmbd restarted with the default configuration" srv_config default
proxy_stop
t_check "rmmod smbclient_test" rmmod smbclient_test

# The Rust wrapper of <smb/clnt.h> (rust/smb/clnt.rs): the KUnit suite of
# smbclient_rust_test.ko runs at insmod, against this ksmbd; the gate reads
# its KTAP (suite smbclient_rust).
t_check "insmod smbclient_rust_test (its KUnit suite runs)" insmod "$d/smbclient_rust_test.ko"
t_check "rmmod smbclient_rust_test" rmmod smbclient_rust_test

# The sample consumer (samples/smbclient/smb_sample.c) reads a file.
clnt_sample

# mount -t smbfs against ksmbd (smbfs-tests.sh; samba.sh runs the same
# against Samba).
. "$SMBFS_REPO/tools/testing/guest/smbfs-tests.sh"
smbfs_namespace
smbfs_roundtrips
smbfs_dead_server
smbfs_hostile_names
smbfs_ipv6
smbfs_netns

# Mount options, spelled as mount.cifs spells them: each error is named in
# the mount's log, which mount(8) prints (util-linux hands each option to
# fsconfig), and the mount fails with EINVAL; a password is never quoted.
mount_says() { # mount_says WHAT SOURCE OPTIONS TEXT: mount(8) fails and prints TEXT
	local out rc
	out=$(mount -t smbfs "$2" "$mnt" -o "$3" 2>&1)
	rc=$?
	t_check "mount(8) $1: refused ($out)" sh -c "test $rc != 0 && printf '%s' \"\$1\" | grep -qF -- \"\$2\"" - "$out" "$4"
}
src="//127.0.0.1/$SMB_SHARE"
base="username=$SMB_USER,password=Secret-Pw1"
mount_says "an unknown option" "$src" "$base,bogus" "unknown option 'bogus'"
mount_says "port over 65535" "$src" "$base,port=70000" "option 'port=70000' out of range"
mount_says "rsize=0" "$src" "$base,rsize=0" "option 'rsize=0' out of range"
mount_says "an unaligned wsize" "$src" "$base,wsize=65537" "option 'wsize=65537' out of range"
mount_says "actimeo overflowing jiffies" "$src" "$base,actimeo=99999999" "option 'actimeo=99999999' out of range"
mount_says "soft and hard" "$src" "$base,soft,hard" "options 'hard' and 'soft' conflict"
mount_says "sec=krb5" "$src" "$base,sec=krb5" "Kerberos is not supported yet"
mount_says "a bad vers" "$src" "$base,vers=9" "bad value '9' for option 'vers'"
mount_says "credentials= without the helper" "$src" "$base,credentials=/etc/x" "mount.smbfs"
mount_says "a host name without the helper" "//server/$SMB_SHARE" "$base" "mount.smbfs helper, or give ip="
mount_says "a prefix with .." "$src/a/../b" "$base" "may not contain . or .."
mount_says "a source without a share" "//127.0.0.1" "$base" "the source must be //server/share"
out=$(mount -t smbfs "$src" "$mnt" -o "$base,bogus" 2>&1)
t_check "... the password is in no message and not in the kernel log" \
	sh -c "! printf '%s' \"\$1\" | grep -q Secret-Pw1 && ! dmesg | grep -q Secret-Pw1" - "$out"
every="vers=3.02,port=445,hard,echo_interval=30,rsize=1048576,wsize=65536,uid=1000,gid=1000,forceuid,forcegid,file_mode=0644,dir_mode=0750,noperm,actimeo=5,closetimeo=2,cache=none,noserverino,nobrl,mapposix,sec=ntlmsspi,seal,dom=WG"
t_check "mount(8) with every option (sealed SMB 3.0.2, hard, noserverino, ...)" \
	mount -t smbfs "$src" "$mnt" -o "username=$SMB_USER,password=$SMB_PASS,$every"
line=$(grep " $mnt " /proc/mounts)
t_check "... /proc/mounts shows them ($line)" sh -c "for o in \$(echo '$every' | tr , ' '); do
	case \$o in dom=*) o=domain=\${o#dom=} ;; esac
	printf '%s' \"\$1\" | grep -q \"[ ,]\$o[ ,]\" || { echo \"missing \$o\"; exit 1; }; done" - "$line "
t_check "... files are the mount's uid, gid and modes" \
	test "$(stat -c '%u %g %a' "$mnt")" = "1000 1000 750"
umount "$mnt"
# A password with commas through mount(8): util-linux 2.41 cuts the option
# string at commas unless the value is in double quotes, which it strips
# (single quotes mean nothing to it).
mount_says "with password=a,b (unquoted): the comma ends the option" "$src" "username=$SMB_USER,password=a,b" "unknown option 'b'"
mount_says "with password=\"a,b\": one value, quotes stripped (vers=\"3.0\" is taken too), refused by the server" "$src" \
	"username=$SMB_USER,password=\"a,b\",vers=\"3.0\"" "logon failure"
# A raw mount(2) with the whole option string: the VFS cuts it at commas,
# but a doubled comma in a password stands for one (as with cifs.ko).
t_check "mount(2) with pass=a,,b: the comma is the password's (the server refuses it: EACCES, not EINVAL)" \
	test "$(rawmount "$src" "username=$SMB_USER,pass=a,,b,port=445")" = EACCES
t_check "mount(2) with pass=a,b: b is an option of its own, unknown (EINVAL)" \
	test "$(rawmount "$src" "username=$SMB_USER,pass=a,b")" = EINVAL
t_check "mount(2) with a bad option: EINVAL" test "$(rawmount "$src" "username=$SMB_USER,pass=a,,b,port=99999")" = EINVAL
t_check "... and its message is in the kernel log" sh -c "dmesg | grep -q \"option 'port=99999' out of range\""
# fsconfig takes values of up to 256 bytes; a raw mount(2) longer ones.
long=$(head -c 600 /dev/zero | tr '\0' x)
t_check "mount(2) with a 600-byte password: EINVAL" test "$(rawmount "$src" "username=$SMB_USER,password=$long")" = EINVAL
t_check "... its message names the option, not the password" \
	sh -c "dmesg | grep -q \"option 'password': at most 512 bytes\" && ! dmesg | grep -q xxxxxxxxxxxxxxxx"
t_check "nothing got mounted" sh -c "! grep -q ' $mnt ' /proc/mounts"

# The mount.smbfs helper (tools/mount.smbfs): a credentials file, a host
# name resolved to ip=, the password from $PASSWD. The passwords with
# commas are not the user's: each mount gets past the options to the
# server, which refuses it (an option the kernel refused would give EINVAL
# and its message instead); then the right one, which mounts.
helper="$d/mount.smbfs"
printf 'username=%s\npassword=p,w,d\n# a comment\ndomain=WG\n' "$SMB_USER" >/tmp/creds
chmod 600 /tmp/creds
out=$("$helper" "//localhost/$SMB_SHARE" "$mnt" -o credentials=/tmp/creds,vers=3,ro 2>&1)
t_check "mount.smbfs: credentials= (a password with commas), a host name: the kernel takes every option, the server refuses the password ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'Permission denied' && dmesg | tail -n 3 | grep -q 'logon failure'" - "$out"
out=$("$helper" "//localhost/$SMB_SHARE" "$mnt" -v -f -o credentials=/tmp/creds 2>&1)
t_check "mount.smbfs -v: the host name became ip=, the password is masked ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'ip=' && printf '%s' \"\$1\" | grep -q 'password=\*\*\*\*' && ! printf '%s' \"\$1\" | grep -q 'p,w,d'" - "$out"
out=$(PASSWD='x,,y,z' "$helper" "//127.0.0.1/$SMB_SHARE" "$mnt" -o "username=$SMB_USER" 2>&1)
t_check "mount.smbfs: the password from \$PASSWD, commas in it ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'Permission denied'" - "$out"
printf 'username=%s\npassword=%s\n' "$SMB_USER" "$SMB_PASS" >/tmp/creds.ok
chmod 600 /tmp/creds.ok
t_check "mount.smbfs: the right credentials file and a host name: mounted" \
	sh -c "'$helper' '//localhost/$SMB_SHARE' '$mnt' -o credentials=/tmp/creds.ok && grep -Eq ' $mnt smbfs .*ip=(127.0.0.1|::1)' /proc/mounts && ls '$mnt' >/dev/null"
umount "$mnt" 2>/dev/null
rm -f /tmp/creds.ok
out=$("$helper" "//nosuchhost.invalid/$SMB_SHARE" "$mnt" -o "username=$SMB_USER,password=x" 2>&1)
t_check "mount.smbfs: a name that does not resolve says so ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'cannot resolve'" - "$out"
# mount(8) looks for /sbin/mount.<type>; the guest's root is read-only, so
# a copy of /sbin with the helper in it is bound over it for the test.
sbin=$(readlink -f /sbin)
mkdir -p /tmp/sbin && cp -a "$sbin/." /tmp/sbin/ && cp "$helper" /tmp/sbin/mount.smbfs &&
	mount --bind /tmp/sbin "$sbin"
out=$(mount -t smbfs "//localhost/$SMB_SHARE" "$mnt" -o credentials=/tmp/creds 2>&1)
t_check "mount(8) runs /sbin/mount.smbfs for credentials= and a host name ($out)" \
	sh -c "printf '%s' \"\$1\" | grep -q 'mount.smbfs: mount(2)'" - "$out"
umount "$sbin" 2>/dev/null
rm -rf /tmp/sbin /tmp/creds
t_check "nothing got mounted" sh -c "! grep -q ' $mnt ' /proc/mounts"

t_check "rmmod smbxprt is refused while smbclient uses it" sh -c '! rmmod smbxprt 2>/dev/null'
t_check "rmmod smbfs" rmmod smbfs
t_check "rmmod smbclient" rmmod smbclient
t_check "rmmod smbxprt" rmmod smbxprt
t_check "no smbfs module left" sh -c "! grep -qE '^smb(xprt|client|fs) ' /proc/modules"
stop_ksmbd
kmemleak_scan
t_done
