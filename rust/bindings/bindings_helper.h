/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers the smbfs modules need beyond the kernel's own Rust bindings. Only
 * what bindgen_parameters allowlists is generated; the rest comes from the
 * kernel's `bindings` crate.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/module.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <crypto/aes-cbc-macs.h>
#include <crypto/aes-ccm.h>
#include <crypto/aes-gcm.h>
#include <crypto/arc4.h>
#include <crypto/md5.h>
#include <crypto/sha2.h>
#include <crypto/utils.h>
#include <md4.h>			/* fs/smb/common: cifs_md4_* */

#include <smb/crypto.h>
#include <smb/auth.h>
