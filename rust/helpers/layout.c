// SPDX-License-Identifier: GPL-2.0
/*
 * Sizes and field offsets, as the C compiler lays them out, of every
 * structure whose fields or size the Rust code relies on through bindings
 * (ours from bindgen, and the kernel's for the few it reads or writes). The
 * kext_layout KUnit suite compares them with the Rust view
 * (rust/kext/layout.rs), entry by entry: the same id means the same thing
 * on both sides.
 */
#include <crypto/aes-cbc-macs.h>
#include <crypto/aes-ccm.h>
#include <crypto/aes-gcm.h>
#include <crypto/arc4.h>
#include <crypto/md5.h>
#include <crypto/sha2.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/net.h>
#include <linux/netfs.h>
#include <linux/statfs.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <md4.h>
#include <net/net_namespace.h>
#include <smb/auth.h>
#include <smb/crypto.h>
#include <smb/xprt.h>
#include "net.h"

size_t smb_helper_layout(unsigned int id)
{
	switch (id) {
	case 0: return sizeof(struct hmac_md5_ctx);
	case 1: return sizeof(struct hmac_sha256_ctx);
	case 2: return sizeof(struct sha512_ctx);
	case 3: return sizeof(struct aes_cmac_key);
	case 4: return sizeof(struct aes_cmac_ctx);
	case 5: return offsetof(struct aes_cmac_ctx, key);
	case 6: return sizeof(struct aes_gcm_key);
	case 7: return sizeof(struct aes_gcm_ctx);
	case 8: return sizeof(struct aes_ccm_key);
	case 9: return sizeof(struct aes_ccm_ctx);
	case 10: return sizeof(struct arc4_ctx);
	case 11: return sizeof(struct md4_ctx);
	case 12: return sizeof(struct smb_aead);
	case 13: return sizeof(struct smb_aes_cmac);
	case 14: return sizeof(struct smb_xprt_config);
	case 15: return offsetof(struct smb_xprt_config, recv_mode);
	case 16: return sizeof(struct smb_xprt_call);
	case 17: return offsetof(struct smb_xprt_call, priv);
	case 18: return sizeof(struct smb_xprt_negotiated);
	case 19: return offsetof(struct smb_xprt_negotiated, generation);
	case 20: return sizeof(struct smb_ntlmv2_input);
	case 21: return offsetof(struct smb_ntlmv2_input, target_info_len);
	case 22: return sizeof(struct file_system_type);
	case 23: return offsetof(struct file_system_type, name);
	case 24: return offsetof(struct file_system_type, owner);
	case 25: return offsetof(struct file_system_type, init_fs_context);
	case 26: return offsetof(struct file_system_type, kill_sb);
	case 27: return sizeof(struct fs_context);
	case 28: return offsetof(struct fs_context, ops);
	case 29: return offsetof(struct fs_context, source);
	case 30: return sizeof(struct fs_context_operations);
	case 31: return offsetof(struct fs_context_operations, parse_param);
	case 32: return offsetof(struct fs_context_operations, get_tree);
	case 33: return offsetof(struct fs_parameter, key);
	case 34: return offsetof(struct fs_parameter, string);
	case 35: return sizeof(struct pernet_operations);
	case 36: return offsetof(struct pernet_operations, exit);
	case 37: return sizeof(read_descriptor_t);
	case 38: return offsetof(read_descriptor_t, count);
	case 39: return offsetof(read_descriptor_t, arg);
	case 40: return sizeof(struct msghdr);
	case 41: return offsetof(struct msghdr, msg_iter);
	case 42: return offsetof(struct msghdr, msg_flags);
	case 43: return sizeof(struct kvec);
	case 44: return offsetof(struct socket, sk);
	case 45: return sizeof(struct smb_sk_callbacks);
	case 46: return sizeof(struct netfs_inode);
	case 47: return offsetof(struct netfs_inode, ops);
	case 48: return sizeof(struct kstatfs);
	case 49: return offsetof(struct kstatfs, f_namelen);
	case 50: return offsetof(struct fs_context, log);
	default: return (size_t)-1;
	}
}
