#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make shell`: an interactive guest with ksmbd started and, when they are
# built, the smbfs modules loaded. Leave with `exit` (or Ctrl-D).
start_ksmbd && echo "ksmbd: //127.0.0.1/$SMB_SHARE (tmpfs at $SMB_SHARE_DIR), user $SMB_USER, password $SMB_PASS"
if [ -e "$SMBFS_MODULE_DIR/smbxprt.ko" ]; then
	load_modules && echo "smbfs modules loaded from $SMBFS_MODULE_DIR"
else
	echo "smbfs modules are not built (make modules); cifs.ko is available: modprobe cifs"
fi
cat <<MSG

  mount -t cifs //127.0.0.1/$SMB_SHARE /mnt -o username=$SMB_USER,password='$SMB_PASS',vers=3.1.1
  The repository is at /smbfs (read-only); /tmp, /mnt, /srv are tmpfs.
  Results for the host go to /results. Exiting the shell powers the guest off.

MSG
PS1='smbfs-guest# ' bash --norc -i
