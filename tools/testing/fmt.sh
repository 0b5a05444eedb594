#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Format all Rust with the toolchain the checks use: the build root's rustfmt
# (1.85) for kernel-side Rust, `cargo fmt` for the codec crate. `make fmt`.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
need_root
root=$("$TESTING_DIR/buildroot.sh")
inroot "$root" bash -c '
cd /smbfs
find rust smbxprt smbclient smbfs tools \( -path rust/smbproto -o -name target \) -prune -o -type f -name "*.rs" -print |
	while read -r f; do rustfmt --edition 2021 --config-path .rustfmt.toml --config skip_children=true "$f"; done
cd rust/smbproto && cargo fmt
'
log "formatted"
