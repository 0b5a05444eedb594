// SPDX-License-Identifier: GPL-2.0
//! The smbfs file system type. Mounting is not implemented yet: every mount
//! fails with a message saying so (mount(8) shows it), and nothing else
//! happens.
#![forbid(unsafe_code)]

use crate::kext::fs::{not_my_parameter, FileSystem, FsContext};
use core::ffi::CStr;
use kernel::prelude::*;

pub(crate) struct SmbFs;

impl FileSystem for SmbFs {
    const NAME: &'static CStr = c"smbfs";

    fn parse_param(_fc: &mut FsContext, key: &CStr, _value: Option<&CStr>) -> Result {
        // Let the VFS record the source; accept and ignore the rest, so the
        // user sees why the mount fails rather than an option complaint.
        if key == c"source" {
            return Err(not_my_parameter());
        }
        Ok(())
    }

    fn get_tree(fc: &mut FsContext) -> Result {
        fc.error(c"mounting is not implemented yet; use cifs.ko for now (see README.md)");
        Err(EOPNOTSUPP)
    }
}
