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
use crate::kext::fs::dentry::{RcuDEntry, LOOKUP_CREATE, LOOKUP_RENAME_TARGET};
use crate::kext::fs::inode::{
    self, Attrs, Got, SetAttr, StatExtra, Time, ATTR_ATIME, ATTR_GID, ATTR_MODE, ATTR_MTIME,
    ATTR_SIZE, ATTR_UID,
};
use crate::kext::fs::{DEntry, INode, SuperBlock};
use crate::proto::info_class::FileAllInformation;
use crate::proto::info_class::{FileBasicInformation, FileStandardInformation, InfoClass};
use crate::proto::query_dir::FileIdFullDirectoryInformation;
use crate::smb_clnt::{req, FileInfo};
use crate::super_ops::{SbInfo, SmbFs, EPOCH_DIFF};
use kernel::prelude::*;
use kernel::str::{CStr, CString};
use kernel::sync::aref::ARef;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{new_mutex, Mutex};

/// Access rights (MS-SMB2 2.2.13.1.1).
pub(crate) const FILE_READ_ATTRIBUTES: u32 = 0x80;
pub(crate) const FILE_WRITE_DATA: u32 = 0x2;
pub(crate) const FILE_WRITE_ATTRIBUTES: u32 = 0x100;
pub(crate) const DELETE: u32 = 0x1_0000;
pub(crate) const SYNCHRONIZE: u32 = 0x10_0000;
/// CreateDisposition FILE_CREATE and FILE_OPEN_IF (MS-SMB2 2.2.13).
pub(crate) const FILE_CREATE: u32 = 2;
pub(crate) const FILE_OPEN_IF: u32 = 3;
/// CreateAction FILE_CREATED (MS-SMB2 2.2.14).
const FILE_CREATED: u32 = 2;
/// CreateOptions.
pub(crate) const FILE_DIRECTORY_FILE: u32 = 0x1;
pub(crate) const FILE_NON_DIRECTORY_FILE: u32 = 0x40;
/// FileAttributes (MS-FSCC 2.6).
pub(crate) const ATTR_READONLY: u32 = 0x1;
pub(crate) const ATTR_DIRECTORY: u32 = 0x10;
pub(crate) const ATTR_ARCHIVE: u32 = 0x20;
const ATTR_NORMAL: u32 = 0x80;
const ATTR_COMPRESSED: u32 = 0x800;
const ATTR_ENCRYPTED: u32 = 0x4000;
/// SMB2_0_INFO_FILE and the classes used (MS-FSCC 2.4).
pub(crate) const INFO_FILE: u8 = 1;
const FILE_BASIC_INFORMATION: u8 = 4;
const FILE_ALL_INFORMATION: u8 = 18;
pub(crate) const FILE_DISPOSITION_INFORMATION: u8 = 13;
const FILE_END_OF_FILE_INFORMATION: u8 = 20;

/// smbfs's part of an inode: when its attributes were last fetched.
#[pin_data]
pub(crate) struct SmbInode {
    /// `mono_ns()` of the last refresh; 0: stale.
    refreshed: Atomic<i64>,
    /// CreationTime (FILETIME) as last seen: `stat`'s birth time.
    created: Atomic<i64>,
    /// FileAttributes as last seen (READONLY is the mode's write bits).
    attributes: Atomic<u32>,
    /// Open files of the inode.
    pub(crate) opens: Atomic<i32>,
    /// The hidden name (a path from the share's root) an open file was
    /// renamed to when it was unlinked or renamed over (silly-rename):
    /// deleted at its last close.
    /// (A mutex: copied out with an allocation; process context only.)
    #[pin]
    silly: Mutex<Option<CString>>,
}

impl SmbInode {
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            refreshed: Atomic::new(0),
            created: Atomic::new(0),
            attributes: Atomic::new(0),
            opens: Atomic::new(0),
            silly <- new_mutex!(None, "SmbInode::silly"),
        }? Error)
    }

    /// Sets the silly-renamed name (see [`SmbInode::silly`]).
    pub(crate) fn set_silly(&self, path: Option<CString>) -> Option<CString> {
        core::mem::replace(&mut *self.silly.lock(), path)
    }

    /// The silly-renamed name, a copy (`None` if the file was not).
    fn silly_path(&self) -> Result<Option<CString>> {
        let g = self.silly.lock();
        match g.as_ref() {
            None => Ok(None),
            Some(p) => Ok(Some(CString::try_from(p.as_ref() as &CStr)?)),
        }
    }

    /// The creation time, if the server gave one.
    fn btime(&self) -> Option<Time> {
        let ft = u64::try_from(self.created.load(Relaxed)).ok()?;
        (ft != 0).then(|| time_of(ft))
    }

    /// What `statx` reports beyond the attributes: the birth time, and
    /// the COMPRESSED and ENCRYPTED attributes.
    pub(crate) fn stat_extra(&self) -> StatExtra {
        let a = self.attributes.load(Relaxed);
        StatExtra {
            btime: self.btime(),
            compressed: a & ATTR_COMPRESSED != 0,
            encrypted: a & ATTR_ENCRYPTED != 0,
        }
    }

    /// Takes what the inode keeps of `info` besides its attributes.
    fn set_info(&self, info: &FileInfo) {
        self.created
            .store(i64::try_from(info.creation_time).unwrap_or(0), Relaxed);
        self.attributes.store(info.attributes, Relaxed);
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
    /// The CREATE made the file (CreateAction FILE_CREATED).
    pub(crate) created: bool,
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
/// (FileAllInformation) + CLOSE of `path`: its id and attributes, in one
/// round trip.
pub(crate) fn query(sbi: &SbInfo, path: &CStr) -> Result<Found> {
    let mut r = req::Req::new();
    r.create(path, &req::CreateHow::open(FILE_READ_ATTRIBUTES))?;
    found(sbi, r)
}

/// FileAllInformation's size with the longest name a path can have in
/// UTF-16 (MS-FSCC 2.4.2: the name follows 100 fixed bytes).
const ALL_INFO_SIZE: usize = FileAllInformation::NAME_OFFSET + 2 * crate::names::PATH_MAX;

/// Ends `r` (a CREATE and what follows it on the file) with a
/// FileAllInformation query and a CLOSE: the query's index.
fn query_all_and_close(r: &mut req::Req) -> Result<usize> {
    let q = r.len();
    r.query_info(
        req::RELATED,
        INFO_FILE,
        FILE_ALL_INFORMATION,
        0,
        ALL_INFO_SIZE,
    )?
    .close(req::RELATED, false)?;
    Ok(q)
}

/// Runs `r` (a CREATE, which this completes with a FileAllInformation
/// query and a CLOSE): the file's id and attributes.
pub(crate) fn found(sbi: &SbInfo, mut r: req::Req) -> Result<Found> {
    let q = query_all_and_close(&mut r)?;
    sbi.run(&mut r)?;
    let created = r.created(0)?.create_action == FILE_CREATED;
    r.result(q)?;
    let (key, info) = all_info(r.bytes(q))?;
    Ok(Found { key, info, created })
}

/// The file id and attributes in a FileAllInformation answer: its fixed
/// part only, as a server may cut the name short (and say
/// STATUS_BUFFER_OVERFLOW), and the name is not needed.
fn all_info(b: &[u8]) -> Result<(u64, FileInfo)> {
    let basic = FileBasicInformation::parse(b).map_err(|_| EIO)?;
    let std = b
        .get(FileBasicInformation::LEN..)
        .and_then(|b| FileStandardInformation::parse(b).ok())
        .ok_or(EIO)?;
    let id = b.get(64..72).ok_or(EIO)?;
    let key = u64::from_le_bytes(id.try_into().map_err(|_| EIO)?);
    let info = FileInfo {
        creation_time: basic.creation_time,
        last_access_time: basic.last_access_time,
        last_write_time: basic.last_write_time,
        change_time: basic.change_time,
        allocation_size: std.allocation_size,
        end_of_file: std.end_of_file,
        attributes: basic.file_attributes,
        nlink: std.number_of_links,
        delete_pending: u8::from(std.delete_pending),
        directory: u8::from(std.directory),
    };
    Ok((key, info))
}

/// The attributes of a directory entry (FileIdFullDirectoryInformation):
/// those of FileAllInformation but the link count, unknown (0).
pub(crate) fn found_in_dir(e: &FileIdFullDirectoryInformation<'_>) -> Found {
    let t = &e.times;
    Found {
        key: e.file_id,
        info: FileInfo {
            creation_time: t.creation_time,
            last_access_time: t.last_access_time,
            last_write_time: t.last_write_time,
            change_time: t.change_time,
            allocation_size: t.allocation_size,
            end_of_file: t.end_of_file,
            attributes: t.file_attributes,
            nlink: 0,
            delete_pending: 0,
            directory: u8::from(t.file_attributes & ATTR_DIRECTORY != 0),
        },
        created: false,
    }
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
            let mut attrs = attrs;
            if f.info.nlink == 0 && !i.is_dir() {
                // A directory entry has no link count: keep the known one.
                attrs.nlink = i.nlink().max(1);
            }
            i.set_attrs(&attrs);
            i.data().set_info(&f.info);
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
            n.inode().data().set_info(&f.info);
            n.inode().data().stamp();
            Ok(n.init(ino, &attrs, ops))
        }
    }
}

/// The server's path of `inode`, reached through `dentry`: its hidden
/// name if it was silly-renamed (the dentry is then unhashed, and names
/// what the file was).
pub(crate) fn path_for(
    sbi: &SbInfo,
    dentry: &DEntry<SmbFs>,
    inode: &INode<SmbFs>,
) -> Result<CString> {
    match inode.data().silly_path()? {
        Some(p) => Ok(p),
        None => sbi.path_of(dentry),
    }
}

/// `getattr`: fetches the attributes again if older than the mount's
/// cache time (`acregmax`, `acdirmax`).
pub(crate) fn getattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result {
    refresh(dentry, inode)
}

/// The attribute cache time of `inode`, seconds.
fn max_age(sbi: &SbInfo, dir: bool) -> u32 {
    let v = sbi.view();
    if dir {
        v.acdirmax
    } else {
        v.acregmax
    }
}

/// Fetches the attributes again if older than the cache time.
fn refresh(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result {
    let sbi = inode.super_block().data();
    let max = max_age(sbi, inode.is_dir());
    if inode.data().fresh(max) {
        return Ok(());
    }
    let f = query(sbi, &path_for(sbi, dentry, inode)?)?;
    if f.key != inode.key() || is_dir(&f.info) != inode.is_dir() {
        // Another file has the name now: the next walk looks it up.
        dentry.drop_from_cache();
        return Err(ESTALE);
    }
    inode.set_attrs(&attrs_of(sbi, &f.info));
    inode.data().set_info(&f.info);
    inode.data().stamp();
    trust(dentry, max);
    Ok(())
}

/// Milliseconds of the monotonic clock.
fn now_ms() -> u64 {
    mono_ns() / 1_000_000
}

/// The dentry's name is trusted to name what it does (a file, or none)
/// for `secs` from now, without asking the server: `d_time` is when that
/// ends, in [`now_ms`] (0: not trusted).
pub(crate) fn trust(dentry: &DEntry<SmbFs>, secs: u32) {
    let until = now_ms().saturating_add(u64::from(secs) * 1000);
    dentry.set_time(until.max(1));
}

/// A name seen not to exist: trusted for `acdirmax`.
pub(crate) fn stamp_negative(dentry: &DEntry<SmbFs>) {
    trust(dentry, dentry.super_block().data().view().acdirmax);
}

/// A name just found to be `inode`'s: trusted for its cache time.
pub(crate) fn stamp_positive(dentry: &DEntry<SmbFs>, dir: bool) {
    trust(dentry, max_age(dentry.super_block().data(), dir));
}

/// Whether a dentry's trust (see [`trust`]) still holds.
fn trusted(until: u64) -> bool {
    until != 0 && now_ms() < until
}

/// `d_revalidate`: a dentry is valid while trusted (for its cache time
/// after it was last seen on the server: [`trust`]); a positive one then
/// fetches its attributes (gone, or another file now, and it is not), and
/// a negative one is not, and is never for a create or a rename's target,
/// which look again.
pub(crate) fn revalidate(dentry: &DEntry<SmbFs>, flags: u32) -> Result<bool> {
    let Some(inode) = dentry.inode() else {
        if flags & (LOOKUP_CREATE | LOOKUP_RENAME_TARGET) != 0 {
            return Ok(false);
        }
        return Ok(trusted(dentry.time()));
    };
    if trusted(dentry.time()) {
        // The name is known to be this file's; its attributes are
        // getattr's business.
        return Ok(true);
    }
    match getattr(dentry, inode) {
        Ok(()) => Ok(true),
        Err(e) if e == ENOENT || e == ESTALE => Ok(false),
        Err(e) => Err(e),
    }
}

/// `d_revalidate` in an RCU walk: valid while trusted, without asking.
/// Otherwise the walk falls back to [`revalidate`].
pub(crate) fn revalidate_rcu(dentry: &RcuDEntry<'_>, flags: u32) -> bool {
    if dentry.is_negative() && flags & (LOOKUP_CREATE | LOOKUP_RENAME_TARGET) != 0 {
        return false;
    }
    trusted(dentry.time())
}

/// `setattr`: the size (FileEndOfFileInformation), and the times and
/// the READONLY attribute (FileBasicInformation), in one compound. The
/// mode's write bits are READONLY (a file with none is read-only), as
/// with cifs.ko without `modefromsid`; the other bits, and a directory's,
/// stay local until the attributes are fetched again. The owner is the
/// mount's: a chown to another is refused (EPERM).
pub(crate) fn setattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>, a: &SetAttr) -> Result {
    let sb = inode.super_block();
    let sbi = sb.data();
    let v = sbi.view();
    if a.valid & ATTR_UID != 0 && sb.kuid(v.uid).map(|k| k.val) != Some(a.kuid) {
        return Err(EPERM);
    }
    if a.valid & ATTR_GID != 0 && sb.kgid(v.gid).map(|k| k.val) != Some(a.kgid) {
        return Err(EPERM);
    }
    let times = a.valid & (ATTR_ATIME | ATTR_MTIME) != 0;
    let size = a.valid & ATTR_SIZE != 0;
    let attributes = if a.valid & ATTR_MODE != 0 && !inode.is_dir() {
        let old = inode.data().attributes.load(Relaxed);
        let new = if a.mode & 0o222 == 0 {
            old | ATTR_READONLY
        } else {
            old & !ATTR_READONLY
        };
        // 0 would mean "unchanged": NORMAL is "none" (MS-FSCC 2.6).
        (new != old).then_some(if new == 0 { ATTR_NORMAL } else { new })
    } else {
        None
    };
    if !times && !size && attributes.is_none() {
        return Ok(());
    }
    if size && inode.is_dir() {
        return Err(EISDIR);
    }
    let mut access = FILE_READ_ATTRIBUTES;
    if size {
        access |= FILE_WRITE_DATA;
    }
    if times || attributes.is_some() {
        access |= FILE_WRITE_ATTRIBUTES;
    }
    let path = path_for(sbi, dentry, inode)?;
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
    if times || attributes.is_some() {
        // CreationTime, LastAccessTime, LastWriteTime, ChangeTime,
        // FileAttributes, Reserved (MS-FSCC 2.4.7): 0 leaves one as is.
        let mut basic = [0u8; 40];
        if a.valid & ATTR_ATIME != 0 {
            basic[8..16].copy_from_slice(&filetime_of(a.atime).to_le_bytes());
        }
        if a.valid & ATTR_MTIME != 0 {
            basic[16..24].copy_from_slice(&filetime_of(a.mtime).to_le_bytes());
        }
        if let Some(attrs) = attributes {
            basic[32..36].copy_from_slice(&attrs.to_le_bytes());
        }
        r.set_info(req::RELATED, INFO_FILE, FILE_BASIC_INFORMATION, 0, &basic)?;
    }
    // The attributes after the change (the server's change time), in the
    // same round trip.
    let q = query_all_and_close(&mut r)?;
    sbi.run(&mut r)?;
    for i in 0..q {
        r.result(i)?;
    }
    match r.result(q).and_then(|()| all_info(r.bytes(q))) {
        Ok((key, info)) if key == inode.key() => {
            let mut attrs = attrs_of(sbi, &info);
            // The new mode and times are set as asked just after this
            // (setattr_copy); the rest is the server's.
            attrs.mode = inode.mode();
            inode.set_attrs(&attrs);
            inode.data().set_info(&info);
            inode.data().stamp();
        }
        // Fetched again at the next stat.
        _ => inode.data().invalidate(),
    }
    Ok(())
}
