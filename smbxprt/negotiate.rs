// SPDX-License-Identifier: GPL-2.0
//! NEGOTIATE (MS-SMB2 §3.2.4.2.2): offer every dialect in the caller's
//! range (the server picks the highest it supports, so the highest is tried
//! first), with the SMB 3.1.1 contexts, and keep everything the server
//! settled.
#![forbid(unsafe_code)]

use crate::kext::random;
use crate::proto::credits::ChargeClass;
use crate::proto::header::{Command, Header};
use crate::proto::message::{encode, Message, U16List};
use crate::proto::negotiate::{
    capabilities, dialect, security_mode, NegotiateRequest, NegotiateResponse,
};
use crate::proto::negotiate_ctx::{
    cipher, signing_algorithm as signing, NegotiateContext, NegotiateContexts, HASH_SHA512,
};
use crate::proto::preauth::PreauthHash;
use crate::rqst::CallParams;
use crate::smb_crypto::SmbCrypto;
use crate::xprt::Xprt;
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::Arc;

/// The dialects this transport speaks, lowest first.
pub(crate) const DIALECTS: [u16; 4] = [
    dialect::SMB2_1,
    dialect::SMB3_0,
    dialect::SMB3_0_2,
    dialect::SMB3_1_1,
];

/// What NEGOTIATE settled.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Negotiated {
    pub(crate) dialect: u16,
    pub(crate) security_mode: u16,
    pub(crate) capabilities: u32,
    pub(crate) max_transact_size: u32,
    pub(crate) max_read_size: u32,
    pub(crate) max_write_size: u32,
    pub(crate) server_guid: [u8; 16],
    /// 0 if none was negotiated.
    pub(crate) cipher: u16,
    /// 3.1.1's SIGNING_CAPABILITIES choice, or `u16::MAX` if absent.
    pub(crate) signing_algorithm: u16,
    /// Connection.PreauthIntegrityHashValue after NEGOTIATE (3.1.1).
    pub(crate) preauth_hash: [u8; 64],
    pub(crate) generation: u64,
    /// What the request said, for VALIDATE_NEGOTIATE_INFO (MS-SMB2
    /// 3.2.5.5): ClientGuid, Capabilities, SecurityMode and the dialects.
    pub(crate) client_guid: [u8; 16],
    pub(crate) client_capabilities: u32,
    pub(crate) client_security_mode: u16,
    pub(crate) dialects: [u16; 4],
    pub(crate) dialect_count: u16,
}

/// The usual name of a dialect ("3.1.1").
pub(crate) fn dialect_name(d: u16) -> &'static str {
    match d {
        dialect::SMB2_1 => "2.1",
        dialect::SMB3_0 => "3.0",
        dialect::SMB3_0_2 => "3.0.2",
        dialect::SMB3_1_1 => "3.1.1",
        _ => "unknown",
    }
}

/// Checks a dialect range: both ends known, min ≤ max.
pub(crate) fn valid_range(min: u16, max: u16) -> bool {
    DIALECTS.contains(&min) && DIALECTS.contains(&max) && min <= max
}

/// Runs NEGOTIATE on a fresh connection. Called by the connect worker.
pub(crate) fn run(xprt: &Arc<Xprt>, generation: u64) -> Result<Negotiated> {
    let key = &xprt.key;
    let mut offered = [0u16; 4];
    let mut n = 0;
    for d in DIALECTS
        .iter()
        .filter(|d| **d >= key.dialect_min && **d <= key.dialect_max)
    {
        offered[n] = *d;
        n += 1;
    }
    let offered = &offered[..n];
    let want_311 = offered.contains(&dialect::SMB3_1_1);

    let mut salt = [0u8; 32];
    random::fill(&mut salt);
    let client_guid = xprt.client_guid;
    let contexts = [
        NegotiateContext::PreauthIntegrity {
            hash_algorithms: U16List::Values(&[HASH_SHA512]),
            salt: &salt,
        },
        NegotiateContext::Encryption {
            ciphers: U16List::Values(&[
                cipher::AES_128_GCM,
                cipher::AES_128_CCM,
                cipher::AES_256_GCM,
                cipher::AES_256_CCM,
            ]),
        },
        NegotiateContext::Signing {
            algorithms: U16List::Values(&[
                signing::AES_CMAC,
                signing::HMAC_SHA256,
                signing::AES_GMAC,
            ]),
        },
    ];
    let client_capabilities =
        capabilities::LARGE_MTU | capabilities::ENCRYPTION | capabilities::LEASING;
    let req = NegotiateRequest {
        security_mode: security_mode::SIGNING_ENABLED,
        capabilities: client_capabilities,
        client_guid,
        dialects: U16List::Values(offered),
        contexts: if want_311 {
            NegotiateContexts::List(&contexts)
        } else {
            NegotiateContexts::NONE
        },
    };
    let mut buf = [0u8; 512];
    let len = encode(&Header::request(Command::Negotiate), &req, &mut buf).map_err(|_| EINVAL)?;
    let params = CallParams {
        class: ChargeClass::Priority,
        seal: false,
        sign: false,
        reply_capacity: 4096,
        only_on: Some(generation),
    };
    let reply = {
        let mut parts: [&mut [u8]; 1] = [&mut buf[..len]];
        let (r, _) = xprt.call_sync(
            &mut parts,
            None,
            None,
            params,
            Some(xprt.tun.connect_timeout_ms),
        );
        r?
    };

    let status = crate::proto::header::HeaderView::new(&reply)
        .map_err(|_| EPROTO)?
        .status();
    if status != 0 {
        pr_warn!(
            "transport {} to {}: NEGOTIATE failed with status {:#x}\n",
            xprt.id,
            key.addr,
            status
        );
        return Err(EPROTONOSUPPORT);
    }
    let resp = NegotiateResponse::parse(&reply).map_err(|e| {
        pr_warn!(
            "transport {} to {}: malformed NEGOTIATE response ({:?})\n",
            xprt.id,
            key.addr,
            e
        );
        EPROTO
    })?;
    if !offered.contains(&resp.dialect_revision) {
        pr_warn!(
            "transport {} to {}: server chose dialect {:#x}, outside {:#x}..{:#x}\n",
            xprt.id,
            key.addr,
            resp.dialect_revision,
            key.dialect_min,
            key.dialect_max
        );
        return Err(EPROTONOSUPPORT);
    }

    let mut out = Negotiated {
        dialect: resp.dialect_revision,
        security_mode: resp.security_mode,
        capabilities: resp.capabilities,
        max_transact_size: resp.max_transact_size,
        max_read_size: resp.max_read_size,
        max_write_size: resp.max_write_size,
        server_guid: resp.server_guid,
        cipher: 0,
        signing_algorithm: u16::MAX,
        preauth_hash: [0; 64],
        generation,
        client_guid,
        client_capabilities,
        client_security_mode: security_mode::SIGNING_ENABLED,
        dialects: [0; 4],
        dialect_count: offered.len() as u16,
    };
    out.dialects[..offered.len()].copy_from_slice(offered);
    if resp.dialect_revision == dialect::SMB3_1_1 {
        for ctx in resp.contexts.iter() {
            match ctx {
                Ok(NegotiateContext::Encryption { ciphers }) => {
                    out.cipher = ciphers.iter().next().unwrap_or(0)
                }
                Ok(NegotiateContext::Signing { algorithms }) => {
                    out.signing_algorithm = algorithms.iter().next().unwrap_or(u16::MAX)
                }
                Ok(_) => {}
                Err(_) => return Err(EPROTO),
            }
        }
        // MS-SMB2 3.2.5.2: the connection's preauth hash covers the
        // NEGOTIATE request and response as sent and received.
        let mut h = PreauthHash::new();
        h.update(&SmbCrypto, &buf[..len]);
        h.update(&SmbCrypto, &reply[..]);
        out.preauth_hash = *h.value();
    } else if resp.dialect_revision >= dialect::SMB3_0
        && resp.capabilities & capabilities::ENCRYPTION != 0
    {
        out.cipher = cipher::AES_128_CCM;
    }
    if out.max_read_size == 0
        || out.max_write_size == 0
        || usize::try_from(out.max_transact_size).is_err()
    {
        return Err(EPROTO);
    }
    Ok(out)
}
