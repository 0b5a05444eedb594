# SPDX-License-Identifier: GPL-2.0
#
# smbclient's tests through smbclient_test.ko (a C consumer of <smb/clnt.h>
# driven over debugfs), against one server: sourced by modules.sh (ksmbd)
# and samba.sh (Samba), which pick the server with clnt_server and call the
# clnt_* functions. Where the two servers answer differently, each check
# asserts its own server's answer (`pick`); Documentation/smbclient.rst
# lists the differences.
#
# The server under test:
#   SRV       ksmbd or samba
#   SRV_PORT  its TCP port; SRV_DIR the directory of its share $SMB_SHARE
#   srv_down, srv_up           stop it (connections drop), start it again
#   srv_config default|signing|encryption   restart it with that setting
#                              ("server signing = mandatory", "smb3
#                              encryption = mandatory" (ksmbd only))

C=/sys/kernel/debug/smbclient_test

# clnt_server ksmbd|samba: the server the clnt_* functions test.
clnt_server() {
	SRV=$1
	case "$1" in
	ksmbd) SRV_PORT=445 SRV_DIR=$SMB_SHARE_DIR ;;
	samba) SRV_PORT=$SAMBA_PORT SRV_DIR=$SAMBA_SHARE_DIR ;;
	*) echo "clnt_server: unknown server $1" >&2; return 1 ;;
	esac
	UNC='\\127.0.0.1\'"$SMB_SHARE"
	ADDR="127.0.0.1 $SRV_PORT"
}
srv_down() { "${SRV}_down"; }
srv_up() { "${SRV}_up"; }
srv_config() {
	case "$SRV" in
	ksmbd)
		sed -i '/server signing = mandatory/d; /smb3 encryption = mandatory/d' /etc/ksmbd/ksmbd.conf
		case "$1" in
		signing) sed -i 's/^\(\s*\)\[global\]$/&\n    server signing = mandatory/' /etc/ksmbd/ksmbd.conf ;;
		encryption) sed -i 's/^\(\s*\)\[global\]$/&\n    smb3 encryption = mandatory/' /etc/ksmbd/ksmbd.conf ;;
		esac
		ksmbd_down && ksmbd_up
		;;
	samba)
		samba_restart "$([ "$1" = signing ] && echo signing)"
		;;
	esac
}
# pick KSMBD SAMBA: the answer of the server under test.
pick() {
	if [ "$SRV" = samba ]; then echo "$2"; else echo "$1"; fi
}

clnt() { # clnt FILE ARGS: write, print the errno text on failure
	local f=$1
	shift
	if ! printf '%s' "$*" >"$C/$f" 2>/tmp/clnt.err; then
		sed 's/.*error: //' /tmp/clnt.err
		return 1
	fi
}
info_field() { # info_field SLOT NAME
	awk -v s="$1" -v n="$2" '$1 == s { for (i = 2; i < NF; i++) if ($i == n) print $(i + 1) }' $C/info
}
# xprt_field NAME: the value after NAME in the debugfs info of the
# transport to the server under test that has users.
xprt_field() {
	local f
	for f in /sys/kernel/debug/smbxprt/*/info; do
		grep -qx "server 127.0.0.1:$SRV_PORT" "$f" && ! grep -qx 'users 0' "$f" || continue
		awk -v n="$1" '{ for (i = 1; i < NF; i++) if ($i == n) print $(i + 1) }' "$f"
	done | head -n1
}
pattern_sha() { # pattern_sha SIZE: SHA-256 of smbclient_test's put pattern
	python3 -c 'import hashlib,sys
n = int(sys.argv[1])
print(hashlib.sha256(bytes(((i * 7 + i // 251) & 0xff) for i in range(n))).hexdigest())' "$1"
}

# NTLMSSP sessions and tree connects on each dialect, refusals, and two
# handles sharing a session.
clnt_sessions() {
	local dl err
	for dl in 210 300 302 311; do
		if clnt create "$ADDR $UNC $SMB_USER $SMB_PASS $dl $dl" >/dev/null; then
			echo "    $(cat $C/info)"
			t_check "SMB $dl: session and tree connect with the right password (dialect $(info_field 0 dialect), tree $(info_field 0 tree))" \
				test "$(info_field 0 dialect)" = "0x$dl" -a "$(info_field 0 tree)" -gt 0 -a "$(info_field 0 guest)" = 0
			t_check "SMB $dl: ECHO on the session" clnt echo "0 3"
			clnt release all
		else
			t_fail "SMB $dl: session and tree connect with the right password ($(cat /tmp/clnt.err))"
			[ "$SRV" = samba ] && samba_log_tail 15
		fi
	done
	err=$(clnt create "$ADDR $UNC $SMB_USER wrong-password 210 311")
	t_check "a wrong password is refused with EACCES (${err:-accepted})" sh -c "echo '$err' | grep -q 'Permission denied'"
	err=$(clnt create "$ADDR $UNC nosuchuser $SMB_PASS 210 311")
	t_check "an unknown user is refused with EACCES (${err:-accepted})" sh -c "echo '$err' | grep -q 'Permission denied'"
	err=$(clnt create "$ADDR \\\\127.0.0.1\\nosuchshare $SMB_USER $SMB_PASS 300 300")
	t_check "SMB 300: a share that does not exist gives ENOENT (${err:-accepted})" sh -c "echo '$err' | grep -q 'No such file'"
	# On 3.1.1 the TREE_CONNECT is signed, and so must its reply be. ksmbd
	# (7.3) answers a failed one with a frame it signs wrongly (the
	# response pinned twice: the TREE_CONNECT body, then an ERROR PDU
	# whose signature it leaves zero), so the client cannot trust its
	# status and says EIO; Samba's reply verifies (Documentation/
	# smbclient.rst lists the difference).
	err=$(clnt create "$ADDR \\\\127.0.0.1\\nosuchshare $SMB_USER $SMB_PASS 311 311")
	t_check "SMB 311: a share that does not exist gives $(pick "EIO (ksmbd's reply does not verify)" ENOENT) (${err:-accepted})" \
		sh -c "echo '$err' | grep -q '$(pick 'Input/output error' 'No such file')'"
	t_check "no handle was left by the failures" test -z "$(cat $C/info)"
	t_check "two handles with the same credentials" sh -c "printf '%s' '$ADDR $UNC $SMB_USER $SMB_PASS 210 311' >$C/create && printf '%s' '$ADDR $UNC $SMB_USER $SMB_PASS 210 311' >$C/create"
	t_check "... share one session ($(info_field 0 session), $(info_field 1 session))" \
		test -n "$(info_field 0 session)" -a "$(info_field 0 session)" = "$(info_field 1 session)"
	clnt release all
}

# Signed sessions (SMB_CLNT_SIGN): both servers check every signed request,
# so an ECHO that succeeds proves the keys (3.0's labels, 3.1.1's preauth
# hash) and the algorithm (HMAC-SHA256 for 2.1, AES-CMAC for 3.0 and 3.0.2,
# on 3.1.1 the one SMB2_SIGNING_CAPABILITIES settled).
clnt_signing() {
	local dl alg
	for dl in 210 300 302 311; do
		if clnt create "$ADDR $UNC $SMB_USER $SMB_PASS $dl $dl 1" >/dev/null; then
			t_check "SMB $dl: a signed session signs its requests (signing $(info_field 0 signing)), and $SRV accepts them (ECHO)" \
				sh -c "test '$(info_field 0 signing)' = 1 && printf '0 3' >$C/echo"
			if [ $dl = 311 ]; then
				# SMB2_SIGNING_CAPABILITIES: ksmbd offers AES-CMAC only
				# (1), Samba prefers AES-GMAC (2).
				alg=$(xprt_field signing)
				t_check "SMB 311: the signing algorithm negotiated is $(pick "AES-CMAC (0x1)" "AES-GMAC (0x2)") (the transport's: $alg)" \
					test "$alg" = $(pick 0x1 0x2)
				t_check "SMB 311: ... and requests signed with it are accepted (a signed write of 65536 bytes, the server's file has them)" \
					sh -c "printf '0 signed.bin 65536' >$C/put && test \"\$(sha256sum <$SRV_DIR/signed.bin | cut -d' ' -f1)\" = $(pattern_sha 65536)"
			fi
			clnt release all
		else
			t_fail "SMB $dl: a signed session and tree connect ($(cat /tmp/clnt.err))"
		fi
	done
}

# Writes through smb_clnt_write(), checked on the server's disk; on a plain
# and on a signed session (whose payload is signed too).
clnt_writes() {
	local sign size
	for sign in 0 1; do
		size=$((1048576 + 12345))
		if clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 210 311 $sign" >/dev/null; then
			t_check "write $size bytes (signing $sign) through smb_clnt_write" clnt put "0 put$sign.bin $size"
			t_check "... the server's file has exactly those bytes" \
				test "$(sha256sum <"$SRV_DIR/put$sign.bin" | cut -d' ' -f1)" = "$(pattern_sha $size)"
			clnt release all
		else
			t_fail "a session for writing (signing $sign): $(cat /tmp/clnt.err)"
		fi
	done
}

# Allocation failures injected (failslab at 5%, then fail_page_alloc at
# 100%, through their task filter) into the work item that starts 32
# asynchronous 1 MiB WRITEs under NOFS: each start succeeds or fails with
# ENOMEM, each I/O that started completes (with success or ENOMEM), none
# hangs, and the handle works afterwards; the kmemleak scan at the end of
# the stage finds nothing left behind. The starts allocate from slab
# caches but for a sealed WRITE's bounce buffer (pages, on every send,
# few enough that 5% fails none): fail_page_alloc, at 100% for the first
# 40 page allocations, is aimed at a sealed handle, whose sends then
# borrow the transport's reserve; and
# smbxprt's own fault point (fail_smbxprt_bounce), at 100%, refuses every
# bounce buffer, so that all the WRITEs go through the reserve.
seal_reserve_uses() { # the sum over the transports
	cat /sys/kernel/debug/smbxprt/*/stats 2>/dev/null |
		awk '$1 == "seal_reserve_uses" { n += $2 } END { print n + 0 }'
}
clnt_faultinj() {
	local f d r k c sf sfe e o slot pct ru0 ru1 what
	if [ ! -d /sys/kernel/debug/failslab ] || [ ! -d /sys/kernel/debug/fail_page_alloc ] ||
		[ ! -d /sys/kernel/debug/fail_smbxprt_bounce ]; then
		t_fail "fault injection: the kernel has no failslab, fail_page_alloc or smbxprt's fail_smbxprt_bounce"
		return
	fi
	if ! clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 210 311" >/dev/null ||
		! clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 311 311 2" >/dev/null; then
		t_fail "fault injection: a plain and a sealed handle ($(cat /tmp/clnt.err))"
		clnt release all
		return
	fi
	for f in failslab fail_page_alloc fail_smbxprt_bounce; do
		d=/sys/kernel/debug/$f
		slot=0 pct=5
		echo Y >$d/task-filter
		echo N >$d/ignore-gfp-wait 2>/dev/null
		case $f in
		fail_page_alloc)
			echo N >$d/ignore-gfp-highmem
			echo 0 >$d/min-order
			slot=1 pct=${FI_PAGE_PCT:-100} ;;
		fail_smbxprt_bounce)
			slot=1 pct=100 ;;
		esac
		echo 0 >$d/verbose
		echo 1 >$d/interval
		echo -1 >$d/times
		# A sending task whose every page allocation fails has TCP
		# retry forever in tcp_sendmsg (sk_stream_wait_memory): memory
		# is short for a while here, for the first 40 page allocations.
		[ $f = fail_page_alloc ] && echo "${FI_PAGE_TIMES:-40}" >$d/times
		echo $pct >$d/probability
		ru0=$(seal_reserve_uses)
		clnt aio "$slot faultinj.bin 32 1048576 write 32 1"
		r=$(cat $C/result)
		echo 0 >$d/probability
		ru1=$(seal_reserve_uses)
		k=$(echo "$r" | awk '{ print $4 }')
		c=$(echo "$r" | awk '{ print $6 }')
		sfe=$(echo "$r" | awk '{ print $18 }')
		sf=$(echo "$r" | awk '{ print $20 }')
		e=$(echo "$r" | awk '{ print $22 }')
		o=$(echo "$r" | awk '{ print $24 }')
		what="$f at $pct% in the starts of 32 async 1 MiB WRITEs (NOFS$([ $slot = 1 ] && echo ', sealed'))"
		case $f in
		failslab)
			t_check "$what: each start succeeded or failed with ENOMEM, each started one completed, with success or ENOMEM ($r)" \
				test "$((c + sf))" = 32 -a "$((k + e))" = "$c" -a "$o" = 0 -a \( "$sfe" = 0 -o "$sfe" = -12 \)
			t_check "... allocations did fail ($sf starts, $e I/Os)" test "$((sf + e))" -gt 0 ;;
		fail_page_alloc)
			# No page for the bounce buffer: the send borrows the
			# reserve; the socket may find no page either (TCP
			# allocates in the sender's context too): a WRITE whose
			# frame broke on the way fails (EIO), the others wait for
			# the reconnect.
			what="$f at $pct% (the first ${FI_PAGE_TIMES:-40} page allocations) in the starts of 32 async 1 MiB WRITEs (NOFS, sealed)"
			t_check "$what: each start succeeded or failed with ENOMEM, each started one completed, none hung ($r)" \
				test "$((c + sf))" = 32 -a "$((k + e + o))" = "$c" -a \( "$sfe" = 0 -o "$sfe" = -12 \)
			t_check "... the first sealed send found no pages for its bounce buffer and borrowed the transport's reserve (seal_reserve_uses $ru0 -> $ru1)" \
				test "$ru1" -gt "$ru0" ;;
		fail_smbxprt_bounce)
			# smbxprt's own fault point: every bounce buffer the
			# starts ask for is refused, and the reserve carries them.
			t_check "$what: every bounce buffer refused, all 32 WRITEs succeeded through the transport's reserve ($r)" \
				test "$k" = 32
			t_check "... which they borrowed (seal_reserve_uses $ru0 -> $ru1)" test "$ru1" -gt "$ru0" ;;
		esac
		t_check "... and the handle works afterwards" clnt echo "$slot 3"
	done
	clnt release all
	rm -f "$SRV_DIR/faultinj.bin"
}

# A 10,000-entry directory read to its end through smb_clnt_query_dir
# (FileIdFullDirectoryInformation, resumable on the open) in 64 KiB and in
# 1 MiB batches: exactly the names, FileIds and sizes of the server's file
# system. $1: what FileIds are: "inode" (ksmbd and Samba both number files
# by their inode).
clnt_dir() {
	local want got r size t0
	rm -rf "$SRV_DIR/big"
	mkdir -p "$SRV_DIR/big"
	python3 - "$SRV_DIR/big" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(10000):
    with open(os.path.join(d, "f%05d" % i), "wb") as f:
        f.truncate(i * 37 % 100000)
PY
	want=$(find "$SRV_DIR/big" -mindepth 1 -printf '%f %i %s\n' | sort)
	# Samba under TCG takes about 30 s to fill a 1 MiB batch (a stat and
	# more per entry), the default request timer: a 120 s one here.
	if ! clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 210 311 0 120000 1" >/dev/null; then
		t_fail "lsdir: a handle ($(cat /tmp/clnt.err))"
		return
	fi
	for size in 65536 1048576; do
		t0=$(date +%s%N)
		if clnt lsdir "0 big $size"; then
			r=$(cat $C/result)
			got=$(sort $C/listing)
			t_check "a 10,000-entry directory read in $((size / 1024)) KiB batches in $((($(date +%s%N) - t0) / 1000000)) ms ($r)" \
				test "$(printf '%s\n' "$got" | wc -l)" = 10000
			t_check "... exactly the server's names, FileIds (inodes) and sizes" test "$got" = "$want"
			[ "$got" = "$want" ] || diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | head -5
		else
			t_fail "a 10,000-entry directory in $((size / 1024)) KiB batches ($(cat /tmp/clnt.err))"
		fi
	done
	clnt release all
	rm -rf "$SRV_DIR/big"
}

# Typed operations (struct smb_req), alone and compounded, each request
# started with smb_req_async() from a work item under a NOFS scope, the
# compounds chaining the CREATE's FileId (SMB_FID_RELATED).
clnt_req() {
	local r n
	if ! clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 210 311" >/dev/null; then
		t_fail "req: a handle ($(cat /tmp/clnt.err))"
		return
	fi
	head -c 100000 /dev/urandom >"$SRV_DIR/req.bin"
	if clnt reqstat "0 req.bin"; then
		r=$(cat $C/result)
		t_check "CREATE (MxAc, QFid) + QUERY_INFO + CLOSE (POSTQUERY_ATTRIB), one async compound: all succeed, the CREATE, the QUERY_INFO and the CLOSE each give the file's 100000 bytes, MxAc and QFid answered, done on smbiod ($r)" \
			sh -c "echo '$r' | grep -q '^errors 0 0 0 action 1 eof 100000 qeof 100000 ceof 100000 attrs 1 mxac 0x[1-9a-f][0-9a-f]* qfid 1 on_smbiod 1$'"
	else
		t_fail "CREATE + QUERY_INFO + CLOSE ($(cat /tmp/clnt.err))"
	fi
	if clnt reqtrunc "0 req.bin 12345"; then
		r=$(cat $C/result)
		t_check "CREATE + SET_INFO (end of file 12345) + CLOSE (POSTQUERY_ATTRIB), one async compound: all succeed, the CLOSE reports 12345 ($r)" \
			sh -c "echo '$r' | grep -q '^errors 0 0 0 ceof 12345$'"
		t_check "... and the server's file is 12345 bytes" test "$(stat -c %s "$SRV_DIR/req.bin")" = 12345
	else
		t_fail "CREATE + SET_INFO + CLOSE ($(cat /tmp/clnt.err))"
	fi
	if clnt reqmisc "0 req.bin"; then
		r=$(cat $C/result)
		t_check "async CREATE, FLUSH, LOCK (a second open's refused: EAGAIN), IOCTL FSCTL_QUERY_ALLOCATED_RANGES (data from 0), unlock, CLOSE (POSTQUERY_ATTRIB: 12345 bytes), each its own request ($r)" \
			sh -c "echo '$r' | grep -q '^create 0 flush 0 lock 0 conflict -11 ioctl 0 ranges [1-9][0-9]* first 0 unlock 0 close 0 close2 0 attrs 1 eof 12345 on_smbiod [1-6] of 6$'"
	else
		t_fail "async single operations ($(cat /tmp/clnt.err))"
	fi
	rm -rf "$SRV_DIR/reqdir"
	mkdir -p "$SRV_DIR/reqdir"
	(cd "$SRV_DIR/reqdir" && for n in $(seq -w 3000); do : >"f$n"; done)
	if clnt reqdir "0 reqdir"; then
		r=$(cat $C/result)
		t_check "CREATE + QUERY_DIRECTORY + QUERY_DIRECTORY (64 KiB each), one async compound, then a batch per request on its FileId: 3,000 files and . and .. ($r)" \
			sh -c "echo '$r' | grep -q '^errors 0 0 0 batches [2-9][0-9]* entries 3002 close 0 last 0$'"
	else
		t_fail "CREATE + QUERY_DIRECTORY x2 ($(cat /tmp/clnt.err))"
	fi
	r=$(clnt reqstat "0 nosuch.bin"; cat $C/result)
	t_check "... on a missing file the compound's CREATE fails with ENOENT and the rest do not run ($r)" \
		sh -c "echo '$r' | grep -q '^errors -2 -[0-9]* -[0-9]* '"
	rm -rf "$SRV_DIR/reqdir" "$SRV_DIR/req.bin"
	clnt release all
}

# Asynchronous READs and WRITEs (smb_read_async, smb_write_async) as netfs
# issues them: 64 of 4 MiB in flight, started from a work item under a NOFS
# scope, from and into folio queues, at 16 offsets of a 64 MiB file (each
# offset written by four WRITEs of the same data); and smb_task_cancel() of
# a blocking LOCK the server holds.
clnt_aio() {
	local r want have
	if ! clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 210 311" >/dev/null; then
		t_fail "aio: a handle ($(cat /tmp/clnt.err))"
		return
	fi
	rm -f "$SRV_DIR/aio.bin"
	if clnt aio "0 aio.bin 64 4194304 write 16"; then
		r=$(cat $C/result)
		t_check "64 async 4 MiB WRITEs, started from a work item under NOFS, from folio queues, all complete ($r)" \
			sh -c "echo '$r' | grep -q '^ios 64 ok 64 callbacks 64 '"
		# The module hashes the data of the first 16 (the file) in order.
		want=$(echo "$r" | awk '{ print $NF }')
		have=$(sha256sum <"$SRV_DIR/aio.bin" | cut -d' ' -f1)
		t_check "... the server's file holds what they wrote ($(stat -c %s "$SRV_DIR/aio.bin") bytes, sha256 $have)" \
			test "$(stat -c %s "$SRV_DIR/aio.bin")" = 67108864 -a "$have" = "$want"
	else
		t_fail "64 async 4 MiB WRITEs ($(cat /tmp/clnt.err))"
	fi
	if clnt aio "0 aio.bin 64 4194304 read 16"; then
		r=$(cat $C/result)
		t_check "64 async 4 MiB READs, started from a work item under NOFS, into folio queues, all complete with the server's data ($r)" \
			sh -c "echo '$r' | grep -q '^ios 64 ok 64 callbacks 64 .* pattern_ok 64 '"
	else
		t_fail "64 async 4 MiB READs ($(cat /tmp/clnt.err))"
	fi
	# A reservation of credits for 1 GiB, far more than the server
	# grants: sized down to what the window holds, and the 4 MiB READs
	# it covers, each drawing on it, all complete.
	local asked covered reads ok left
	if clnt areserve "0 aio.bin 1073741824 4194304"; then
		r=$(cat $C/result)
		read -r _ asked _ covered _ reads _ ok _ left <<<"$r"
		t_check "smb_clnt_reserve() of credits for 1 GiB: sized down to what the server granted, and the READs it covers complete ($r)" \
			sh -c "test $covered -gt 0 -a $covered -lt $asked -a $reads -ge 1 -a $ok = $reads -a $left = \$(($covered - $reads * 4194304))"
	else
		t_fail "smb_clnt_reserve() of credits for 1 GiB ($(cat /tmp/clnt.err))"
	fi
	if clnt acancel "0 acancel.bin"; then
		r=$(cat $C/result)
		t_check "smb_task_cancel() of a blocking LOCK the server holds: the task completes with ECANCELED within 2 s ($r)" \
			sh -c "echo '$r' | grep -q '^cancel 0 done -125 ' && test \$(echo '$r' | awk '{ print \$6 }') -lt 2000"
		t_check "... and the server dropped it: the holder unlocks and locks again ($r)" \
			sh -c "echo '$r' | grep -q 'unlock 0 relock 0$'"
	else
		t_fail "smb_task_cancel() of a blocking LOCK ($(cat /tmp/clnt.err))"
	fi
	clnt release all
	rm -f "$SRV_DIR/aio.bin" "$SRV_DIR/acancel.bin"
}

# Attributes, rename, delete, a directory of 1,000 entries, locks, an
# oplock break, a compound and 32 asynchronous reads (needs put0.bin and
# put1.bin from clnt_writes).
clnt_ops() {
	local want err bytes
	if ! clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 210 311" >/dev/null; then
		t_fail "a session for file operations: $(cat /tmp/clnt.err)"
		return
	fi
	t_check "getattr of put0.bin" clnt stat "0 put0.bin"
	t_check "... reports its size and that it is a file ($(cat $C/result))" \
		sh -c "grep -q '^size 1060921 .* dir 0 ' $C/result"
	want=$(sha256sum <"$SRV_DIR/put0.bin" | cut -d' ' -f1)
	t_check "rename put0.bin to moved.bin" clnt mv "0 put0.bin moved.bin"
	t_check "... the server's file moved, bytes intact" \
		sh -c "test ! -e $SRV_DIR/put0.bin && test \"\$(sha256sum <$SRV_DIR/moved.bin | cut -d' ' -f1)\" = $want"
	err=$(clnt mv "0 put1.bin moved.bin")
	t_check "renaming onto an existing name without replace gives EEXIST (${err:-accepted})" \
		sh -c "echo '$err' | grep -q 'File exists'"
	t_check "delete moved.bin" clnt rm "0 moved.bin"
	t_check "... it is gone from the server" test ! -e "$SRV_DIR/moved.bin"
	err=$(clnt stat "0 moved.bin")
	t_check "... and getattr of it gives ENOENT (${err:-found})" sh -c "echo '$err' | grep -q 'No such file'"
	mkdir -p "$SRV_DIR/dir1000/subdir"
	python3 -c 'import sys
for i in range(999):
    open("%s/file-%04d.txt" % (sys.argv[1], i), "w").write("x" * (i % 17))' "$SRV_DIR/dir1000"
	bytes=$(python3 -c 'print(sum(i % 17 for i in range(999)))')
	t_check "list a directory of 1,000 entries (999 files, 1 directory)" clnt ls "0 dir1000"
	t_check "... every entry came back, with its size ($(cat $C/result))" \
		sh -c "grep -q '^entries 1002 dirs 3 bytes $bytes$' $C/result"
	# Byte-range locks between two opens, FLUSH, SET_INFO and QUERY_INFO.
	cp "$SRV_DIR/put1.bin" "$SRV_DIR/locks.bin"
	t_check "locks, flush, set_info and query_info on two opens of locks.bin" clnt locks "0 locks.bin"
	t_check "... a lock, the other open's conflicting one refused (EAGAIN), granted after unlock; unlocking an unlocked range ENOLCK; flush; the end of file set to 12345 and read back; a 4-byte buffer refused by $SRV (INFO_LENGTH_MISMATCH, EINVAL) ($(cat $C/result))" \
		grep -q '^lock 0 conflict -11 unlock 0 after 0 stray_unlock -37 flush 0 truncate 0 eof 12345 small -22$' $C/result
	t_check "... the server's file is 12345 bytes now" test "$(stat -c %s "$SRV_DIR/locks.bin")" = 12345
	# An oplock break: the batch oplock of one open is broken by a second
	# open; the watch's callback gets it (on smbclient's workqueue) and
	# acknowledges it, and the second open goes through.
	t_check "a batch oplock, broken by a second open" clnt oplock "0 locks.bin"
	t_check "... granted (9), the watch's callback got exactly one break, its acknowledgement succeeded, and so did the second open ($(cat $C/result))" \
		grep -q "^granted 9 breaks 1 to [01] ack 0 second 0$" $C/result
	# The same with nobody watching: smbclient acknowledges the break by
	# itself, and the second open does not wait for the server's break
	# timeout (35 s on Samba).
	local acks0 acks1 timer
	acks0=$(awk '$1 == "default_acks" { print $2 }' /sys/kernel/debug/smbclient/stats)
	t_check "a batch oplock nobody watches, broken by a second open" clnt unwatched "0 locks.bin"
	acks1=$(awk '$1 == "default_acks" { print $2 }' /sys/kernel/debug/smbclient/stats)
	timer=$(xprt_field timer)
	t_check "... smbclient acknowledged it (default_acks $acks0 -> $acks1), and the second open took less than one request timer ($(cat $C/result), timer $timer ms)" \
		sh -c "grep -q '^granted 9 second 0 ms ' $C/result && test $acks1 -eq \$(($acks0 + 1)) && test \$(awk '{ print \$6 }' $C/result) -lt $timer"
	# Five operations in one frame: CREATE + WRITE + FLUSH + READ + CLOSE,
	# the last four on the FileId the first opened.
	t_check "a five-operation compound: CREATE + WRITE + FLUSH + READ + CLOSE" clnt compound5 "0 compound5.bin"
	t_check "... all five succeeded, the READ returned what the WRITE wrote ($(cat $C/result))" \
		grep -q '^statuses 0x0 0x0 0x0 0x0 0x0 written 4096 read 4096 same 1$' $C/result
	t_check "... and the server's file is those 4 KiB" test "$(stat -c %s "$SRV_DIR/compound5.bin")" = 4096
	rm -f "$SRV_DIR/compound5.bin"
	# A compound: CREATE + READ + CLOSE in one frame (smb_call_sync).
	t_check "a CREATE + READ + CLOSE compound on put1.bin" clnt cat "0 put1.bin"
	want=$(head -c 65536 "$SRV_DIR/put1.bin" | sha256sum | cut -d" " -f1)
	t_check "... all three succeeded and READ returned the file's first 64 KiB ($(cat $C/result))" \
		sh -c "grep -q '^statuses 0x0 0x0 0x0 read 65536 sha256 $want$' $C/result"
	# 32 asynchronous 1 MiB READs in parallel, each into its own buffer.
	dd if=/dev/urandom of="$SRV_DIR/big.bin" bs=1M count=32 status=none
	want=$(sha256sum <"$SRV_DIR/big.bin" | cut -d' ' -f1)
	t_check "32 parallel asynchronous 1 MiB READs (smb_run_task)" clnt aread "0 big.bin 32 1048576"
	t_check "... all completed, their done callbacks ran on smbiod, the bytes are the file's ($(cut -c1-72 $C/result))" \
		sh -c "grep -q '^tasks 32 ok 32 callbacks 32 on_smbiod 32 bytes 33554432 sha256 $want$' $C/result"
	rm -f "$SRV_DIR/big.bin"
	clnt cat "0 nosuch.bin" 2>/dev/null
	t_check "... on a missing file the CREATE fails and the rest does not run ($(cat $C/result))" \
		sh -c "grep -q '^statuses 0xc0000034 0x' $C/result"
	clnt release all
}

# A re-authentication in progress parks an asynchronous request, and the
# re-authentication resumes it when it is over (no worker waits for it):
# the server restarts; through the proxy, which holds the new session's
# last SESSION_SETUP reply 3 s, the transport reconnects and smbclient sets
# the session up again; a CREATE + QUERY_INFO + CLOSE compound started
# (smb_req_async, from a work item) meanwhile finds the session being set
# up, parks, and completes once it is. (Proxy running; clnt-faults.sh's
# arm.)
clnt_park() {
	local p0 p1 r size n0 t0
	head -c 54321 /dev/urandom >"$SRV_DIR/park.bin"
	size=$(stat -c %s "$SRV_DIR/park.bin")
	proxy pass
	if ! clnt create "127.0.0.1 $PPORT $UNC $SMB_USER $SMB_PASS 311 311 0 5000 2" >/dev/null; then
		t_fail "park: a hard handle through the proxy ($(cat /tmp/clnt.err))"
		return
	fi
	p0=$(cstat parked)
	n0=$(grep -c '^c2s conn=[0-9]* plain 1$' $PLOG)
	arm "delay-setup 3000"
	srv_down
	srv_up
	# The new connection's two SESSION_SETUP requests are out: the reply
	# to the second is held from now on.
	for _ in $(seq 300); do
		[ "$(grep -c '^c2s conn=[0-9]* plain 1$' $PLOG)" -ge $((n0 + 2)) ] && break
		sleep 0.05
	done
	t0=$(date +%s%N)
	clnt reqstat "0 park.bin" 2>/tmp/park.err
	r=$(cat $C/result)
	p1=$(cstat parked)
	t_check "park: an async CREATE + QUERY_INFO + CLOSE started while the session was being set up again completed ($(ms_since $t0) ms: $r$(cat /tmp/park.err))" \
		sh -c "echo '$r' | grep -q '^errors 0 0 0 action 1 eof $size qeof $size ceof $size '"
	t_check "park: ... the proxy held that SESSION_SETUP reply 3 s ($(grep -c 'delayed 3000' $PLOG) held)" \
		grep -q 'delayed 3000' $PLOG
	t_check "park: ... the request parked for the re-authentication, and it resumed it (parked $p0 -> $p1)" \
		test "$p1" -gt "$p0"
	armed_done || echo pass >$PCTL
	rm -f "$SRV_DIR/park.bin"
	clnt release all
}

# The server restarted under a hard transport (T = 5 s): the session is set
# up again by itself, the tree connected again, and a replayable CREATE +
# READ + CLOSE compound goes through with the right data; a FileId opened
# before the restart is gone, and a READ on it says so (needs put1.bin).
clnt_restart() {
	local want old_session loop err down n
	want=$(head -c 65536 "$SRV_DIR/put1.bin" | sha256sum | cut -d' ' -f1)
	if ! clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 311 311 0 5000 2" >/dev/null; then
		t_fail "a hard session for the restart: $(cat /tmp/clnt.err)"
		return
	fi
	old_session=$(info_field 0 session)
	t_check "hard transport: open a file and keep its FileId" clnt hold "0 put1.bin"
	t_check "hard transport: the handle listens for re-authentication (smb_clnt_set_events)" clnt events 0
	t_check "hard transport: a second handle, sealed (SMB_CLNT_SEAL)" \
		clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 311 311 2 5000 2"
	t_check "hard transport: the compound works before the restart" clnt cat "0 put1.bin"
	# Compounds back to back (a line each: "ok|fail START END", uptimes)
	# while the server goes down and comes back, until one has started
	# after it is back.
	rm -f /tmp/restart.done
	(
		for i in $(seq 200); do
			[ -e /tmp/restart.done ] && last=1 || last=""
			t0=$(cut -d' ' -f1 /proc/uptime)
			if printf '0 put1.bin' >$C/cat 2>/tmp/cat.err &&
				grep -q "^statuses 0x0 0x0 0x0 read 65536 sha256 $want$" $C/result; then
				r=ok
			else
				r="fail $(cat /tmp/cat.err | tr ' ' _) $(cat $C/result | tr ' ' _)"
			fi
			echo "$r $t0 $(cut -d' ' -f1 /proc/uptime)"
			[ -z "$last" ] || break
		done >/tmp/cat.log
	) &
	loop=$!
	sleep 1
	srv_down
	down=$(cut -d' ' -f1 /proc/uptime)
	srv_up
	touch /tmp/restart.done
	wait $loop
	awk '{ print $1 }' /tmp/cat.log | sort | uniq -c | sed 's/^/    /'
	sed 's/^/    /' $C/info
	n=$(wc -l </tmp/cat.log)
	t_check "restart: all $n compounds returned the file's data ($(grep -c '^ok' /tmp/cat.log) ok)" \
		test "$(grep -c '^ok' /tmp/cat.log)" = "$n" -a "$n" -ge 2
	t_check "restart: one of them was waiting while $SRV was down (at ${down}s: $(awk -v d="$down" '$2 < d && $3 > d { print "from " $2 "s to " $3 "s" }' /tmp/cat.log | head -n1))" \
		awk -v d="$down" '$2 < d && $3 > d { found = 1 } END { exit !found }' /tmp/cat.log
	t_check "restart: the session was set up again by itself ($old_session, then $(info_field 0 session))" \
		sh -c "dmesg | grep -q 'set up again after a reconnect'"
	t_check "restart: the handle was told, once its tree was connected again, with no error ($(cat $C/reconnects))" \
		grep -q '^[1-9][0-9]* err 0$' $C/reconnects
	t_check "restart: the sealed handle seals on the new session too (encrypted $(info_field 1 encrypted))" \
		test "$(info_field 1 encrypted)" = 1
	t_check "restart: ... and its compound returns the file's data" \
		sh -c "printf '1 put1.bin' >$C/cat && grep -q '^statuses 0x0 0x0 0x0 read 65536 sha256 $want$' $C/result"
	err=$(clnt readheld x)
	t_check "restart: a READ on the FileId opened before fails clearly (${err:-it succeeded})" \
		sh -c "echo '$err' | grep -q 'Bad file descriptor'"
	clnt release all
}

# "server signing = mandatory": a session the caller did not ask to sign
# signs anyway, because NEGOTIATE said the server requires it. The server
# is left with that setting; clnt_signing_required default restores it.
clnt_signing_required() {
	t_check "$SRV restarted with server signing = mandatory" srv_config signing
	if clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 311 311" >/dev/null; then
		t_check "signing required by the server: the session signs without being asked (signing $(info_field 0 signing))" \
			test "$(info_field 0 signing)" = 1
		t_check "... and $SRV accepts its requests (ECHO, getattr)" \
			sh -c "printf '0 3' >$C/echo && printf '0 put1.bin' >$C/stat"
		clnt release all
	else
		t_fail "a session with server signing mandatory: $(cat /tmp/clnt.err)"
	fi
}

# Encryption (MS-SMB2 3.1.4.3), through tools/testing/smbproxy.py: it relays
# to the server, logs whether each frame the client sent was sealed, and can
# say that the share requires encryption, strip NEGOTIATE capabilities or
# spoil sealed replies.
PLOG=/tmp/smbproxy.log PCTL=/tmp/smbproxy.mode PPORT=4450
proxy_start() {
	echo pass >$PCTL
	: >$PLOG
	python3 "$SMBFS_REPO/tools/testing/smbproxy.py" $PCTL $PPORT "$SRV_PORT" $PLOG &
	PROXY=$!
	for _ in $(seq 300); do
		grep -q '^listening' $PLOG 2>/dev/null && break
		sleep 0.1
	done
}
proxy_stop() {
	kill "$PROXY"
	wait "$PROXY" 2>/dev/null
}
proxy() { # proxy MODE: the next connections get MODE, with a fresh log
	echo "$1" >$PCTL
	: >$PLOG
}
plain_after_sealed() { # client frames sent plain after its first sealed one
	awk '$1 == "c2s" { if ($3 == "sealed") s++; else if (s) p++ } END { print p + 0 }' $PLOG
}
frames() { # frames DIR KIND: how many DIR (c2s, s2c) frames were KIND
	awk -v d="$1" -v k="$2" '$1 == d && $3 == k' $PLOG | wc -l
}
sealed_io() { # sealed_io TAG [DIR]: on slot 0, write a file, check it on
	# the server's disk (in DIR, default the share's), read its first 64 KiB
	# back in a compound and compare
	local f=seal-$1.bin size=300007 dir=${2:-$SRV_DIR}
	clnt put "0 $f $size" &&
		test "$(sha256sum <"$dir/$f" | cut -d' ' -f1)" = "$(pattern_sha $size)" &&
		clnt cat "0 $f" &&
		grep -q "^statuses 0x0 0x0 0x0 read 65536 sha256 $(head -c 65536 "$dir/$f" | sha256sum | cut -d' ' -f1)$" $C/result
}
sealed_session() { # sealed_session WHAT DIALECT FLAGS: a session that must seal
	local want
	proxy pass
	if ! clnt create "127.0.0.1 $PPORT $UNC $SMB_USER $SMB_PASS $2 $2 $3" >/dev/null; then
		t_fail "$1, SMB $2: session and tree connect ($(cat /tmp/clnt.err))"
		return
	fi
	t_check "$1, SMB $2: the handle seals (encrypted $(info_field 0 encrypted))" test "$(info_field 0 encrypted)" = 1
	t_check "$1, SMB $2: write 300007 bytes, the server has them, a compound reads them back" sealed_io "$2-$3"
	t_check "$1, SMB $2: every request after SESSION_SETUP was sealed ($(frames c2s sealed) sealed, $(plain_after_sealed) plain after the first), and so were the replies ($(frames s2c sealed))" \
		test "$(frames c2s sealed)" -ge 4 -a "$(plain_after_sealed)" = 0 -a "$(frames s2c sealed)" -ge 4
	if [ "$2" = 311 ]; then
		dd if=/dev/urandom of="$SRV_DIR/sealbig.bin" bs=1M count=4 status=none
		want=$(sha256sum <"$SRV_DIR/sealbig.bin" | cut -d' ' -f1)
		t_check "$1, SMB $2: 4 parallel sealed 1 MiB READs" clnt aread "0 sealbig.bin 4 1048576"
		t_check "... return the file ($(cut -c1-40 $C/result))" \
			grep -q "^tasks 4 ok 4 callbacks 4 on_smbiod 4 bytes 4194304 sha256 $want$" $C/result
		rm -f "$SRV_DIR/sealbig.bin"
	fi
	clnt release all
}

# The caller asks (SMB_CLNT_SEAL): 3.0 and 3.0.2 seal with AES-128-CCM,
# 3.1.1 with the cipher NEGOTIATE settled; 2.1 cannot. (Proxy running.)
clnt_sealing() {
	local dl err
	for dl in 300 302 311; do
		sealed_session "SMB_CLNT_SEAL" $dl 2
	done
	err=$(clnt create "$ADDR $UNC $SMB_USER $SMB_PASS 210 210 2")
	t_check "SMB_CLNT_SEAL on SMB 2.1 is refused with EOPNOTSUPP (${err:-accepted})" \
		sh -c "echo '$err' | grep -q 'not supported'"
}

# clnt_sealed_share UNC DIR: a share that requires encryption
# (SMB2_SHAREFLAG_ENCRYPT_DATA): the TREE_CONNECT goes plain, everything
# after it sealed. (Proxy running; ksmbd's share gets the flag from the
# proxy's encrypt-share mode, Samba's from "smb encrypt = required".)
clnt_sealed_share() {
	local unc=$1 dir=$2 dl
	# ksmbd's share flag is the proxy's doing, so its TREE_CONNECT reply
	# must not be signed: 3.0 (3.1.1 signs TREE_CONNECT, and the changed
	# reply would fail its check).
	dl=$(pick 300 311)
	if clnt create "127.0.0.1 $PPORT $unc $SMB_USER $SMB_PASS $dl $dl" >/dev/null; then
		t_check "a share that requires encryption (share_flags $(info_field 0 share_flags)): the handle seals (encrypted $(info_field 0 encrypted))" \
			test "$(($(info_field 0 share_flags) & 0x8000))" != 0 -a "$(info_field 0 encrypted)" = 1
		t_check "... write, check on the server, read back" sealed_io share "$dir"
		t_check "... the requests after TREE_CONNECT were sealed ($(frames c2s sealed) sealed, $(plain_after_sealed) plain after the first, $(frames c2s 'plain') plain in all)" \
			test "$(frames c2s sealed)" -ge 4 -a "$(plain_after_sealed)" = 0
		clnt release all
	else
		t_fail "a share that requires encryption: $(cat /tmp/clnt.err)"
		[ "$SRV" = samba ] && samba_log_tail 15
	fi
}

# VALIDATE_NEGOTIATE_INFO (SMB 3.0 and 3.0.2, which have no preauth
# integrity): a signed IOCTL after each tree connect, whose signed answer
# must match what NEGOTIATE said. The proxy's downgrade mode strips the
# encryption capability from the NEGOTIATE response on the way. (Proxy
# running.)
clnt_validate_negotiate() {
	local dl err
	for dl in 300 302; do
		proxy pass
		if clnt create "127.0.0.1 $PPORT $UNC $SMB_USER $SMB_PASS $dl $dl" >/dev/null; then
			t_check "SMB $dl: the tree connect was followed by VALIDATE_NEGOTIATE_INFO ($(grep -c 'c2s conn=[0-9]* plain 11$' $PLOG) IOCTL), and the answer matched (the handle exists)" \
				test "$(grep -c 'c2s conn=[0-9]* plain 11$' $PLOG)" = 1 -a "$(grep -c 's2c conn=[0-9]* plain 11$' $PLOG)" = 1
			clnt release all
		else
			t_fail "SMB $dl: a session whose NEGOTIATE is validated: $(cat /tmp/clnt.err)"
		fi
	done
	proxy downgrade
	err=$(clnt create "127.0.0.1 $PPORT $UNC $SMB_USER $SMB_PASS 300 300")
	t_check "SMB 300: a NEGOTIATE changed on the way is caught, the handle refused with ECONNABORTED (${err:-accepted})" \
		sh -c "echo '$err' | grep -q 'connection abort'"
	t_check "... with a message that says why" sh -c "dmesg | grep -q 'the server saw a different NEGOTIATE'"
	clnt release all
}

# The sample consumer (samples/smbclient/smb_sample.c): it reads a file of
# an odd size through smb_clnt_open/read/close and logs its SHA-256.
clnt_sample() {
	local d=$SMBFS_MODULE_DIR want line got
	dd if=/dev/urandom of="$SRV_DIR/sample.bin" bs=1000 count=3333 status=none
	want=$(sha256sum <"$SRV_DIR/sample.bin" | cut -d' ' -f1)
	t_check "the sample consumer loads and reads sample.bin (port $SRV_PORT)" \
		insmod "$d/smb_sample.ko" addr=127.0.0.1 port="$SRV_PORT" "unc=$UNC" "user=$SMB_USER" "password=$SMB_PASS" path=sample.bin
	line=$(dmesg | grep 'smb_sample: ' | tail -n1)
	echo "    dmesg: ${line#*] }"
	got=$(echo "$line" | sed -n 's/.*sha256 \([0-9a-f]*\)$/\1/p')
	t_check "... its SHA-256 equals sha256sum's" test -n "$got" -a "$got" = "$want"
	t_check "... and its byte count the file's" sh -c "echo '$line' | grep -q ': 3333000 bytes'"
	t_check "rmmod smb_sample" rmmod smb_sample
	# (insmod reports an init's ENOENT as "Unknown symbol": read the log.)
	insmod "$d/smb_sample.ko" addr=127.0.0.1 port="$SRV_PORT" "unc=$UNC" "user=$SMB_USER" "password=$SMB_PASS" path=nosuch.bin 2>/dev/null
	t_check "a missing file fails the sample's load, the log says ENOENT" \
		sh -c "dmesg | tail -n 5 | grep -q 'smb_sample: .*nosuch.bin: cannot open: -2'"
}
