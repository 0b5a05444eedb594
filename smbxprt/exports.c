// SPDX-License-Identifier: GPL-2.0
/*
 * The symbols smbxprt.ko exports. They are defined in Rust (see
 * rust/exports/smbxprt_crypto.rs and rust/exports/smbxprt_xprt.rs, whose
 * signatures are checked against the headers at compile time) and
 * exported here, in the "SMB" namespace.
 */
#include <linux/export.h>
#include <smb/crypto.h>

EXPORT_SYMBOL_NS_GPL(smb_md4, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_hmac_md5_init, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_hmac_md5_update, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_hmac_md5_final, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_hmac_sha256_init, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_hmac_sha256_update, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_hmac_sha256_final, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_sha512_init, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_sha512_update, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_sha512_final, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aes_cmac_init, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aes_cmac_update, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aes_cmac_final, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aead_init, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aead_auth_update, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aead_encrypt_update, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aead_decrypt_update, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aead_encrypt_final, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aead_decrypt_final, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_aead_abort, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_arc4, "SMB");

#include <smb/xprt.h>

EXPORT_SYMBOL_NS_GPL(smb_xprt_get, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_put, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_wait_connected, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_negotiated, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_call, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_charge, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_reserve, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_unreserve, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_send, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_finish, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_cancel, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_echo, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_register_handler, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_unregister_handler, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_set_session_keys, "SMB");
EXPORT_SYMBOL_NS_GPL(smb_xprt_clear_session_keys, "SMB");
