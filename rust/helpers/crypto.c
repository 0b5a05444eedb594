// SPDX-License-Identifier: GPL-2.0
#include <crypto/aes-cbc-macs.h>
#include <crypto/md5.h>
#include <crypto/sha2.h>
#include <crypto/utils.h>
#include <linux/string.h>

void smb_helper_hmac_md5_update(struct hmac_md5_ctx *ctx, const u8 *data,
				size_t len)
{
	hmac_md5_update(ctx, data, len);
}

void smb_helper_hmac_sha256_update(struct hmac_sha256_ctx *ctx,
				   const u8 *data, size_t len)
{
	hmac_sha256_update(ctx, data, len);
}

void smb_helper_sha512_update(struct sha512_ctx *ctx, const u8 *data,
			      size_t len)
{
	sha512_update(ctx, data, len);
}

void smb_helper_aes_cmac_init(struct aes_cmac_ctx *ctx,
			      const struct aes_cmac_key *key)
{
	aes_cmac_init(ctx, key);
}

void smb_helper_memzero_explicit(void *s, size_t count)
{
	memzero_explicit(s, count);
}

int smb_helper_crypto_memneq(const void *a, const void *b, size_t size)
{
	return crypto_memneq(a, b, size);
}
