// SPDX-License-Identifier: GPL-2.0
//! Regular files: attributes only, for now (the data path through netfs
//! is the next step). They can be opened and closed, stat'ed, truncated
//! and their times set.
#![forbid(unsafe_code)]

use crate::inode;
use crate::kext::fs::file::FileOps;
use crate::kext::fs::inode::{InodeOps, Ops, SetAttr, StatExtra};
use crate::kext::fs::{DEntry, INode};
use crate::super_ops::SmbFs;
use kernel::prelude::*;

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

#[vtable]
impl FileOps for RegFile {
    type Fs = SmbFs;
    type Private = ();

    fn open(_inode: &INode<SmbFs>) -> Result<impl PinInit<(), Error>> {
        Ok(Ok::<(), Error>(()))
    }
}
