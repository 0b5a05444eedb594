// SPDX-License-Identifier: GPL-2.0
#include <linux/fs_context.h>

/* Log an error to the mount's fs_context log (shown by mount(8)). */
void smb_helper_errorfc(struct fs_context *fc, const char *msg)
{
	errorfc(fc, "%s", msg);
}
