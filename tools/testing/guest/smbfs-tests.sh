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

	# The mode's write bits are the READONLY attribute on the server: a
	# second mount with its own superblock (other options) sees them.
	t_check "[$SRV] chmod a-w: the file is read-only here ($(chmod a-w "$m/f1"; stat -c %A "$m/f1"))" \
		test "$(stat -c %A "$m/f1")" = -r-xr-xr-x
	mount -t smbfs "$src/smbfs-ns" /mnt/smbfs2 -o "$o,actimeo=0"
	t_check "[$SRV] ... and on the server (another mount: $(stat -c %A /mnt/smbfs2/f1))" \
		test "$(stat -c %A /mnt/smbfs2/f1)" = -r-xr-xr-x
	chmod u+w "$m/f1"
	t_check "[$SRV] chmod u+w: writable again there ($(stat -c %A /mnt/smbfs2/f1))" \
		test "$(stat -c %A /mnt/smbfs2/f1)" = -rwxr-xr-x
	t_check "[$SRV] chown to the mount's owner: accepted" chown "$(id -u):$(id -g)" "$m/f1"
	t_check "[$SRV] chown to another: EPERM" sh -c "chown 4321 '$m/f1' 2>&1 | grep -q 'not permitted'"
	# A hard link (FileLinkInformation): the server's second name of the
	# same file, and a link count of 2 on both names here.
	t_check "[$SRV] ln: a second name for the file on the server" \
		sh -c "ln '$m/f1' '$m/f1-link' && test \$(stat -c %i '$s/f1') = \$(stat -c %i '$s/f1-link')"
	t_check "[$SRV] ... both names have 2 links ($(stat -c %h "$m/f1" /mnt/smbfs2/f1-link | tr '\n' ' '))" \
		test "$(stat -c %h "$m/f1" /mnt/smbfs2/f1-link | tr '\n' ' ')" = "2 2 "
	t_check "[$SRV] ln onto an existing name: EEXIST" sh -c "ln '$m/f1' '$m/sub/five' 2>&1 | grep -q 'File exists'"
	t_check "[$SRV] rm of one name leaves the other (1 link)" \
		sh -c "rm '$m/f1-link' && test -f '$s/f1' -a ! -e '$s/f1-link' && test \$(stat -c %h /mnt/smbfs2/f1) = 1"
	umount /mnt/smbfs2
	# open(O_CREAT) is one CREATE (atomic_open): FILE_OPEN_IF, or
	# FILE_CREATE with O_EXCL; the VFS truncates (O_TRUNC) only a file
	# that it did not create (FMODE_CREATED).
	t_check "[$SRV] open(O_CREAT|O_TRUNC) of an existing file: truncated on the server" \
		sh -c ": >'$m/sub/five' && test \$(stat -c %s '$s/sub/five') = 0"
	got=$(python3 -c 'import os, sys
for p in sys.argv[1:]:
	try:
		os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY)); print("created")
	except OSError as e:
		print(os.strerror(e.errno))' "$m/sub/excl" "$m/sub/excl" | tr '\n' ,)
	t_check "[$SRV] open(O_CREAT|O_EXCL): created, then EEXIST ($got)" \
		sh -c "test '$got' = 'created,File exists,' && test -f '$s/sub/excl'"

	# POSIX unlink and rename over open files (silly-rename): the open
	# file gets a hidden .smbfs name on the server, its own name goes at
	# once, its descriptor keeps working, and the last close deletes it.
	: >"$s/held"
	: >"$s/held2"
	: >"$s/newer"
	exec 7<"$m/held" 8<"$m/held2"
	rm "$m/held"
	mv "$m/newer" "$m/held2"
	t_check "[$SRV] rm of an open file: its name is gone here and on the server" \
		test ! -e "$m/held" -a ! -e "$s/held"
	t_check "[$SRV] mv over an open file: the new file has the name" test -f "$s/held2" -a ! -e "$s/newer"
	got=$(ls -A "$s" | grep -c '^\.smbfs')
	t_check "[$SRV] ... each open file has a hidden .smbfs name on the server ($got)" test "$got" = 2
	got=$(python3 -c 'import os; print(os.fstat(7).st_nlink >= 0 and os.fstat(8).st_size)')
	t_check "[$SRV] ... fstat of both still works ($got)" test "$got" = 0
	exec 7<&- 8<&-
	got=$(ls -A "$s" | grep -c '^\.smbfs')
	t_check "[$SRV] ... and their last close deletes them ($got left)" test "$got" = 0
	# A rename over an open file that fails (its source gone on the
	# server behind our back, on a mount that still trusts the name) gives
	# the open file its name back: three round trips, the hidden name, the
	# failed rename, the name back.
	: >"$s/gone-src"
	echo keep >"$s/kept"
	mount -t smbfs "$src/smbfs-ns" /mnt/smbfs2 -o "$o,actimeo=60"
	stat /mnt/smbfs2/gone-src >/dev/null
	exec 7</mnt/smbfs2/kept
	rm "$s/gone-src"
	rt_snap_smbfs /mnt/smbfs2 >/tmp/rt.before
	t_check "[$SRV] a rename over an open file that fails: refused" sh -c "! mv /mnt/smbfs2/gone-src /mnt/smbfs2/kept 2>/dev/null"
	rt_snap_smbfs /mnt/smbfs2 >/tmp/rt.after
	got=$(rt_delta /tmp/rt.before /tmp/rt.after)
	t_check "[$SRV] ... the open file has its name back ($got)" \
		sh -c "test \"\$(cat '$s/kept')\" = keep && ! ls -A '$s' | grep -q '^\\.smbfs' && echo '$got' | grep -q 'round_trips=3 '"
	exec 7<&-
	umount /mnt/smbfs2
	rm -f "$s/kept"

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
	# With actimeo=0 nothing is trusted: each change on the server is seen
	# at once (a mount of its own: other options, another superblock).
	mount -t smbfs "$src/smbfs-ns" /mnt/smbfs2 -o "$o,actimeo=0"
	echo a >"$s/now"
	t_check "[$SRV] actimeo=0: before the server's changes: 'now' 2 bytes, no 'later'" \
		test "$(stat -c %s /mnt/smbfs2/now)" = 2 -a ! -e /mnt/smbfs2/later
	: >"$s/later"
	echo longer >"$s/now"
	t_check "[$SRV] actimeo=0: a new file and a new size are seen at once" \
		test -e /mnt/smbfs2/later -a "$(stat -c %s /mnt/smbfs2/now)" = 7
	rm "$s/now" "$s/later"
	t_check "[$SRV] actimeo=0: removed files are gone at once" test ! -e /mnt/smbfs2/now -a ! -e /mnt/smbfs2/later
	umount /mnt/smbfs2
	# A type change behind our back: the file id now names a directory.
	# The cached inode is stale (ESTALE inside), the walk looks again.
	: >"$s/morph"
	t_check "[$SRV] before the server's change: 'morph' is a file" test -f "$m/morph"
	rm "$s/morph"
	mkdir "$s/morph"
	sleep 1.2
	t_check "[$SRV] a file replaced by a directory on the server: a directory after actimeo" \
		test -d "$m/morph"
	# Both servers match names without case: another case of a
	# directory's name is the same directory, an alias of its inode
	# (d_splice_alias moves the dentry to the name last used).
	mkdir "$s/CaseDir"
	: >"$s/CaseDir/inner"
	t_check "[$SRV] a directory under another case of its name: the same inode" \
		test "$(stat -c %i "$m/CaseDir")" = "$(stat -c %i "$m/casedir")"
	t_check "[$SRV] ... listed through either name" \
		test "$(ls "$m/casedir"),$(ls "$m/CaseDir"),$(ls "$m/CASEDIR")" = inner,inner,inner

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

# Round trips: smbfs counts, per mount, the requests it sends per SMB2
# command and its round trips (/sys/kernel/debug/smbfs/<major:minor>/stats);
# cifs.ko counts its requests per command and share (/proc/fs/cifs/Stats).
# The same operations on both, against the same server, each measured as
# the difference of the counters around it, with the same cache times
# (actimeo=30, so that no entry expires during the run).
rt_snap_smbfs() { cat "/sys/kernel/debug/smbfs/$(mountpoint -d "$1")/stats"; }
rt_snap_cifs() {
	awk '/^SMBs:/ { s += $2 } / total .* failed/ { sub(":", "", $1); c[$1] += $2 }
		END { print "SMBs", s; for (k in c) print k, c[k] }' /proc/fs/cifs/Stats
}
# rt_delta BEFORE AFTER: "name=n ..." of the counters that moved.
rt_delta() {
	awk 'NR == FNR { a[$1] = $2; next } $2 != a[$1] { printf "%s%s=%d", sep, $1, $2 - a[$1]; sep = " " }' "$1" "$2"
}
# rt_ops KIND MNT: runs the operations on MNT, one "op: deltas" line each.
rt_ops() {
	local kind=$1 m=$2 op
	stat "$m/rt" "$m/rt/big" >/dev/null
	for op in "stat:stat $m/rt/one" "ls-l:ls -l $m/rt/big" "create:touch $m/rt/new" \
		"mkdir:mkdir $m/rt/newdir" "rename:mv $m/rt/new $m/rt/renamed" \
		"unlink:rm $m/rt/renamed" "rmdir:rmdir $m/rt/newdir"; do
		"rt_snap_$kind" "$m" >/tmp/rt.before
		sh -c "${op#*:}" >/dev/null || echo "${op%%:*}: failed"
		"rt_snap_$kind" "$m" >/tmp/rt.after
		echo "${op%%:*}: $(rt_delta /tmp/rt.before /tmp/rt.after)"
	done
}
smbfs_roundtrips() {
	local m=$SMBFS_MNT s="$SRV_DIR/rt" src="//127.0.0.1/$SMB_SHARE"
	local o="username=$SMB_USER,password=$SMB_PASS,port=$SRV_PORT,actimeo=30"
	local ours theirs op n
	rm -rf "$s"
	mkdir -p "$s/big" "$m" /mnt/cifs
	: >"$s/one"
	(cd "$s/big" && seq -f 'file-%04g' 1 1000 | xargs touch)
	t_check "[$SRV] round trips: mount smbfs" mount -t smbfs "$src" "$m" -o "$o" || return
	t_check "[$SRV] ... its counters are in debugfs ($(mountpoint -d "$m"))" \
		test -r "/sys/kernel/debug/smbfs/$(mountpoint -d "$m")/stats"
	ours=$(rt_ops smbfs "$m")
	umount "$m"
	theirs=
	if modprobe cifs && mount -t cifs "$src" /mnt/cifs -o "$o,vers=3.1.1"; then
		theirs=$(rt_ops cifs /mnt/cifs)
		umount /mnt/cifs
	fi
	rm -rf "$s"
	{
		echo "[$SRV] round trips of smbfs, and cifs.ko's requests, per operation:"
		echo "$ours" | while read -r op n; do
			printf '  %-8s smbfs: %s\n  %-8s cifs.ko: %s\n' "$op" "$n" "" \
				"$(echo "$theirs" | awk -v op="$op" '$1 == op { $1 = ""; print substr($0, 2) }')"
		done
	} | tee "/results/roundtrips-$SRV.txt"
	# What each costs smbfs: the round trips it may take, at most.
	for op in stat:1 ls-l:3 create:2 mkdir:1 rename:1 unlink:1 rmdir:1; do
		n=$(echo "$ours" | awk -v op="${op%%:*}:" '$1 == op { for (i = 2; i <= NF; i++) if ($i ~ /^round_trips=/) print substr($i, 13) }')
		t_check "[$SRV] ${op%%:*}: ${n:-no} round trips (at most ${op#*:}): $(echo "$ours" | grep "^${op%%:*}:" | cut -d' ' -f2-)" \
			test "${n:-99}" -le "${op#*:}"
	done
	t_check "[$SRV] cifs.ko ran the same operations" test -n "$theirs"
	rmmod cifs 2>/dev/null
	true
}

# A dead server (the relay of clnt-tests.sh in front of it, stopped with
# SIGSTOP: connections stay up, nothing answers). On a hard mount a call
# waits (killably: SIGKILL ends it at once), and umount -f (umount_begin)
# fails what still waits with EIO and unmounts without waiting for the
# server (no TREE_DISCONNECT, no LOGOFF).
pstate() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null; }
gone_within() { # gone_within PID TENTHS: the process ended within TENTHS/10 s
	local i
	for i in $(seq "$2"); do
		[ -e "/proc/$1" ] || return 0
		sleep 0.1
	done
	! [ -e "/proc/$1" ]
}
smbfs_dead_server() {
	local m=$SMBFS_MNT a b t0 n
	mkdir -p "$m"
	proxy_start
	if ! mount -t smbfs "//127.0.0.1/$SMB_SHARE" "$m" \
		-o "username=$SMB_USER,password=$SMB_PASS,port=$PPORT,hard,actimeo=0"; then
		t_fail "[$SRV] dead server: a hard mount through a relay"
		proxy_stop
		return
	fi
	t_ok "[$SRV] dead server: a hard mount through a relay"
	ls "$m" >/dev/null
	kill -STOP "$PROXY"
	stat "$m/a" >/dev/null 2>&1 &
	a=$!
	sleep 2
	t_check "[$SRV] ... a stat waits for the silent server (state $(pstate $a))" test "$(pstate $a)" = D
	kill -9 $a
	t_check "[$SRV] ... SIGKILL ends it within a second" gone_within $a 10
	wait $a 2>/dev/null
	stat "$m/b" >/dev/null 2>/tmp/dead.err &
	b=$!
	sleep 2
	t0=$(date +%s%N)
	umount -f "$m" 2>/dev/null || umount -f "$m"
	n=$((($(date +%s%N) - t0) / 1000000))
	t_check "[$SRV] ... umount -f: the waiting stat fails with EIO ($(cat /tmp/dead.err))" \
		sh -c "grep -q 'Input/output error' /tmp/dead.err"
	t_check "[$SRV] ... and the mount is gone within 5 s ($n ms)" \
		sh -c "test $n -le 5000 && ! grep -q ' $m ' /proc/mounts"
	gone_within $b 50
	kill -CONT "$PROXY"
	proxy_stop
}

# A hostile server's names: smbproxy.py's hostile-names mode renames, in
# each QUERY_DIRECTORY reply, the entries hostile-{empty,dot,dotdot,slash,
# nul} to "", ".", "..", "a/b" and "a<NUL>b". They never reach the dcache:
# the listing leaves them out (the server's own . and .. silently; the
# others with a warning naming the server and directory, at most one per
# mount every 5 s), and lists the rest. The session must not sign: a
# signed one rejects the changed replies ("bad signature", EIO), as it
# does with samba.sh's "server signing = mandatory", so this runs against
# ksmbd only.
smbfs_hostile_names() {
	local m=$SMBFS_MNT s="$SRV_DIR/hostile" got n0 n
	rm -rf "$s"
	mkdir -p "$s" "$m"
	(cd "$s" && touch hostile-empty hostile-dot hostile-dotdot hostile-slash hostile-nul plain)
	proxy_start
	proxy hostile-names
	if ! mount -t smbfs "//127.0.0.1/$SMB_SHARE" "$m" \
		-o "username=$SMB_USER,password=$SMB_PASS,port=$PPORT"; then
		t_fail "[$SRV] hostile names: a mount through the relay"
		proxy_stop
		return
	fi
	n0=$(dmesg | grep -c 'cannot be a Linux name')
	got=$(ls -a "$m/hostile" | tr '\n' ' ')
	t_check "[$SRV] hostile names: only the good entries are listed ($got)" test "$got" = ". .. plain "
	t_check "[$SRV] ... the relay renamed the five ($(grep -o 'renamed [0-9]*' $PLOG | tr '\n' ' '))" \
		sh -c "grep -o 'renamed [0-9]*' $PLOG | awk '{ n += \$2 } END { exit n < 5 }'"
	n=$(($(dmesg | grep -c 'cannot be a Linux name') - n0))
	t_check "[$SRV] ... one warning for the three bad names ($n), naming the server and directory" \
		sh -c "test $n = 1 && dmesg | grep -q '//127.0.0.1/$SMB_SHARE: a name the server listed in /hostile cannot be a Linux name'"
	got=$(ls -a "$m/hostile" | tr '\n' ' ')
	t_check "[$SRV] ... listed again: the same, nothing added to the dcache ($got)" test "$got" = ". .. plain "
	t_check "[$SRV] ... the good entry is the server's file" test "$(stat -c %i "$m/hostile/plain")" = "$(stat -c %i "$s/plain")"
	umount "$m"
	proxy_stop
	rm -rf "$s"
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
