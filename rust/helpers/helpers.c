// SPDX-License-Identifier: GPL-2.0
/*
 * smb_helper_*: out-of-line wrappers for static inline functions and macros
 * the Rust code calls. This file is compiled into each module (through the
 * module's helpers.c) and nothing here is exported, so the same names in
 * different modules do not clash. Rust calls them as bindings::smb_helper_*.
 */
#include "crypto.c"
#include "fs.c"
#include "sched.c"
#include "net.c"
#include "layout.c"
#include "iter.c"
#include "lock.c"
#include "fault.c"
