// SPDX-License-Identifier: GPL-2.0
//! smbclient.ko: the SMB client API (`smb_clnt`, sessions, tree connects,
//! `smb_run_task`) for smbfs and other in-kernel consumers.
//!
//! Today it provides the NTLM building blocks of `include/smb/auth.h`,
//! computed with smbxprt's exported primitives. See
//! Documentation/smbclient.rst.

use kernel::prelude::*;

#[path = "../rust/bindings/mod.rs"]
pub mod bindings;
#[path = "../rust/exports/smbclient_auth.rs"]
pub mod exports;
#[path = "../rust/kext/mod.rs"]
pub mod kext;
#[path = "../rust/smbproto/src/proto/mod.rs"]
pub mod proto;
/// Safe wrapper over `include/smb/crypto.h` (see rust/smb/README.md).
#[path = "../rust/smb/crypto.rs"]
pub mod smb_crypto;

mod auth;

module! {
    type: SmbClient,
    name: "smbclient",
    authors: ["smbfs developers"],
    description: "SMB2/3 client API: sessions, tree connects and tasks for in-kernel consumers",
    license: "GPL",
    imports_ns: ["SMB"],
}

struct SmbClient;

impl kernel::Module for SmbClient {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("loaded\n");
        Ok(SmbClient)
    }
}

impl Drop for SmbClient {
    fn drop(&mut self) {
        pr_info!("unloaded\n");
    }
}
