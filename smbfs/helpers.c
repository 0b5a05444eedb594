// SPDX-License-Identifier: GPL-2.0
/* The shared smb_helper_* wrappers, compiled into smbfs.ko (not exported). */
#include "../rust/helpers/helpers.c"
