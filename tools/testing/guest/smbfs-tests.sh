# SPDX-License-Identifier: GPL-2.0
#
# mount -t smbfs against one server: the namespace and metadata (ls, stat,
# df, mkdir, touch, mv, rm, rmdir, truncate, utimes), coherence with
# changes made on the server, shared superblocks, and each mount failure's
# errno and message. Sourced by modules.sh (ksmbd) and samba.sh (Samba)
# after clnt_server (SRV, SRV_PORT, SRV_DIR).

SMBFS_MNT=/mnt/smbfs

# rawmount [-r] SOURCE DATA [SOURCE DATA ...]: mount(2) of each on
# $SMBFS_MNT (-r: MS_REMOUNT of it), one errno name (or OK) per line.
# One python for them all: it starts slowly under TCG.
rawmount() {
	python3 -c 'import ctypes, errno, sys
libc = ctypes.CDLL(None, use_errno=True)
flags, args = (32, sys.argv[3:]) if sys.argv[2] == "-r" else (0, sys.argv[2:])
for src, data in zip(args[0::2], args[1::2]):
	r = libc.mount(src.encode() or None, sys.argv[1].encode(), b"smbfs", flags, data.encode())
	print(errno.errorcode[ctypes.get_errno()] if r else "OK")' "$SMBFS_MNT" "$@"
}

# readdir's inode numbers against stat's, for every entry of a directory.
dirent_inos() {
	python3 -c 'import os, sys
bad = [e.name for e in os.scandir(sys.argv[1]) if e.inode() != os.stat(e.path, follow_symlinks=False).st_ino]
print(" ".join(bad) if bad else "same")' "$1"
}

smbfs_namespace() {
	local m=$SMBFS_MNT s="$SRV_DIR/smbfs-ns" src="//127.0.0.1/$SMB_SHARE"
	local o="username=$SMB_USER,password=$SMB_PASS,port=$SRV_PORT,actimeo=1"
	local line want got
	rm -rf "$s"
	mkdir -p "$s/sub" "$m" /mnt/smbfs2
	echo hello >"$s/f1"
	head -c 5000 /dev/zero >"$s/sub/five"
	: >"$s/with space"
	: >"$s/ünïcødé"
	t_check "[$SRV] mount -t smbfs $src/smbfs-ns (a prefix)" mount -t smbfs "$src/smbfs-ns" "$m" -o "$o" || return
	line=$(grep " $m " /proc/mounts)
	t_check "[$SRV] /proc/mounts: the source, smbfs, username=, no password ($line)" \
		sh -c "printf '%s' \"\$1\" | grep -q '^$src/smbfs-ns $m smbfs .*username=$SMB_USER' && ! printf '%s' \"\$1\" | grep -q pass" - "$line"
	t_check "[$SRV] statfs: SMB2_SUPER_MAGIC (stat -f says smb2: $(stat -f -c %T "$m"))" test "$(stat -f -c %T "$m")" = smb2
	want=$(stat -f -c '%b %S' "$s" | awk '{ print $1 * $2 }')
	got=$(stat -f -c '%b %S' "$m" | awk '{ print $1 * $2 }')
	t_check "[$SRV] statfs: the size of the server's file system ($got bytes, the server's $want)" test "$got" = "$want"
	t_check "[$SRV] ls: the server's names, a space and UTF-8 in them" \
		test "$(ls -A "$m" | sort)" = "$(ls -A "$s" | sort)"
	t_check "[$SRV] stat: size and mtime as the server has them" \
		test "$(stat -c '%s %Y' "$m/sub/five")" = "$(stat -c '%s %Y' "$s/sub/five")"
	t_check "[$SRV] stat: types (directory, regular file)" \
		test "$(stat -c %F "$m/sub"),$(stat -c %F "$m/f1")" = "directory,regular file"
	t_check "[$SRV] inode numbers are the server's file ids (serverino)" \
		test "$(stat -c %i "$m/f1" "$m/sub")" = "$(stat -c %i "$s/f1" "$s/sub")"
	got=$(dirent_inos "$m")
	t_check "[$SRV] readdir gives the inode numbers stat does ($got)" test "$got" = same
	t_check "[$SRV] a name that does not exist: ENOENT" sh -c "! stat '$m/nope' 2>&1 | grep -qv 'No such file'"

	t_check "[$SRV] mkdir: the directory is on the server" sh -c "mkdir '$m/newdir' && test -d '$s/newdir'"
	t_check "[$SRV] mkdir of an existing name: EEXIST" sh -c "mkdir '$m/newdir' 2>&1 | grep -q 'File exists'"
	t_check "[$SRV] touch: a new file on the server" sh -c "touch '$m/newdir/file' && test -f '$s/newdir/file'"
	t_check "[$SRV] rmdir of a directory that is not empty: ENOTEMPTY" \
		sh -c "rmdir '$m/newdir' 2>&1 | grep -q 'not empty' && test -d '$s/newdir'"
	t_check "[$SRV] mv across directories: moved on the server" \
		sh -c "mv '$m/newdir/file' '$m/moved' && test -f '$s/moved' -a ! -e '$s/newdir/file' && test -f '$m/moved' -a ! -e '$m/newdir/file'"
	t_check "[$SRV] mv over an existing file replaces it" \
		sh -c "touch '$m/victim' && mv '$m/moved' '$m/victim' && test -f '$s/victim' -a ! -e '$s/moved'"
	t_check "[$SRV] rm: gone from the server and here" \
		sh -c "rm '$m/victim' && test ! -e '$s/victim' -a ! -e '$m/victim'"
	t_check "[$SRV] rmdir: gone" sh -c "rmdir '$m/newdir' && test ! -e '$s/newdir'"
	t_check "[$SRV] truncate -s 12345: the server's size" \
		sh -c "truncate -s 12345 '$m/f1' && test \$(stat -c %s '$s/f1') = 12345 -a \$(stat -c %s '$m/f1') = 12345"
	t_check "[$SRV] touch -d: the server's mtime and atime (2001-02-03 04:05:06 UTC)" \
		sh -c "touch -d '2001-02-03 04:05:06 UTC' '$m/f1' && test \"\$(stat -c '%X %Y' '$s/f1')\" = '981173106 981173106' -a \$(stat -c %Y '$m/f1') = 981173106"

	# Changes made on the server, seen after the attribute cache time
	# (actimeo=1): a new name, a new size, a removed name (each known
	# here before the change).
	echo old >"$s/grows"
	echo old >"$s/goes"
	t_check "[$SRV] before the server's changes: no 'ext', 'grows' 4 bytes, 'goes' there" \
		test ! -e "$m/ext" -a "$(stat -c %s "$m/grows")" = 4 -a -e "$m/goes"
	echo new >"$s/ext"
	echo longer-now >"$s/grows"
	rm "$s/goes"
	sleep 1.2
	t_check "[$SRV] a file made on the server is seen after actimeo" test -f "$m/ext"
	t_check "[$SRV] ... a new size ($(stat -c %s "$m/grows"))" test "$(stat -c %s "$m/grows")" = 11
	t_check "[$SRV] ... and a file removed" test ! -e "$m/goes"

	mkdir "$s/big"
	# 1,200 entries: two QUERY_DIRECTORY batches and two getdents calls
	# (clnt-tests.sh enumerates 10,000 through smbclient).
	(cd "$s/big" && seq -f 'entry-%05g' 1 1200 | xargs touch)
	t_check "[$SRV] ls of a 1,200-entry directory: every name" \
		test "$(ls "$m/big" | sha256sum)" = "$(ls "$s/big" | sha256sum)"
	t_check "[$SRV] find: every file of the tree" test "$(find "$m" | wc -l)" = "$(find "$s" | wc -l)"

	# Identical mounts share a superblock; other options get their own.
	t_check "[$SRV] the same mount again" mount -t smbfs "$src/smbfs-ns" /mnt/smbfs2 -o "$o"
	t_check "[$SRV] ... shares the superblock (same device)" test "$(stat -c %d "$m")" = "$(stat -c %d /mnt/smbfs2)"
	umount /mnt/smbfs2
	t_check "[$SRV] a mount with other options (actimeo=2)" mount -t smbfs "$src/smbfs-ns" /mnt/smbfs2 -o "$o,actimeo=2"
	t_check "[$SRV] ... has its own superblock" test "$(stat -c %d "$m")" != "$(stat -c %d /mnt/smbfs2)"
	umount /mnt/smbfs2
	# A remount changes the caching and ownership options, and nothing
	# that names another session; the options /proc/mounts shows remount.
	t_check "[$SRV] remount with actimeo=2, uid=1234, file_mode=0600" \
		mount -o remount,actimeo=2,uid=1234,file_mode=0600 "$m"
	line=$(grep " $m " /proc/mounts)
	t_check "[$SRV] ... /proc/mounts shows them ($line)" \
		sh -c "printf '%s' \"\$1\" | grep -q 'uid=1234,.*file_mode=0600,.*actimeo=2'" - "$line"
	sleep 2.2
	t_check "[$SRV] ... and files have them once their attributes are fetched again ($(stat -c '%u %a' "$m/f1"))" \
		test "$(stat -c '%u %a' "$m/f1")" = "1234 600"
	got=$(mount -o remount,username=someone "$m" 2>&1)
	t_check "[$SRV] remount with another user: refused ($got)" \
		sh -c "printf '%s' \"\$1\" | grep -q 'cannot change the user'" - "$got"
	got=$(mount -o remount,vers=2.1 "$m" 2>&1)
	t_check "[$SRV] remount with another dialect: refused ($got)" \
		sh -c "printf '%s' \"\$1\" | grep -q 'only the caching and ownership'" - "$got"
	line=$(awk -v m="$m" '$2 == m { print $4 }' /proc/mounts)
	t_check "[$SRV] remount with the options /proc/mounts shows (mount(8))" mount -o "remount,$line" "$m"
	# mount(8) keeps rw and relatime to itself; mount(2) takes them as flags.
	t_check "[$SRV] remount with them through mount(2) (MS_REMOUNT and the option string)" \
		test "$(rawmount -r "" "$(echo "$line" | sed 's/^rw,relatime,//')")" = OK
	t_check "[$SRV] ... the options are as before" test "$(awk -v m="$m" '$2 == m { print $4 }' /proc/mounts)" = "$line"

	t_check "[$SRV] rmmod smbfs while mounted is refused" sh -c '! rmmod smbfs 2>/dev/null'
	t_check "[$SRV] umount" umount "$m"
	rm -rf "$s"

	# Each failure: its errno from mount(2), and a message naming the
	# server and share in the kernel log and in mount(8)'s output.
	local bad="username=$SMB_USER,port=$SRV_PORT"
	: >"$SRV_DIR/smbfs-file"
	# shellcheck disable=SC2046
	set -- $(rawmount "$src" "$bad,password=wrong" \
		"$src/no/such/dir" "$bad,password=$SMB_PASS" \
		"$src/smbfs-file" "$bad,password=$SMB_PASS" \
		"$src" "username=$SMB_USER,password=$SMB_PASS,port=1" \
		"//127.0.0.1/nosuchshare" "$bad,password=$SMB_PASS")
	rm -f "$SRV_DIR/smbfs-file"
	t_check "[$SRV] a wrong password: EACCES ($1)" test "$1" = EACCES
	t_check "[$SRV] ... and the log names the server and share" \
		sh -c "dmesg | grep -q 'smbfs: //127.0.0.1/$SMB_SHARE: logon failure'"
	t_check "[$SRV] a path in the share that does not exist: ENOENT ($2)" test "$2" = ENOENT
	t_check "[$SRV] a path that is a file: ENOTDIR ($3)" test "$3" = ENOTDIR
	t_check "[$SRV] no server on the port: ECONNREFUSED ($4)" test "$4" = ECONNREFUSED
	# ksmbd signs its answer to a failed TREE_CONNECT on SMB 3.1.1 wrongly
	# (clnt-tests.sh): the client cannot trust the status, and says EIO.
	want=$(pick EIO ENOENT)
	t_check "[$SRV] a share that does not exist: $want$(pick " (ksmbd's reply does not verify)" "") ($5)" \
		test "$5" = "$want"
	got=$(mount -t smbfs "$src" "$m" -o "$bad,password=wrong" 2>&1)
	t_check "[$SRV] a wrong password through mount(8): the message names the server and share ($got)" \
		sh -c "printf '%s' \"\$1\" | grep -q '//127.0.0.1/$SMB_SHARE: logon failure'" - "$got"
	t_check "[$SRV] nothing is left mounted" sh -c "! grep -q ' smbfs ' /proc/mounts"
}

# The connection is made in the mount's network namespace (fc->net_ns, the
# one fsopen(2) ran in), not the namespace of the task that creates the
# superblock: fsopen in a namespace where nothing listens, then
# fsconfig(CREATE) from the initial one, must be refused.
smbfs_netns() {
	local got
	ip netns add smbfs-ns && ip -n smbfs-ns link set lo up
	got=$(python3 -c 'import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
FSOPEN, FSCONFIG = 430, 431
SET_STRING, CMD_CREATE = 1, 6
def fsconfig(fd, cmd, key=None, val=None):
	k = key.encode() if key else None
	v = val.encode() if val else None
	return libc.syscall(FSCONFIG, fd, cmd, k, v, 0)
home = os.open("/proc/self/ns/net", os.O_RDONLY)
ns = os.open("/run/netns/smbfs-ns", os.O_RDONLY)
os.setns(ns, os.CLONE_NEWNET)
fd = libc.syscall(FSOPEN, b"smbfs", 0)
os.setns(home, os.CLONE_NEWNET)
for k, v in [("source", "//127.0.0.1/" + sys.argv[1]), ("username", sys.argv[2]), ("password", sys.argv[3])]:
	fsconfig(fd, SET_STRING, k, v)
r = fsconfig(fd, CMD_CREATE)
print(errno.errorcode[ctypes.get_errno()] if r else "OK")' "$SMB_SHARE" "$SMB_USER" "$SMB_PASS")
	t_check "[$SRV] fsopen in an empty network namespace, the superblock made from the initial one: refused, the connection is in the mount's namespace ($got)" \
		test "$got" = ECONNREFUSED
	ip netns delete smbfs-ns
}

# IPv6: a literal in the source, in ip=, with a %scope by index or by
# interface name (resolved in the mount's namespace).
smbfs_ipv6() {
	local m=$SMBFS_MNT o="username=$SMB_USER,password=$SMB_PASS,port=$SRV_PORT" got
	mkdir -p "$m"
	t_check "[$SRV] mount //[::1]/$SMB_SHARE (IPv6 loopback)" \
		sh -c "mount -t smbfs '//[::1]/$SMB_SHARE' $m -o '$o' && ls $m >/dev/null && umount $m"
	t_check "[$SRV] mount with ip=::1%lo (a scope by interface name)" \
		sh -c "mount -t smbfs '//server/$SMB_SHARE' $m -o '$o,ip=::1%lo' && grep -q ' $m smbfs .*ip=::1%lo' /proc/mounts && umount $m"
	got=$(mount -t smbfs "//server/$SMB_SHARE" "$m" -o "$o,ip=::1%nosuchif" 2>&1)
	t_check "[$SRV] ip=::1%nosuchif: refused, no such interface ($got)" \
		sh -c "printf '%s' \"\$1\" | grep -q 'no such interface'" - "$got"
}
