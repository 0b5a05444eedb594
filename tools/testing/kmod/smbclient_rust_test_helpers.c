// SPDX-License-Identifier: GPL-2.0
/* The shared smb_helper_* wrappers, compiled into smbclient_rust_test.ko. */
#include "../../../rust/helpers/helpers.c"
