// SPDX-License-Identifier: GPL-2.0
//! NTLMSSP messages and NTLMv2 (MS-NLMP), as raw tokens without SPNEGO.
//!
//! The client sends a NEGOTIATE_MESSAGE ([`negotiate`]), decodes the
//! server's CHALLENGE_MESSAGE ([`challenge`], with its AV pairs in
//! [`av_pair`]) and answers with an AUTHENTICATE_MESSAGE ([`authenticate`])
//! carrying an NTLMv2 response ([`ntlmv2`]). The resulting
//! ExportedSessionKey is the SMB2 session key.
//!
//! Everything is computed from the NT hash ([`ntlmv2::nt_hash`]), so the
//! password itself need not be kept.

pub mod authenticate;
pub mod av_pair;
pub mod challenge;
pub mod flags;
pub mod negotiate;
pub mod ntlmv2;
pub mod version;

/// The 8-byte signature that starts every NTLMSSP message: "NTLMSSP\0".
pub const SIGNATURE: [u8; 8] = *b"NTLMSSP\0";

/// MessageType of a NEGOTIATE_MESSAGE.
pub const MESSAGE_TYPE_NEGOTIATE: u32 = 1;
/// MessageType of a CHALLENGE_MESSAGE.
pub const MESSAGE_TYPE_CHALLENGE: u32 = 2;
/// MessageType of an AUTHENTICATE_MESSAGE.
pub const MESSAGE_TYPE_AUTHENTICATE: u32 = 3;
