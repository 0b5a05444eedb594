// SPDX-License-Identifier: GPL-2.0
//! smbfs.ko: `mount -t smbfs //server/share /mnt`, the VFS on top of
//! smbclient.ko.
//!
//! The superblock and mount options are in `super_ops.rs` and
//! `options.rs`, inodes in `inode.rs`, directories in `dir.rs`, regular
//! files in `file.rs`, names in `names.rs`. See Documentation/smbfs.rst.

use kernel::prelude::*;

#[path = "../rust/bindings/mod.rs"]
pub mod bindings;
#[path = "../rust/kext/mod.rs"]
pub mod kext;
#[path = "../rust/smbproto/src/proto/mod.rs"]
pub mod proto;
/// Safe wrapper over `include/smb/auth.h` (see rust/smb/README.md).
#[path = "../rust/smb/auth.rs"]
pub mod smb_auth;
/// Safe wrapper over `include/smb/clnt.h`: the only way smbfs reaches
/// the server.
#[path = "../rust/smb/clnt.rs"]
pub mod smb_clnt;

mod auth_kunit;
mod dir;
mod file;
mod inode;
mod names;
mod names_kunit;
mod options;
mod options_kunit;
mod stats;
mod super_ops;

module! {
    type: SmbFsModule,
    name: "smbfs",
    authors: ["smbfs developers"],
    description: "SMB2/3 file system (mount -t smbfs)",
    license: "GPL",
    alias: ["fs-smbfs"],
    imports_ns: ["SMB"],
}

struct SmbFsModule {
    _fs: Pin<KBox<kext::fs::Registration>>,
}

impl kernel::Module for SmbFsModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        // Before the type is registered, for the first mount's entries.
        let _ = stats::DEBUGFS.install(kernel::sync::Arc::new(
            kernel::debugfs::Dir::new(c"smbfs"),
            GFP_KERNEL,
        )?);
        let fs = KBox::pin_init(
            kext::fs::Registration::new::<super_ops::SmbFs>(module),
            GFP_KERNEL,
        );
        let fs = fs.inspect_err(|_| drop(stats::DEBUGFS.remove()))?;
        pr_info!("registered file system type smbfs\n");
        Ok(SmbFsModule { _fs: fs })
    }
}

impl Drop for SmbFsModule {
    fn drop(&mut self) {
        // No mount is left (each holds the module), so no mount's
        // directory is.
        drop(stats::DEBUGFS.remove());
    }
}
