/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers the smbfs modules need beyond the kernel's own Rust bindings. Only
 * what bindgen_parameters allowlists is generated; the rest comes from the
 * kernel's `bindings` crate.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/module.h>
#include <linux/netfs.h>
#include <linux/statfs.h>
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

#include <linux/in.h>
#include <linux/inet.h>
#include <linux/jiffies.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <net/net_namespace.h>

/*
 * Macros and enum values bindgen cannot see as constants, re-declared as
 * typed constants (the kernel's bindings_helper.h does the same for GFP_*).
 */
const gfp_t SMB_CONST_GFP_NOFS = GFP_NOFS;
const unsigned long SMB_CONST_SB_RDONLY = SB_RDONLY;
const unsigned long SMB_CONST_SB_ACTIVE = SB_ACTIVE;
const unsigned int SMB_CONST_FMODE_CREATED = (__force unsigned int)FMODE_CREATED;
const int SMB_CONST_AF_INET = AF_INET;
const int SMB_CONST_AF_INET6 = AF_INET6;
const int SMB_CONST_SOCK_STREAM = SOCK_STREAM;
const int SMB_CONST_IPPROTO_TCP = IPPROTO_TCP;
const int SMB_CONST_SHUT_RDWR = SHUT_RDWR;
const int SMB_CONST_O_NONBLOCK = O_NONBLOCK;
const unsigned int SMB_CONST_MSG_NOSIGNAL = MSG_NOSIGNAL;
const unsigned int SMB_CONST_MSG_MORE = MSG_MORE;
const unsigned int SMB_CONST_MSG_DONTWAIT = MSG_DONTWAIT;
const unsigned int SMB_CONST_ITER_SOURCE = ITER_SOURCE;
const unsigned int SMB_CONST_ITER_DEST = ITER_DEST;
const int SMB_CONST_TCP_ESTABLISHED = TCP_ESTABLISHED;
const int SMB_CONST_TCP_SYN_SENT = TCP_SYN_SENT;
const int SMB_CONST_TCP_CLOSE = TCP_CLOSE;
const int SMB_CONST_TCP_CLOSE_WAIT = TCP_CLOSE_WAIT;

#include "../helpers/net.h"

#include <smb/crypto.h>
#include <smb/auth.h>
#include <smb/xprt.h>
#include <smb/clnt.h>
