// SPDX-License-Identifier: GPL-2.0
//! A self-test of the bindings: the Rust view of each structure the code
//! relies on, against the C compiler's (`rust/helpers/layout.c`). bindgen can
//! get a layout wrong without any warning (it dropped the alignment of
//! `struct sock`'s cache-line markers); this makes such a mismatch a KUnit
//! failure instead of memory corruption.

use super::super::bindings as b;
use core::mem::offset_of;

/// `(what, C's value, Rust's value)` for every entry of the table.
pub fn checks() -> impl Iterator<Item = (&'static str, usize, usize)> {
    let rust: [(&'static str, usize); 51] = [
        ("sizeof hmac_md5_ctx", size_of::<b::hmac_md5_ctx>()),
        ("sizeof hmac_sha256_ctx", size_of::<b::hmac_sha256_ctx>()),
        ("sizeof sha512_ctx", size_of::<b::sha512_ctx>()),
        ("sizeof aes_cmac_key", size_of::<b::aes_cmac_key>()),
        ("sizeof aes_cmac_ctx", size_of::<b::aes_cmac_ctx>()),
        ("aes_cmac_ctx.key", offset_of!(b::aes_cmac_ctx, key)),
        ("sizeof aes_gcm_key", size_of::<b::aes_gcm_key>()),
        ("sizeof aes_gcm_ctx", size_of::<b::aes_gcm_ctx>()),
        ("sizeof aes_ccm_key", size_of::<b::aes_ccm_key>()),
        ("sizeof aes_ccm_ctx", size_of::<b::aes_ccm_ctx>()),
        ("sizeof arc4_ctx", size_of::<b::arc4_ctx>()),
        ("sizeof md4_ctx", size_of::<b::md4_ctx>()),
        ("sizeof smb_aead", size_of::<b::smb_aead>()),
        ("sizeof smb_aes_cmac", size_of::<b::smb_aes_cmac>()),
        ("sizeof smb_xprt_config", size_of::<b::smb_xprt_config>()),
        (
            "smb_xprt_config.recv_mode",
            offset_of!(b::smb_xprt_config, recv_mode),
        ),
        ("sizeof smb_xprt_call", size_of::<b::smb_xprt_call>()),
        ("smb_xprt_call.priv", offset_of!(b::smb_xprt_call, priv_)),
        (
            "sizeof smb_xprt_negotiated",
            size_of::<b::smb_xprt_negotiated>(),
        ),
        (
            "smb_xprt_negotiated.generation",
            offset_of!(b::smb_xprt_negotiated, generation),
        ),
        ("sizeof smb_ntlmv2_input", size_of::<b::smb_ntlmv2_input>()),
        (
            "smb_ntlmv2_input.target_info_len",
            offset_of!(b::smb_ntlmv2_input, target_info_len),
        ),
        ("sizeof file_system_type", size_of::<b::file_system_type>()),
        (
            "file_system_type.name",
            offset_of!(b::file_system_type, name),
        ),
        (
            "file_system_type.owner",
            offset_of!(b::file_system_type, owner),
        ),
        (
            "file_system_type.init_fs_context",
            offset_of!(b::file_system_type, init_fs_context),
        ),
        (
            "file_system_type.kill_sb",
            offset_of!(b::file_system_type, kill_sb),
        ),
        ("sizeof fs_context", size_of::<b::fs_context>()),
        ("fs_context.ops", offset_of!(b::fs_context, ops)),
        ("fs_context.source", offset_of!(b::fs_context, source)),
        (
            "sizeof fs_context_operations",
            size_of::<b::fs_context_operations>(),
        ),
        (
            "fs_context_operations.parse_param",
            offset_of!(b::fs_context_operations, parse_param),
        ),
        (
            "fs_context_operations.get_tree",
            offset_of!(b::fs_context_operations, get_tree),
        ),
        ("fs_parameter.key", offset_of!(b::fs_parameter, key)),
        (
            "fs_parameter.string",
            offset_of!(b::fs_parameter, __bindgen_anon_1),
        ),
        (
            "sizeof pernet_operations",
            size_of::<b::pernet_operations>(),
        ),
        (
            "pernet_operations.exit",
            offset_of!(b::pernet_operations, exit),
        ),
        (
            "sizeof read_descriptor_t",
            size_of::<b::read_descriptor_t>(),
        ),
        (
            "read_descriptor_t.count",
            offset_of!(b::read_descriptor_t, count),
        ),
        (
            "read_descriptor_t.arg",
            offset_of!(b::read_descriptor_t, arg),
        ),
        ("sizeof msghdr", size_of::<b::msghdr>()),
        ("msghdr.msg_iter", offset_of!(b::msghdr, msg_iter)),
        ("msghdr.msg_flags", offset_of!(b::msghdr, msg_flags)),
        ("sizeof kvec", size_of::<b::kvec>()),
        ("socket.sk", offset_of!(b::socket, sk)),
        ("sizeof smb_sk_callbacks", size_of::<b::smb_sk_callbacks>()),
        ("sizeof netfs_inode", size_of::<b::netfs_inode>()),
        ("netfs_inode.ops", offset_of!(b::netfs_inode, ops)),
        ("sizeof kstatfs", size_of::<b::kstatfs>()),
        ("kstatfs.f_namelen", offset_of!(b::kstatfs, f_namelen)),
        ("fs_context.log", offset_of!(b::fs_context, log)),
    ];
    rust.into_iter().enumerate().map(|(id, (what, r))| {
        // SAFETY: a pure function of its argument.
        let c = unsafe { b::smb_helper_layout(id as u32) };
        (what, c, r)
    })
}
