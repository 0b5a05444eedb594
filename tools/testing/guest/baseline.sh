#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The baseline boot: the debug kernel without any smbfs module. The kernel's
# built-in KUnit suites have already run by the time init starts. Then the
# peer smoke test: cifs.ko against ksmbd (peer-smoke.sh). Anything the gate
# finds in this boot belongs to the kernel or the server, not to smbfs.
set -u
"$SMBFS_REPO/tools/testing/guest/peer-smoke.sh" "${1:-8}"
