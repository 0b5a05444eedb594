// SPDX-License-Identifier: GPL-2.0
//! Inodes: what a file's attributes on the server mean as a Linux inode,
//! finding an inode by the server's file id, and keeping its attributes
//! fresh (`getattr` after the attribute cache time, `setattr`).
//!
//! An inode is keyed by the server's FileId (FileInternalInformation,
//! MS-FSCC 2.4.20, or a directory entry's FileId). Its number is that id
//! with `serverino` (the default), a number counted by the superblock with
//! `noserverino`.
#![forbid(unsafe_code)]

use crate::kext::clock::mono_ns;
use crate::kext::fs::dentry::{LOOKUP_CREATE, LOOKUP_RENAME_TARGET};
use crate::kext::fs::inode::{self, Attrs, Got, SetAttr, Time, ATTR_ATIME, ATTR_MTIME, ATTR_SIZE};
use crate::kext::fs::{DEntry, INode, SuperBlock};
use crate::smb_clnt::{req, FileInfo};
use crate::super_ops::{SbInfo, SmbFs, EPOCH_DIFF};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::aref::ARef;
use kernel::sync::atomic::{Atomic, Relaxed};

/// Access rights (MS-SMB2 2.2.13.1.1).
pub(crate) const FILE_READ_ATTRIBUTES: u32 = 0x80;
pub(crate) const FILE_WRITE_DATA: u32 = 0x2;
pub(crate) const FILE_WRITE_ATTRIBUTES: u32 = 0x100;
pub(crate) const DELETE: u32 = 0x1_0000;
pub(crate) const SYNCHRONIZE: u32 = 0x10_0000;
/// CreateDisposition FILE_CREATE (MS-SMB2 2.2.13).
pub(crate) const FILE_CREATE: u32 = 2;
/// CreateOptions.
pub(crate) const FILE_DIRECTORY_FILE: u32 = 0x1;
pub(crate) const FILE_NON_DIRECTORY_FILE: u32 = 0x40;
/// FileAttributes (MS-FSCC 2.6).
pub(crate) const ATTR_READONLY: u32 = 0x1;
pub(crate) const ATTR_DIRECTORY: u32 = 0x10;
pub(crate) const ATTR_ARCHIVE: u32 = 0x20;
/// SMB2_0_INFO_FILE and the classes used (MS-FSCC 2.4).
pub(crate) const INFO_FILE: u8 = 1;
const FILE_BASIC_INFORMATION: u8 = 4;
const FILE_INTERNAL_INFORMATION: u8 = 6;
pub(crate) const FILE_DISPOSITION_INFORMATION: u8 = 13;
const FILE_END_OF_FILE_INFORMATION: u8 = 20;

/// smbfs's part of an inode: when its attributes were last fetched.
pub(crate) struct SmbInode {
    /// `mono_ns()` of the last refresh; 0: stale.
    refreshed: Atomic<i64>,
    /// CreationTime (FILETIME) as last seen: `stat`'s birth time.
    created: Atomic<i64>,
}

impl SmbInode {
    pub(crate) fn new() -> Self {
        Self {
            refreshed: Atomic::new(0),
            created: Atomic::new(0),
        }
    }

    /// The creation time, if the server gave one.
    pub(crate) fn btime(&self) -> Option<Time> {
        let ft = u64::try_from(self.created.load(Relaxed)).ok()?;
        (ft != 0).then(|| time_of(ft))
    }

    fn set_created(&self, ft: u64) {
        self.created.store(i64::try_from(ft).unwrap_or(0), Relaxed);
    }

    /// The attributes are to be fetched again at the next `getattr`.
    pub(crate) fn invalidate(&self) {
        self.refreshed.store(0, Relaxed);
    }

    fn stamp(&self) {
        // Never 0, which means stale.
        self.refreshed.store((mono_ns() as i64).max(1), Relaxed);
    }

    fn fresh(&self, max_age_s: u32) -> bool {
        let t = self.refreshed.load(Relaxed);
        let age = (mono_ns() as i64).saturating_sub(t);
        t != 0 && age < i64::from(max_age_s).saturating_mul(1_000_000_000)
    }
}

/// A file found on the server: its id and attributes.
pub(crate) struct Found {
    pub(crate) key: u64,
    pub(crate) info: FileInfo,
}

/// Whether the attributes are a directory's.
pub(crate) fn is_dir(info: &FileInfo) -> bool {
    info.directory != 0 || info.attributes & ATTR_DIRECTORY != 0
}

/// A FILETIME (100 ns since 1601) as Unix time.
pub(crate) fn time_of(ft: u64) -> Time {
    Time {
        // At most u64::MAX / 10^7 (< 2^41) seconds: no overflow.
        sec: (ft / 10_000_000) as i64 - EPOCH_DIFF,
        nsec: ((ft % 10_000_000) * 100) as u32,
    }
}

/// Unix time as a FILETIME (0, "do not change", for a time before 1601).
fn filetime_of(t: Time) -> u64 {
    t.sec
        .checked_add(EPOCH_DIFF)
        .and_then(|s| u64::try_from(s).ok())
        .and_then(|s| s.checked_mul(10_000_000))
        .and_then(|s| s.checked_add(u64::from(t.nsec / 100)))
        .unwrap_or(0)
}

/// The inode attributes of a file with `info`, on the mount `sbi`.
pub(crate) fn attrs_of(sbi: &SbInfo, info: &FileInfo) -> Attrs {
    let o = sbi.view();
    let (ty, perm, nlink) = if is_dir(info) {
        (inode::S_IFDIR, o.dir_mode, 2)
    } else {
        let mut perm = o.file_mode;
        if info.attributes & ATTR_READONLY != 0 {
            perm &= !0o222;
        }
        (inode::S_IFREG, perm, info.nlink.max(1))
    };
    Attrs {
        mode: ty | (perm & 0o7777) as u16,
        nlink,
        uid: o.uid,
        gid: o.gid,
        size: i64::try_from(info.end_of_file).unwrap_or(i64::MAX),
        blocks: info.allocation_size.div_ceil(512),
        atime: time_of(info.last_access_time),
        mtime: time_of(info.last_write_time),
        ctime: time_of(info.change_time),
    }
}

/// CREATE (FILE_OPEN, read attributes) + QUERY_INFO
/// (FileInternalInformation) + CLOSE of `path`: its id and attributes, in
/// one round trip.
pub(crate) fn query(sbi: &SbInfo, path: &CStr) -> Result<Found> {
    let mut r = req::Req::new();
    r.create(path, &req::CreateHow::open(FILE_READ_ATTRIBUTES))?;
    found(sbi, r)
}

/// Runs `r` (a CREATE, which this completes with the id query and a
/// CLOSE asking for the final attributes): the file's id and attributes.
pub(crate) fn found(sbi: &SbInfo, mut r: req::Req) -> Result<Found> {
    r.query_info(req::RELATED, INFO_FILE, FILE_INTERNAL_INFORMATION, 0, 8)?
        .close(req::RELATED, true)?;
    r.run(sbi.clnt()?)?;
    let created = r.created(0)?;
    r.result(1)?;
    let id = r.bytes(1).get(..8).ok_or(EIO)?;
    let key = u64::from_le_bytes(id.try_into().map_err(|_| EIO)?);
    let info = r.closed(2).ok().flatten().unwrap_or(created.info);
    Ok(Found { key, info })
}

/// The inode of `f`: the cached one, its attributes updated, or a new one.
pub(crate) fn get(sb: &SuperBlock<SmbFs>, f: &Found) -> Result<ARef<INode<SmbFs>>> {
    let sbi = sb.data();
    let attrs = attrs_of(sbi, &f.info);
    let mut got = inode::iget(sb, f.key)?;
    if let Got::Cached(i) = &got {
        if i.is_dir() != is_dir(&f.info) {
            // The id now names a file of another type (the server reused
            // a deleted file's number): the cached inode is stale. It
            // leaves the hash, to die with its last user, and the id
            // gets a new inode.
            i.unhash();
            got = inode::iget(sb, f.key)?;
        }
    }
    match got {
        Got::Cached(i) => {
            if i.is_dir() != is_dir(&f.info) {
                return Err(ESTALE);
            }
            i.set_attrs(&attrs);
            i.data().set_created(f.info.creation_time);
            i.data().stamp();
            Ok(i)
        }
        Got::New(n) => {
            let ino = if sbi.serverino { f.key } else { sbi.next_ino() };
            let ops = if is_dir(&f.info) {
                crate::dir::OPS
            } else {
                crate::file::OPS
            };
            n.inode().data().set_created(f.info.creation_time);
            n.inode().data().stamp();
            Ok(n.init(ino, &attrs, ops))
        }
    }
}

/// `getattr`: fetches the attributes again if older than the mount's
/// cache time (`acregmax`, `acdirmax`).
pub(crate) fn getattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result {
    refresh(dentry, inode)
}

/// Fetches the attributes again if older than the cache time.
fn refresh(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result {
    let sbi = inode.super_block().data();
    let v = sbi.view();
    let max = if inode.is_dir() {
        v.acdirmax
    } else {
        v.acregmax
    };
    if inode.data().fresh(max) {
        return Ok(());
    }
    let f = query(sbi, &sbi.path_of(dentry)?)?;
    if f.key != inode.key() || is_dir(&f.info) != inode.is_dir() {
        // Another file has the name now: the next walk looks it up.
        dentry.drop_from_cache();
        return Err(ESTALE);
    }
    inode.set_attrs(&attrs_of(sbi, &f.info));
    inode.data().set_created(f.info.creation_time);
    inode.data().stamp();
    Ok(())
}

/// A timestamp for a negative dentry: when the name was seen not to
/// exist (ms of the monotonic clock, never 0).
pub(crate) fn stamp_negative(dentry: &DEntry<SmbFs>) {
    dentry.set_time((mono_ns() / 1_000_000).max(1));
}

/// `d_revalidate`: a positive dentry is valid while its attributes are
/// (fetched again after the cache time: gone, or another file now, and it
/// is not); a negative one for `acdirmax` after it was seen, and never
/// for a create or a rename's target, which look again.
pub(crate) fn revalidate(dentry: &DEntry<SmbFs>, flags: u32) -> Result<bool> {
    let sbi = dentry.super_block().data();
    let Some(inode) = dentry.inode() else {
        if flags & (LOOKUP_CREATE | LOOKUP_RENAME_TARGET) != 0 {
            return Ok(false);
        }
        let t = dentry.time();
        let age_ms = (mono_ns() / 1_000_000).saturating_sub(t);
        return Ok(t != 0 && age_ms < u64::from(sbi.view().acdirmax) * 1000);
    };
    match getattr(dentry, inode) {
        Ok(()) => Ok(true),
        Err(e) if e == ENOENT || e == ESTALE => Ok(false),
        Err(e) => Err(e),
    }
}

/// `setattr`: the size (FileEndOfFileInformation) and the times
/// (FileBasicInformation) on the server, in one compound. The owner and
/// the mode stay local (the server has no POSIX owner or mode to take
/// them), as with cifs.ko without `modefromsid`.
pub(crate) fn setattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>, a: &SetAttr) -> Result {
    let sbi = inode.super_block().data();
    let times = a.valid & (ATTR_ATIME | ATTR_MTIME) != 0;
    let size = a.valid & ATTR_SIZE != 0;
    if !times && !size {
        return Ok(());
    }
    if size && inode.is_dir() {
        return Err(EISDIR);
    }
    let mut access = FILE_READ_ATTRIBUTES;
    if size {
        access |= FILE_WRITE_DATA;
    }
    if times {
        access |= FILE_WRITE_ATTRIBUTES;
    }
    let path = sbi.path_of(dentry)?;
    let mut r = req::Req::new();
    r.create(&path, &req::CreateHow::open(access))?;
    if size {
        let eof = u64::try_from(a.size).map_err(|_| EINVAL)?;
        r.set_info(
            req::RELATED,
            INFO_FILE,
            FILE_END_OF_FILE_INFORMATION,
            0,
            &eof.to_le_bytes(),
        )?;
    }
    if times {
        // CreationTime, LastAccessTime, LastWriteTime, ChangeTime,
        // FileAttributes, Reserved (MS-FSCC 2.4.7): 0 leaves one as is.
        let mut basic = [0u8; 40];
        if a.valid & ATTR_ATIME != 0 {
            basic[8..16].copy_from_slice(&filetime_of(a.atime).to_le_bytes());
        }
        if a.valid & ATTR_MTIME != 0 {
            basic[16..24].copy_from_slice(&filetime_of(a.mtime).to_le_bytes());
        }
        r.set_info(req::RELATED, INFO_FILE, FILE_BASIC_INFORMATION, 0, &basic)?;
    }
    r.close(req::RELATED, false)?;
    r.run(sbi.clnt()?)?;
    for i in 0..r.len() {
        r.result(i)?;
    }
    // The change time moved on the server: fetch it at the next stat.
    inode.data().invalidate();
    Ok(())
}
