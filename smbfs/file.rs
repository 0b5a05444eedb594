// SPDX-License-Identifier: GPL-2.0
//! Regular files: attributes only, for now (the data path through netfs
//! is the next step). They can be opened and closed, stat'ed, truncated
//! and their times set; an open one that is unlinked keeps a hidden name
//! until its last close.
#![forbid(unsafe_code)]

use crate::inode;
use crate::kext::fs::file::FileOps;
use crate::kext::fs::inode::{InodeOps, Ops, SetAttr, StatExtra};
use crate::kext::fs::{DEntry, INode};
use crate::super_ops::SmbFs;
use kernel::prelude::*;
use kernel::sync::aref::ARef;
use kernel::sync::atomic::Relaxed;

/// The tables of regular file inodes.
pub(crate) const OPS: Ops = Ops::new::<FileInode, RegFile>();

pub(crate) struct FileInode;

#[vtable]
impl InodeOps for FileInode {
    type Fs = SmbFs;

    fn getattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result<StatExtra> {
        inode::getattr(dentry, inode)?;
        Ok(inode.data().stat_extra())
    }

    fn setattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>, attr: &SetAttr) -> Result {
        inode::setattr(dentry, inode, attr)
    }
}

pub(crate) struct RegFile;

/// An open regular file: counted on its inode, so that an unlink or a
/// rename over it gives it a hidden name instead (`dir.rs`,
/// silly-rename), deleted when the last open is dropped (its last close,
/// in process context).
pub(crate) struct RegOpen {
    inode: ARef<INode<SmbFs>>,
}

impl RegOpen {
    fn new(inode: &INode<SmbFs>) -> Self {
        inode.data().opens.fetch_add(1, Relaxed);
        Self {
            inode: ARef::from(inode),
        }
    }
}

impl Drop for RegOpen {
    fn drop(&mut self) {
        let data = self.inode.data();
        if data.opens.fetch_sub(1, Relaxed) == 1 {
            crate::dir::sillydelete(self.inode.super_block().data(), data);
        }
    }
}

#[vtable]
impl FileOps for RegFile {
    type Fs = SmbFs;
    type Private = RegOpen;

    fn open(inode: &INode<SmbFs>) -> Result<impl PinInit<RegOpen, Error>> {
        // Dropped (and uncounted) if the open fails after this.
        Ok(Ok::<RegOpen, Error>(RegOpen::new(inode)))
    }
}
