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
# t_check "description" cmd...: run cmd, record ok or not ok.
t_check() {
	local what=$1
	shift
	if "$@"; then t_ok "$what"; else t_fail "$what"; fi
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
export SMBFS_REPO SMB_USER SMB_PASS SMB_SHARE SMB_SHARE_DIR SMB_SCRATCH_DIR
