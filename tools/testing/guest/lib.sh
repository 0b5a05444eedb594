# SPDX-License-Identifier: GPL-2.0
# Helpers for guest scripts: sourced by the guest's init, and available to
# every script it runs (they inherit the functions through `export -f`).

SMBFS_REPO=/smbfs
SMB_USER=smbtest
SMB_PASS='Sm8fs-test!'
SMB_SHARE=share
SMB_SHARE_DIR=/srv/share
SMB_SCRATCH_DIR=/srv/scratch

g_log() {
	echo "[guest $(cut -d' ' -f1 /proc/uptime)s] $*"
}

# Test results, one line each, counted by `make check`.
t_ok() {
	echo "ok - $*" | tee -a /results/tests.txt
}
t_fail() {
	echo "not ok - $*" | tee -a /results/tests.txt
	T_FAILED=1
}
# t_done: the script's exit status: 1 if any check failed.
t_done() {
	[ -z "${T_FAILED:-}" ]
}
# t_check "description" cmd...: run cmd, record ok or not ok; its status.
t_check() {
	local what=$1
	shift
	# Fails as the command did, so that "t_check ... || return" stops.
	if "$@"; then t_ok "$what"; else t_fail "$what"; return 1; fi
}

# Start ksmbd on 127.0.0.1 with tmpfs-backed shares and a test user.
start_ksmbd() {
	mkdir -p "$SMB_SHARE_DIR" "$SMB_SCRATCH_DIR"
	cat >/etc/ksmbd/ksmbd.conf <<-CONF
		[global]
		    bind interfaces only = yes
		    interfaces = lo
		    server min protocol = SMB2_10
		    server max protocol = SMB3_11
		[$SMB_SHARE]
		    path = $SMB_SHARE_DIR
		    read only = no
		    force user = root
		    force group = root
		[scratch]
		    path = $SMB_SCRATCH_DIR
		    read only = no
		    force user = root
		    force group = root
	CONF
	ksmbd.adduser -a -p "$SMB_PASS" "$SMB_USER" >/dev/null || {
		g_log "ksmbd.adduser failed"
		return 1
	}
	ksmbd.mountd || {
		g_log "ksmbd.mountd failed to start"
		return 1
	}
	local i
	for i in $(seq 120); do
		ksmbd_listening && return 0
		sleep 0.5
	done
	g_log "ksmbd is not listening on port 445 after 60s"
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null
	return 1
}

# True if something listens on port 445 (0x01BD; state 0A is LISTEN), on
# IPv4 or on a dual-stack IPv6 socket. Under TCG with KASAN ksmbd takes
# ~10 s to get there.
ksmbd_listening() {
	awk '$2 ~ /:01BD$/ && $4 == "0A" { found = 1 } END { exit !found }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Stop ksmbd and wait until nothing listens any more.
ksmbd_down() {
	stop_ksmbd
	local i
	for i in $(seq 100); do ksmbd_listening || break; sleep 0.1; done
	sleep 0.5
	! ksmbd_listening
}

# Start ksmbd again (its configuration and users are still there, so only
# the daemon is needed) and wait until it listens.
ksmbd_up() {
	ksmbd.mountd || return 1
	local i
	for i in $(seq 300); do ksmbd_listening && return 0; sleep 0.2; done
	return 1
}

stop_ksmbd() {
	ksmbd.control --shutdown >/dev/null 2>&1 || true
}

# Samba, a second server beside ksmbd: smbd runs in a chroot of the Samba
# root (tools/testing/sambaroot.sh; vm.sh passes its guest path as
# SMBFS_SAMBA_ROOT) on port $SAMBA_PORT of lo, with the same user and
# password as ksmbd. Shares: $SMB_SHARE ($SAMBA_SHARE_DIR) and
# $SAMBA_SEALED_SHARE ($SAMBA_SEALED_DIR, "smb encrypt = required"), both
# on tmpfs; the guest sees their files at those paths, smbd at /srv/*.
SAMBA_PORT=1445
SAMBA_SHARE_DIR=/srv/samba/share
SAMBA_SEALED_SHARE=sealed
SAMBA_SEALED_DIR=/srv/samba/sealed

# samba_in CMD...: run CMD in the Samba root.
samba_in() {
	chroot "$SMBFS_SAMBA_ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"
}

# samba_config [signing]: write smb.conf; "signing" adds
# "server signing = mandatory".
samba_config() {
	cat >"$SMBFS_SAMBA_ROOT/etc/samba/smb.conf" <<-CONF
		[global]
		    server role = standalone server
		    workgroup = SMBFS
		    interfaces = lo
		    bind interfaces only = yes
		    disable netbios = yes
		    smb ports = $SAMBA_PORT
		    server min protocol = SMB2_10
		    server max protocol = SMB3_11
		    map to guest = never
		    passdb backend = tdbsam
		    load printers = no
		    printcap name = /dev/null
		    disable spoolss = yes
		    log level = 3 auth:5
		    log file = /var/log/samba/log.%m
		    max log size = 0
		$([ "${1:-}" = signing ] && echo "    server signing = mandatory")
		[$SMB_SHARE]
		    path = /srv/share
		    read only = no
		    force user = root
		    force group = root
		[$SAMBA_SEALED_SHARE]
		    path = /srv/sealed
		    read only = no
		    force user = root
		    force group = root
		    smb encrypt = required
	CONF
}

# start_samba [signing]: set up the chroot (once) and start smbd; "signing"
# starts it with "server signing = mandatory". On failure, the log's tail.
start_samba() {
	local r=${SMBFS_SAMBA_ROOT:-} d
	if [ -z "$r" ] || [ ! -x "$r/usr/sbin/smbd" ]; then
		g_log "no Samba root (SMBFS_SAMBA_ROOT='$r'); tools/testing/sambaroot.sh builds it"
		return 1
	fi
	if ! mountpoint -q "$r/etc/samba"; then
		for d in run tmp etc/samba var/lib/samba var/cache/samba var/log/samba; do
			mount -t tmpfs tmpfs "$r/$d" || return 1
		done
		mkdir -p "$SAMBA_SHARE_DIR" "$SAMBA_SEALED_DIR" /run/samba-etc
		mount --bind "${SAMBA_SHARE_DIR%/*}" "$r/srv" &&
			mount --bind /proc "$r/proc" &&
			mount --rbind /dev "$r/dev" || return 1
		# The test user needs a Unix account in the root (Samba maps it
		# before "force user" applies).
		cp "$r/etc/passwd" "$r/etc/group" /run/samba-etc/
		echo "$SMB_USER:x:1000:1000::/nonexistent:/usr/sbin/nologin" >>/run/samba-etc/passwd
		echo "$SMB_USER:x:1000:" >>/run/samba-etc/group
		mount --bind /run/samba-etc/passwd "$r/etc/passwd" &&
			mount --bind /run/samba-etc/group "$r/etc/group" || return 1
		mkdir -p "$r/var/lib/samba/private" "$r/var/lib/samba/lock" "$r/run/samba"
		chmod 0700 "$r/var/lib/samba/private"
		samba_config
		printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" | samba_in smbpasswd -a -s "$SMB_USER" >/tmp/smbpasswd.log 2>&1 || {
			g_log "smbpasswd -a $SMB_USER failed:"
			cat /tmp/smbpasswd.log
			return 1
		}
	fi
	samba_config "${1:-}"
	samba_up || {
		g_log "smbd is not listening on port $SAMBA_PORT"
		samba_log_tail
		return 1
	}
}

# True if something listens on $SAMBA_PORT (state 0A is LISTEN).
samba_listening() {
	awk -v p="$(printf ':%04X' "$SAMBA_PORT")" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# The processes running in the Samba root (smbd and its children). (A
# shell builtin per process: under TCG a readlink(1) each takes seconds.)
samba_pids() {
	local p
	for p in /proc/[0-9]*; do
		[ "$p/root" -ef "$SMBFS_SAMBA_ROOT" ] && echo "${p#/proc/}"
	done
}

# Start smbd with the current smb.conf and wait until it listens.
samba_up() {
	samba_in smbd -D || return 1
	local i
	for i in $(seq 300); do samba_listening && return 0; sleep 0.2; done
	return 1
}

# Stop smbd: every process of the Samba root (the children serving
# connections too, so that clients see their connections drop), then wait
# until nothing listens.
samba_down() {
	local pids i
	pids=$(samba_pids)
	[ -z "$pids" ] || kill -TERM $pids 2>/dev/null
	for i in $(seq 30); do
		[ -n "$(samba_pids)" ] || break
		sleep 0.1
	done
	pids=$(samba_pids)
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null
	for i in $(seq 100); do samba_listening || break; sleep 0.1; done
	! samba_listening
}

# samba_restart [signing]: smbd again with a new smb.conf.
samba_restart() {
	samba_config "${1:-}"
	samba_down && samba_up
}

stop_samba() {
	[ -n "${SMBFS_SAMBA_ROOT:-}" ] && samba_down
}

# samba_logged PATTERN...: true if every PATTERN (grep) is in smbd's logs;
# samba_not_logged PATTERN: true if it is in none.
samba_logged() {
	local p
	for p; do
		grep -qh -- "$p" "$SMBFS_SAMBA_ROOT"/var/log/samba/log.* 2>/dev/null || return 1
	done
}
samba_not_logged() {
	! grep -qh -- "$1" "$SMBFS_SAMBA_ROOT"/var/log/samba/log.* 2>/dev/null
}

# The last lines of smbd's logs (why a client was refused).
samba_log_tail() {
	local f
	for f in "$SMBFS_SAMBA_ROOT"/var/log/samba/log.*; do
		[ -s "$f" ] || continue
		echo "--- ${f##*/} (last ${1:-30} lines)"
		tail -n "${1:-30}" "$f"
	done
}

# Load the smbfs modules in dependency order from the module build output.
load_modules() {
	local m
	for m in smbxprt smbclient smbfs; do
		[ -e "$SMBFS_MODULE_DIR/$m.ko" ] || {
			g_log "no $m.ko in $SMBFS_MODULE_DIR (run 'make modules')"
			return 1
		}
		insmod "$SMBFS_MODULE_DIR/$m.ko" || return 1
	done
}

# Run kmemleak twice, as its documentation advises: the first scan records
# each object's checksum, the second reports what stayed unreferenced and
# unchanged. Only objects older than kmemleak's 5 s minimum age are reported,
# so the second scan starts at least 6 s after the caller's last allocation;
# the first scan (seconds under TCG) counts towards that wait.
kmemleak_scan() {
	local f=/sys/kernel/debug/kmemleak t0 left
	[ -w "$f" ] || return 0
	t0=$(date +%s%N)
	echo scan >"$f"
	left=$((6000 - ($(date +%s%N) - t0) / 1000000))
	[ "$left" -le 0 ] || sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
	echo scan >"$f"
	cat "$f" >/results/kmemleak.txt
}

# Save dmesg and the exit status, then end the guest.
guest_finish() {
	local status=$1
	[ -n "${T_FAILED:-}" ] && [ "$status" = 0 ] && status=1
	dmesg >/results/dmesg.txt 2>&1
	echo "$status" >/results/status
	sync
	umount /results 2>/dev/null
	echo "guest init: script exited with status $status"
	busybox reboot -f
}

export -f g_log t_ok t_fail t_done t_check start_ksmbd stop_ksmbd ksmbd_listening ksmbd_down ksmbd_up load_modules kmemleak_scan
export -f samba_in samba_config start_samba samba_listening samba_pids samba_up samba_down samba_restart stop_samba samba_logged samba_not_logged samba_log_tail
export SMBFS_REPO SMB_USER SMB_PASS SMB_SHARE SMB_SHARE_DIR SMB_SCRATCH_DIR
export SAMBA_PORT SAMBA_SHARE_DIR SAMBA_SEALED_SHARE SAMBA_SEALED_DIR
