#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: boot the debug kernel, start ksmbd, and show step by step what
# smbfs can do today. Runs to completion without input.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"
need_root
"$TESTING_DIR/buildroot.sh" >/dev/null
"$TESTING_DIR/kernel.sh" debug >/dev/null
"$TESTING_DIR/modules.sh" debug >/dev/null
exec "$TESTING_DIR/vm.sh" --name demo --timeout 600 tools/testing/guest/demo.sh
