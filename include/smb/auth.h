/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NTLM authentication building blocks, exported by smbclient.ko in the "SMB"
 * symbol namespace. They use the primitives smbxprt.ko exports
 * (<smb/crypto.h>). Any context; no allocation. Secrets are never logged.
 */
#ifndef _SMB_AUTH_H
#define _SMB_AUTH_H

#include <linux/types.h>

#define SMB_NT_HASH_SIZE	16
#define SMB_NTLMV2_PROOF_SIZE	16

/*
 * smb_nt_hash() - NTOWFv1 of a password: MD4(UTF-16LE(password))
 * (MS-NLMP 3.3.1). @password is UTF-8 of @len bytes; it need not be
 * NUL-terminated. Returns 0, -EINVAL for invalid UTF-8, or -ENAMETOOLONG for a
 * password of more than 256 UTF-16 code units.
 */
int smb_nt_hash(const char *password, size_t len, u8 out[SMB_NT_HASH_SIZE]);

/*
 * struct smb_ntlmv2_input - what an NTLMv2 response is computed from
 * (MS-NLMP 3.3.2). Strings are UTF-8 and not NUL-terminated.
 * @target_info is the server's AV pair list from the CHALLENGE message, and
 * @time the timestamp to use (FILETIME, 100 ns units since 1601).
 */
struct smb_ntlmv2_input {
	const u8 *nt_hash;		/* SMB_NT_HASH_SIZE bytes */
	const char *user;
	size_t user_len;
	const char *domain;
	size_t domain_len;
	const u8 *server_challenge;	/* 8 bytes */
	const u8 *client_challenge;	/* 8 bytes */
	u64 time;
	const u8 *target_info;
	size_t target_info_len;
};

/*
 * smb_ntlmv2_response() - compute NTLMv2's NtChallengeResponse and its
 * SessionBaseKey (MS-NLMP 3.3.2).
 * @resp receives NTProofStr followed by the client blob; on entry *@resp_len
 * is its size, on success the length written. @session_base_key receives 16
 * bytes.
 * Returns 0; -EINVAL for invalid UTF-8 or an unsupported character in the user
 * name; -ENOSPC if @resp is too small; -E2BIG if an input exceeds its bound.
 */
int smb_ntlmv2_response(const struct smb_ntlmv2_input *in, u8 *resp,
			size_t *resp_len, u8 session_base_key[16]);

#endif /* _SMB_AUTH_H */
