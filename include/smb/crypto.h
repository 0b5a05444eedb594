/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMB2/3 cryptographic primitives, exported by smbxprt.ko in the "SMB" symbol
 * namespace (MODULE_IMPORT_NS("SMB") to use them).
 *
 * These are thin, allocation-free wrappers over lib/crypto and cifs_md4: the
 * transport signs and encrypts with them, and everything above it (NTLMSSP in
 * smbclient.ko, in-kernel consumers) uses the same implementation, so there is
 * one place that decides how SMB does its cryptography.
 *
 * All functions may be called in any context, including softirq. None of them
 * allocates. Contexts hold key material: the *_final() functions and
 * smb_aead_abort() zero their context with memzero_explicit(); a context that
 * is abandoned without them must be zeroed by its owner.
 */
#ifndef _SMB_CRYPTO_H
#define _SMB_CRYPTO_H

#include <linux/types.h>
#include <crypto/md5.h>
#include <crypto/sha2.h>
#include <crypto/aes-cbc-macs.h>
#include <crypto/aes-ccm.h>
#include <crypto/aes-gcm.h>

#define SMB_MD4_DIGEST_SIZE	16
#define SMB_AEAD_TAG_SIZE	16

/* MD4 (RFC 1320), one shot. NTLM's NTOWF is its only user. */
void smb_md4(const u8 *data, size_t len, u8 out[SMB_MD4_DIGEST_SIZE]);

/* HMAC-MD5 (RFC 2104), incremental: NTLMv2 (MS-NLMP 3.3.2). */
struct smb_hmac_md5 {
	struct hmac_md5_ctx ctx;
};
void smb_hmac_md5_init(struct smb_hmac_md5 *h, const u8 *key, size_t key_len);
void smb_hmac_md5_update(struct smb_hmac_md5 *h, const u8 *data, size_t len);
void smb_hmac_md5_final(struct smb_hmac_md5 *h, u8 out[MD5_DIGEST_SIZE]);

/* HMAC-SHA256, incremental: SMB 2.x signing and the SP 800-108 KDF. */
struct smb_hmac_sha256 {
	struct hmac_sha256_ctx ctx;
};
void smb_hmac_sha256_init(struct smb_hmac_sha256 *h, const u8 *key,
			  size_t key_len);
void smb_hmac_sha256_update(struct smb_hmac_sha256 *h, const u8 *data,
			    size_t len);
void smb_hmac_sha256_final(struct smb_hmac_sha256 *h,
			   u8 out[SHA256_DIGEST_SIZE]);

/* SHA-512, incremental: the SMB 3.1.1 preauth integrity hash. */
struct smb_sha512 {
	struct sha512_ctx ctx;
};
void smb_sha512_init(struct smb_sha512 *h);
void smb_sha512_update(struct smb_sha512 *h, const u8 *data, size_t len);
void smb_sha512_final(struct smb_sha512 *h, u8 out[SHA512_DIGEST_SIZE]);

/*
 * AES-128-CMAC, incremental: SMB 3.x signing. The context keeps the expanded
 * key next to the MAC state; it may be moved between calls.
 */
struct smb_aes_cmac {
	struct aes_cmac_key key;
	struct aes_cmac_ctx ctx;
};
int smb_aes_cmac_init(struct smb_aes_cmac *m, const u8 *key, size_t key_len);
void smb_aes_cmac_update(struct smb_aes_cmac *m, const u8 *data, size_t len);
void smb_aes_cmac_final(struct smb_aes_cmac *m, u8 out[AES_BLOCK_SIZE]);

/* Cipher ids, as in the ENCRYPTION_CAPABILITIES context (MS-SMB2 2.2.3.1.2). */
enum smb_cipher {
	SMB_CIPHER_AES128_CCM = 1,
	SMB_CIPHER_AES128_GCM = 2,
	SMB_CIPHER_AES256_CCM = 3,
	SMB_CIPHER_AES256_GCM = 4,
};

/*
 * AES-CCM and AES-GCM with a 16-byte tag, incremental over any number of
 * associated-data and data segments, in place or not: SMB 3.x encryption
 * (MS-SMB2 3.1.4.3) and AES-GMAC signing (data_len 0). CCM needs both total
 * lengths up front, so smb_aead_init() takes them for either cipher; the
 * updates must add up to them. The context may be moved between calls.
 *
 * smb_aead_init() returns 0, or -EINVAL for an unknown cipher or a key or
 * nonce of the wrong length (GCM: 12 bytes; CCM: 7 to 13 bytes, SMB uses 11).
 * smb_aead_decrypt_final() returns 0 or -EBADMSG.
 */
struct smb_aead {
	u32 cipher;
	union {
		struct {
			struct aes_gcm_key key;
			struct aes_gcm_ctx ctx;
		} gcm;
		struct {
			struct aes_ccm_key key;
			struct aes_ccm_ctx ctx;
		} ccm;
	};
};
int smb_aead_init(struct smb_aead *a, u32 cipher, const u8 *key,
		  size_t key_len, const u8 *nonce, size_t nonce_len,
		  u64 ad_len, u64 data_len);
void smb_aead_auth_update(struct smb_aead *a, const u8 *ad, size_t len);
void smb_aead_encrypt_update(struct smb_aead *a, u8 *dst, const u8 *src,
			     size_t len);
void smb_aead_decrypt_update(struct smb_aead *a, u8 *dst, const u8 *src,
			     size_t len);
void smb_aead_encrypt_final(struct smb_aead *a, u8 tag[SMB_AEAD_TAG_SIZE]);
int smb_aead_decrypt_final(struct smb_aead *a,
			   const u8 tag[SMB_AEAD_TAG_SIZE]);
void smb_aead_abort(struct smb_aead *a);

/* ARC4, in place: NTLMSSP key exchange (MS-NLMP 3.1.5.1.2). */
int smb_arc4(const u8 *key, size_t key_len, u8 *data, size_t len);

#endif /* _SMB_CRYPTO_H */
