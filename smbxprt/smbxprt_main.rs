// SPDX-License-Identifier: GPL-2.0
//! smbxprt.ko: the SMB2/3 transport.
//!
//! Today it provides the SMB cryptographic primitives (`include/smb/crypto.h`,
//! exported in the "SMB" namespace); sockets, receive, credits and reconnect
//! follow in the transport issues. See Documentation/smbxprt.rst.

use kernel::prelude::*;

#[path = "../rust/bindings/mod.rs"]
pub mod bindings;
#[path = "../rust/exports/smbxprt_crypto.rs"]
pub mod exports;
#[path = "../rust/kext/mod.rs"]
pub mod kext;
#[path = "../rust/smbproto/src/proto/mod.rs"]
pub mod proto;
/// Safe wrapper over `include/smb/crypto.h` (see rust/smb/README.md).
#[path = "../rust/smb/crypto.rs"]
pub mod smb_crypto;

mod crypto_kunit;
mod proto_kunit;

module! {
    type: SmbXprt,
    name: "smbxprt",
    authors: ["smbfs developers"],
    description: "SMB2/3 transport: sockets, credits, signing and encryption, reconnect",
    license: "GPL",
}

struct SmbXprt;

impl kernel::Module for SmbXprt {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("loaded\n");
        Ok(SmbXprt)
    }
}

impl Drop for SmbXprt {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
