# SPDX-License-Identifier: GPL-2.0
# Shared shell helpers for the smbfs test harness. Sourced, never run.
#
# Cache layout (everything lives outside the repository):
#
#   $SMBFS_CACHE/                 default /var/cache/smbfs
#     root/<key>/                 the trixie build root, <key> = hash of its inputs
#     work/                       bind-mounted at /cache inside the build root
#       debs/                     downloaded .debs (apt; debootstrap in debs/debootstrap)
#       kernel/src-<version>/     unpacked linux-source tree
#       kernel/<flavour>-<key>/   kernel build output (O=), <key> = hash of inputs
#       cargo/                    CARGO_HOME for host-side crates
#       target/                   cargo target directories
#       modules/<flavour>/        out-of-tree module build output (MO=)
#       samba/<key>/              a minimal trixie root with Samba (a second server
#                                 for the guests), <key> = hash of its inputs
#       runs/<id>/                guest results (dmesg, exit status, logs)

# Keep locale-dependent tools predictable.
export LC_ALL=C

SMBFS_CACHE=${SMBFS_CACHE:-/var/cache/smbfs}
TESTING_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$TESTING_DIR/../.." && pwd)

# SMBFS_TAG names this checkout's module builds, guest runs and check logs
# (modules/<flavour>-<tag>, runs/<tag>-<name>, check-<tag>), so that several
# checkouts of the repository (git worktrees) can share one cache and run
# at the same time. Empty: the default directories.
SMBFS_TAG=${SMBFS_TAG:-}
case "$SMBFS_TAG" in *[!A-Za-z0-9_]*) echo "smbfs: error: SMBFS_TAG may hold only letters, digits and _" >&2; exit 1 ;; esac
# tagged NAME SEP: NAME with the tag appended (SEP between), or NAME.
tagged() {
	echo "$1${SMBFS_TAG:+$2$SMBFS_TAG}"
}

# Paths as seen from inside the build root.
ROOT_REPO=/smbfs
ROOT_CACHE=/cache

# Scripts that source this run with errexit; say where they stopped, so no
# failure is silent.
trap 'rc=$?; printf "smbfs: error: %s:%s: command failed (exit %s): %.120s\n" "${BASH_SOURCE[0]##*/}" "$LINENO" "$rc" "${BASH_COMMAND%%$'"'"'\n'"'"'*}" >&2' ERR
set -E

log() {
	printf '[smbfs %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
	printf 'smbfs: error: %s\n' "$*" >&2
	exit 1
}

need_root() {
	[ "$(id -u)" = 0 ] || die "this step needs root (it uses debootstrap, chroot and mounts); run it as root"
}

# step "what" cmd args...: run a long step, announcing it and its duration.
step() {
	local what=$1 t0 rc
	shift
	log "==> $what"
	t0=$(date +%s)
	"$@"
	rc=$?
	log "<== $what: $(fmt_secs $(($(date +%s) - t0)))$([ $rc = 0 ] || echo ", FAILED (exit $rc)")"
	return $rc
}

# logged LOGFILE cmd...: run cmd with its output in LOGFILE; on failure show
# the log's tail and say where the whole log is.
logged() {
	local logfile=$1
	shift
	if ! "$@" >"$logfile" 2>&1; then
		tail -n 25 "$logfile" | sed 's/^/    /' >&2
		die "'$1' failed; the whole log is $logfile"
	fi
}

# with_progress LOGFILE cmd...: like logged, for jobs of many minutes: every
# minute it prints how long the job has run and its latest log line.
with_progress() {
	local logfile=$1 pid t0 rc=0 n=0
	shift
	t0=$(date +%s)
	"$@" >"$logfile" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		sleep 2
		n=$((n + 2))
		if [ $((n % 60)) = 0 ]; then
			log "    ... $(fmt_secs $(($(date +%s) - t0))): $(tail -n1 "$logfile" | cut -c1-100)"
		fi
	done
	wait "$pid" || rc=$?
	if [ "$rc" != 0 ]; then
		tail -n 40 "$logfile" | sed 's/^/    /' >&2
		die "'$1' failed (exit $rc); the whole log is $logfile"
	fi
}

fmt_secs() {
	local s=$1
	if [ "$s" -ge 60 ]; then
		printf '%dm%02ds' $((s / 60)) $((s % 60))
	else
		printf '%ds' "$s"
	fi
}

# hash_of file...: a short stable digest of the named files' contents and names.
hash_of() {
	local f
	for f in "$@"; do
		printf '%s\n' "${f##*/}"
		cat "$f"
	done | sha256sum | cut -c1-16
}

# recipe_of SCRIPT: the script's RECIPE= line. Scripts that build cached
# artefacts key them on this line rather than on their whole text, so that a
# change to logging does not force a rebuild; bump RECIPE when a change alters
# what the script produces.
recipe_of() {
	grep -m1 '^RECIPE=' "$1" || die "$1 has no RECIPE= line"
}

# The Debian mirror comes from the host's own apt configuration (deb822 or
# one-line format), never from this repository. SMBFS_DEBIAN_MIRROR overrides
# it, e.g. on an Ubuntu host whose apt sources name no Debian mirror.
host_mirror() {
	local kind=$1 # "debian" or "debian-security"
	if [ -n "${SMBFS_DEBIAN_MIRROR:-}" ] && [ "$kind" = debian ]; then
		echo "$SMBFS_DEBIAN_MIRROR"
		return
	fi
	{
		{ cat /etc/apt/sources.list.d/*.sources 2>/dev/null || true; } |
			awk '$1 == "URIs:" { for (i = 2; i <= NF; i++) print $i }'
		{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
			sed -E 's/\[[^]]*\]//' | awk '$1 == "deb" { print $2 }'
	} | while read -r uri; do
		case "$kind:$uri" in
		debian:*/debian | debian:*/debian/) echo "${uri%/}" ;;
		debian-security:*/debian-security | debian-security:*/debian-security/) echo "${uri%/}" ;;
		esac
	done | head -n1
}

# need_debootstrap SUITE: debootstrap and Debian's keyring on the host, and
# a debootstrap that knows SUITE.
need_debootstrap() {
	if ! command -v debootstrap >/dev/null || [ ! -e /usr/share/keyrings/debian-archive-keyring.gpg ]; then
		step "installing host prerequisites (debootstrap, debian-archive-keyring)" \
			sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap debian-archive-keyring >/dev/null'
	fi
	[ -e "/usr/share/debootstrap/scripts/$1" ] || die "this host's debootstrap does not know '$1'; install a newer debootstrap"
}

# The build root's identity: the package list and buildroot.sh's recipe.
root_key() {
	{
		cat "$TESTING_DIR/packages"
		recipe_of "$TESTING_DIR/buildroot.sh"
	} | sha256sum | cut -c1-16
}

root_dir() {
	echo "$SMBFS_CACHE/root/$(root_key)"
}

# The Samba root's identity (tools/testing/sambaroot.sh): its package list
# and the script's recipe. It lives in work/, so that the guest sees it under
# /cache.
samba_key() {
	{
		cat "$TESTING_DIR/samba-packages"
		recipe_of "$TESTING_DIR/sambaroot.sh"
	} | sha256sum | cut -c1-16
}

samba_dir() {
	echo "$SMBFS_CACHE/work/samba/$(samba_key)"
}

# Fail unless the build root exists and is complete.
require_root() {
	local r
	r=$(root_dir)
	[ -e "$r/.smbfs-complete" ] || die "build root $r is missing; run 'make buildroot' (make check and make demo do it for you)"
}

# Is anything mounted at or below $1?
mounted_below() {
	local p
	p=$(realpath -m "$1")
	awk -v p="$p" '$5 == p || index($5, p "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo
}

# Remove a build root directory, refusing if anything is still mounted inside it:
# the host's /dev is bind-mounted there while the root is in use.
remove_root_dir() {
	local d=$1
	[ -d "$d" ] || return 0
	if mounted_below "$d"; then
		die "refusing to delete $d: something is still mounted below it (see /proc/self/mountinfo)"
	fi
	rm -rf --one-file-system -- "$d"
}

# inroot ROOT cmd...: run cmd inside the build root ROOT.
#
# The bind mounts (/dev, /proc, /sys, the repository at /smbfs and the cache at
# /cache) are made in a private mount namespace, so they vanish with the
# command even if it is killed; the trap unmounts them on the normal path too.
# Extra environment: INROOT_ENV="VAR=value ..." is passed through env(1).
inroot() {
	local root=$1
	shift
	mkdir -p "$SMBFS_CACHE/work"
	export INROOT_ENV="${INROOT_ENV:-}"
	unshare --mount --propagation private -- /bin/bash -s -- "$root" "$REPO_DIR" "$SMBFS_CACHE/work" "$@" <<'EOF'
set -u
root=$1 repo=$2 cache=$3
shift 3
cleanup() {
	for m in cache smbfs sys proc dev; do
		mountpoint -q "$root/$m" && umount -R -l "$root/$m"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$root/smbfs" "$root/cache"
mount --rbind /dev "$root/dev" || exit 1
mount -t proc proc "$root/proc" || exit 1
mount --rbind /sys "$root/sys" || exit 1
mount --bind "$repo" "$root/smbfs" || exit 1
mount --bind "$cache" "$root/cache" || exit 1
[ -e /etc/resolv.conf ] && cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
# The host's trust store: registries may be reached through a proxy whose CA
# only the host's configuration knows.
if [ -r /etc/ssl/certs/ca-certificates.crt ] && [ -e "$root/etc/ssl/certs/ca-certificates.crt" ]; then
	mount --bind -o ro /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt" || exit 1
fi
# The host's cargo configuration (registry mirrors, if any) for host crates.
hostcargo=${CARGO_HOME:-$HOME/.cargo}
for f in config.toml config; do
	[ -r "$hostcargo/$f" ] && mkdir -p "$cache/cargo" && cp "$hostcargo/$f" "$cache/cargo/$f"
done
proxyenv=""
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
	[ -n "${!v:-}" ] && proxyenv="$proxyenv $v=${!v}"
done
chroot "$root" /usr/bin/env -i \
	HOME=/root TERM="${TERM:-dumb}" LC_ALL=C \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	SMBFS_IN_ROOT=1 CI="${CI:-}" $proxyenv ${INROOT_ENV:-} "$@"
EOF
}
