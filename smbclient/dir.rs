// SPDX-License-Identifier: GPL-2.0
//! Directories (QUERY_DIRECTORY, MS-SMB2 2.2.33): a resumable enumeration
//! that returns the next batch of entries of a directory open, as MS-FSCC
//! encodes them, into a caller's buffer of up to 1 MiB (one multi-credit
//! request; the server keeps the position with the open); and `readdir`,
//! the whole listing to a callback.
#![forbid(unsafe_code)]

use crate::clnt::ClntCore;
use crate::ops::FileInfo;
use crate::proto::message::FileId;
use crate::proto::query_dir::{
    dir_info_class, FileIdBothDirectoryInformation, QueryDirectoryResponse,
};
use crate::typed::{Op, MAX_DIR_BATCH};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::Arc;

/// `readdir`'s batches.
const READDIR_BATCH: usize = 64 * 1024;

impl ClntCore {
    /// The next batch of entries of the directory open as `fid`, in
    /// information class `class` (`dir_info_class`), from its start if
    /// `restart`, into `out` (as MS-FSCC 2.4 encodes them, chained by
    /// NextEntryOffset): the bytes written, 0 when there are no more. At
    /// most `out.len()`, 1 MiB and the server's maximum transact size are
    /// asked for; `EINVAL` for a buffer too small for one entry header.
    pub(crate) fn query_dir(
        self: &Arc<Self>,
        fid: FileId,
        class: u8,
        restart: bool,
        out: &mut [u8],
    ) -> Result<usize> {
        if out.len() < 128 {
            return Err(EINVAL);
        }
        // Not replayable: the server's position in the listing moves.
        let ops = [Op::QueryDir {
            fid,
            class,
            restart,
            size: out.len().min(MAX_DIR_BATCH),
        }];
        let r = self.run_ops(&ops);
        r.out(0)?;
        let entries = r.bytes(0);
        let dst = out.get_mut(..entries.len()).ok_or(EPROTO)?;
        dst.copy_from_slice(entries);
        Ok(entries.len())
    }

    /// Lists the directory open as `fid` (pattern "*"), calling `f` with
    /// each entry's UTF-16LE name, attributes and FileId, until the server
    /// has no more or `f` returns false. Returns how many entries `f` saw.
    pub(crate) fn readdir(
        self: &Arc<Self>,
        fid: FileId,
        f: &mut dyn FnMut(&[u8], &FileInfo, u64) -> bool,
    ) -> Result<usize> {
        let mut buf = KVec::from_elem(0u8, READDIR_BATCH, GFP_KERNEL)?;
        let mut seen = 0usize;
        let mut restart = true;
        loop {
            let n = self.query_dir(fid, dir_info_class::ID_BOTH_DIRECTORY, restart, &mut buf)?;
            restart = false;
            if n == 0 {
                return Ok(seen);
            }
            let rsp = QueryDirectoryResponse { output: &buf[..n] };
            for e in rsp.entries::<FileIdBothDirectoryInformation<'_>>() {
                let e = e.map_err(|_| EPROTO)?;
                let info = FileInfo {
                    creation_time: e.times.creation_time,
                    last_access_time: e.times.last_access_time,
                    last_write_time: e.times.last_write_time,
                    change_time: e.times.change_time,
                    attributes: e.times.file_attributes,
                    allocation_size: e.times.allocation_size,
                    end_of_file: e.times.end_of_file,
                    nlink: 1,
                    delete_pending: false,
                    directory: e.times.file_attributes & 0x10 != 0,
                };
                seen += 1;
                if !f(e.file_name, &info, e.file_id) {
                    return Ok(seen);
                }
            }
        }
    }
}
