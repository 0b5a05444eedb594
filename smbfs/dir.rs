// SPDX-License-Identifier: GPL-2.0
//! Directories: lookup, the namespace operations (create, mkdir, unlink,
//! rmdir, rename) and listing.
//!
//! A listing is read whole from the server when it starts (position 2,
//! after `.` and `..`), in QUERY_DIRECTORY batches of 64 KiB
//! (FileIdFullDirectoryInformation), into the open directory's state; the
//! positions after are indexes into it, so that a listing resumed by the
//! next `getdents` continues where it stopped. Names the server gives that
//! cannot be Linux names are left out (`names.rs`).
#![forbid(unsafe_code)]

use crate::inode::Found;
use crate::inode::SmbInode;
use crate::inode::{
    self, DELETE, FILE_CREATE, FILE_DIRECTORY_FILE, FILE_DISPOSITION_INFORMATION,
    FILE_NON_DIRECTORY_FILE, FILE_OPEN_IF, FILE_READ_ATTRIBUTES, INFO_FILE, SYNCHRONIZE,
};
use crate::kext::fs::dentry::{Child, LOOKUP_CREATE, LOOKUP_EXCL, LOOKUP_RENAME_TARGET};
use crate::kext::fs::file::{DirContext, FileOps, DT_DIR, DT_REG};
use crate::kext::fs::inode::{InodeOps, Ops, SetAttr, StatExtra};
use crate::kext::fs::{DEntry, INode};
use crate::names::Dropped;
use crate::proto::info_class::{FileRenameInformation, InfoClass};
use crate::proto::query_dir::{DirEntryIter, FileIdFullDirectoryInformation};
use crate::proto::utf16::encode_utf16le;
use crate::smb_clnt::req;
use crate::stats;
use crate::super_ops::{SbInfo, SmbFs};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::str::CString;
use kernel::sync::aref::ARef;
use kernel::sync::atomic::Relaxed;
use kernel::sync::Mutex;

/// The tables of directory inodes.
pub(crate) const OPS: Ops = Ops::new::<DirInode, DirFile>();

/// FILE_LIST_DIRECTORY (MS-SMB2 2.2.13.1.2).
const FILE_LIST_DIRECTORY: u32 = 0x1;
/// `RENAME_NOREPLACE`.
const RENAME_NOREPLACE: u32 = 1;
/// FileIdFullDirectoryInformation (MS-FSCC 2.4.18).
const FILE_ID_FULL_DIRECTORY_INFORMATION: u8 = 0x26;
/// FileRenameInformation (MS-FSCC 2.4.37).
const FILE_RENAME_INFORMATION: u8 = 10;
/// FileLinkInformation (MS-FSCC 2.4.21), laid out as the rename's.
const FILE_LINK_INFORMATION: u8 = 11;
/// One QUERY_DIRECTORY's output buffer.
const BATCH: usize = 64 << 10;

pub(crate) struct DirInode;

/// CREATE of a new file or directory at `dentry` + its attributes +
/// CLOSE, with `disposition` (FILE_CREATE, or FILE_OPEN_IF for a file
/// that may exist); its inode, and whether this created it.
fn make(dentry: &DEntry<SmbFs>, dir: bool, disposition: u32) -> Result<(ARef<INode<SmbFs>>, bool)> {
    let sb = dentry.super_block();
    let sbi = sb.data();
    let path = sbi.path_of(dentry)?;
    let mut how = req::CreateHow::open(FILE_READ_ATTRIBUTES);
    how.disposition = disposition;
    (how.create_options, how.file_attributes) = if dir {
        (FILE_DIRECTORY_FILE, inode::ATTR_DIRECTORY)
    } else {
        (FILE_NON_DIRECTORY_FILE, inode::ATTR_ARCHIVE)
    };
    let mut r = req::Req::new();
    r.create(&path, &how)?;
    let f = inode::found(sbi, r)?;
    let i = inode::get(sb, &f)?;
    inode::stamp_positive(dentry, dir);
    Ok((i, f.created))
}

/// Deletes what `dentry` names.
fn delete(dentry: &DEntry<SmbFs>, dir: bool) -> Result {
    let sbi = dentry.super_block().data();
    delete_path(sbi, &sbi.path_of(dentry)?, dir)
}

/// Deletes `path`: CREATE (DELETE access) + SET_INFO
/// (FileDispositionInformation) + CLOSE.
fn delete_path(sbi: &SbInfo, path: &CStr, dir: bool) -> Result {
    let mut how = req::CreateHow::open(DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE);
    how.create_options = if dir {
        FILE_DIRECTORY_FILE
    } else {
        FILE_NON_DIRECTORY_FILE
    };
    let mut r = req::Req::new();
    r.create(path, &how)?
        .set_info(
            req::RELATED,
            INFO_FILE,
            FILE_DISPOSITION_INFORMATION,
            0,
            &[1],
        )?
        .close(req::RELATED, false)?;
    sbi.run(&mut r)?;
    r.result(0)?;
    r.result(1)
}

#[vtable]
impl InodeOps for DirInode {
    type Fs = SmbFs;

    fn lookup(
        _dir: &INode<SmbFs>,
        dentry: &DEntry<SmbFs>,
        flags: u32,
    ) -> Result<Option<ARef<INode<SmbFs>>>> {
        // An exclusive create fails on the server if the name exists, and
        // a rename replaces its target or fails: neither needs to know
        // first (as NFS skips these lookups). The dentry is not trusted:
        // the next walk asks.
        if flags & (LOOKUP_CREATE | LOOKUP_EXCL) == LOOKUP_CREATE | LOOKUP_EXCL
            || flags & LOOKUP_RENAME_TARGET != 0
        {
            dentry.set_time(0);
            return Ok(None);
        }
        let sb = dentry.super_block();
        let sbi = sb.data();
        let path = match sbi.path_of(dentry) {
            Ok(p) => p,
            // A name the server cannot hold does not exist there.
            Err(e) if e == EINVAL => {
                inode::stamp_negative(dentry);
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        match inode::query(sbi, &path) {
            Ok(f) => {
                let i = inode::get(sb, &f)?;
                inode::stamp_positive(dentry, i.is_dir());
                Ok(Some(i))
            }
            Err(e) if e == ENOENT => {
                inode::stamp_negative(dentry);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn create(
        dir: &INode<SmbFs>,
        dentry: &DEntry<SmbFs>,
        _mode: u16,
    ) -> Result<ARef<INode<SmbFs>>> {
        let (i, _) = make(dentry, false, FILE_CREATE)?;
        dir.data().invalidate();
        Ok(i)
    }

    fn create_open(
        dir: &INode<SmbFs>,
        dentry: &DEntry<SmbFs>,
        excl: bool,
        _mode: u16,
    ) -> Result<(ARef<INode<SmbFs>>, bool)> {
        let disposition = if excl { FILE_CREATE } else { FILE_OPEN_IF };
        let (i, created) = make(dentry, false, disposition)?;
        if created {
            dir.data().invalidate();
        }
        Ok((i, created))
    }

    fn mkdir(dir: &INode<SmbFs>, dentry: &DEntry<SmbFs>, _mode: u16) -> Result<ARef<INode<SmbFs>>> {
        let (i, _) = make(dentry, true, FILE_CREATE)?;
        dir.data().invalidate();
        Ok(i)
    }

    fn unlink(dir: &INode<SmbFs>, dentry: &DEntry<SmbFs>) -> Result {
        match dentry.inode() {
            Some(i) if i.data().opens.load(Relaxed) > 0 => silly_rename(dentry, i)?,
            _ => delete(dentry, false)?,
        }
        if let Some(i) = dentry.inode() {
            i.drop_nlink();
            i.data().invalidate();
        }
        // The dentry turns negative: it is known not to exist now.
        inode::stamp_negative(dentry);
        dir.data().invalidate();
        Ok(())
    }

    fn rmdir(dir: &INode<SmbFs>, dentry: &DEntry<SmbFs>) -> Result {
        delete(dentry, true)?;
        if let Some(i) = dentry.inode() {
            i.clear_nlink();
        }
        inode::stamp_negative(dentry);
        dir.data().invalidate();
        Ok(())
    }

    fn rename(
        old_dir: &INode<SmbFs>,
        old: &DEntry<SmbFs>,
        new_dir: &INode<SmbFs>,
        new: &DEntry<SmbFs>,
        flags: u32,
    ) -> Result {
        // SMB2 has no exchange and no whiteout.
        if flags & !RENAME_NOREPLACE != 0 {
            return Err(EINVAL);
        }
        let sbi = old.super_block().data();
        let from = sbi.path_of(old)?;
        let to = sbi.path_of(new)?;
        // Replaced while open: the victim keeps a hidden name until its
        // last close.
        let hidden = match new.inode() {
            Some(v) if !v.is_dir() && v.data().opens.load(Relaxed) > 0 => {
                silly_rename(new, v)?;
                Some(v)
            }
            _ => None,
        };
        if let Err(e) = rename_path(sbi, &from, &to, flags & RENAME_NOREPLACE == 0) {
            // The rename failed: the victim gets its name back, as if
            // nothing had happened (if that fails too, it stays hidden
            // and goes at its last close, as the rename meant).
            if let Some(v) = hidden {
                if let Some(h) = v.data().set_silly(None) {
                    if rename_path(sbi, &h, &to, false).is_err() {
                        drop(v.data().set_silly(Some(h)));
                    }
                }
            }
            return Err(e);
        }
        if let Some(victim) = new.inode() {
            if victim.is_dir() {
                victim.clear_nlink();
            } else {
                victim.drop_nlink();
            }
        }
        // The renamed file's attributes stay (its change time may have
        // moved on the server: seen after the cache time, as cifs.ko).
        old_dir.data().invalidate();
        new_dir.data().invalidate();
        Ok(())
    }

    fn link(old: &DEntry<SmbFs>, dir: &INode<SmbFs>, new: &DEntry<SmbFs>) -> Result {
        let sbi = old.super_block().data();
        let from = sbi.path_of(old)?;
        let to = sbi.path_of(new)?;
        let info = rename_info(&to, false)?;
        let mut r = req::Req::new();
        r.create(&from, &req::CreateHow::open(FILE_READ_ATTRIBUTES))?
            .set_info(req::RELATED, INFO_FILE, FILE_LINK_INFORMATION, 0, &info)?
            .close(req::RELATED, false)?;
        sbi.run(&mut r)?;
        r.result(0)?;
        r.result(1)?;
        if let Some(i) = old.inode() {
            // The link count and change time are the server's.
            i.data().invalidate();
            inode::stamp_positive(new, i.is_dir());
        }
        dir.data().invalidate();
        Ok(())
    }

    fn getattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result<StatExtra> {
        inode::getattr(dentry, inode)?;
        Ok(inode.data().stat_extra())
    }

    fn setattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>, attr: &SetAttr) -> Result {
        inode::setattr(dentry, inode, attr)
    }
}

/// One entry of a listing.
struct Entry {
    name: KVec<u8>,
    ino: u64,
    dtype: u32,
}

/// An open directory: the listing being read (`None` until read).
#[pin_data]
pub(crate) struct DirOpen {
    #[pin]
    entries: Mutex<Option<KVec<Entry>>>,
}

/// FileRenameInformation (MS-FSCC 2.4.37.2) for a rename to `to`, a path
/// from the share's root; FileLinkInformation (2.4.21.2) has the same
/// layout.
fn rename_info(to: &CStr, replace: bool) -> Result<KVec<u8>> {
    let to = core::str::from_utf8(to.to_bytes()).map_err(|_| EINVAL)?;
    let units = to.len().checked_mul(2).ok_or(EINVAL)?;
    let mut name = KVec::from_elem(0u8, units, GFP_KERNEL)?;
    let n = encode_utf16le(to, &mut name).map_err(|_| EINVAL)?;
    // The separators as the server has them.
    for c in name[..n].chunks_exact_mut(2) {
        if c == [b'/', 0] {
            c[0] = b'\\';
        }
    }
    let info = FileRenameInformation {
        replace_if_exists: replace,
        root_directory: 0,
        file_name: &name[..n],
    };
    let size = FileRenameInformation::NAME_OFFSET
        .checked_add(n)
        .ok_or(EINVAL)?;
    let mut buf = KVec::from_elem(0u8, size, GFP_KERNEL)?;
    let len = info.emit(&mut buf).map_err(|_| EINVAL)?;
    buf.truncate(len);
    Ok(buf)
}

/// Renames `from` to `to` (paths from the share's root): CREATE (DELETE)
/// + SET_INFO (FileRenameInformation) + CLOSE.
fn rename_path(sbi: &SbInfo, from: &CStr, to: &CStr, replace: bool) -> Result {
    let info = rename_info(to, replace)?;
    let mut r = req::Req::new();
    r.create(
        from,
        &req::CreateHow::open(DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE),
    )?
    .set_info(req::RELATED, INFO_FILE, FILE_RENAME_INFORMATION, 0, &info)?
    .close(req::RELATED, false)?;
    sbi.run(&mut r)?;
    r.result(0)?;
    r.result(1)
}

/// Gives the open file `dentry` names a hidden name in its directory,
/// `.smbfs` and 16 hex digits (silly-rename, as NFS's `.nfs` names), to be
/// deleted at its last close: the name it had is gone at once (for an
/// unlink, or a rename over it), and its open files keep working.
fn silly_rename(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result {
    let sbi = dentry.super_block().data();
    let mut buf = KVec::from_elem(0u8, crate::names::PATH_MAX, GFP_KERNEL)?;
    let rel = dentry.path(&mut buf)?;
    let dir = &rel[..rel.iter().rposition(|c| *c == b'/').unwrap_or(0)];
    let tag = sbi.next_ino().rotate_left(32) ^ inode.key();
    let name = CString::try_from_fmt(fmt!("/.smbfs{tag:016x}"))?;
    let mut hidden = KVec::new();
    hidden.extend_from_slice(dir, GFP_KERNEL)?;
    hidden.extend_from_slice(name.to_bytes(), GFP_KERNEL)?;
    let to = sbi.path(&hidden)?;
    rename_path(sbi, &sbi.path(rel)?, &to, false)?;
    let data = inode.data();
    drop(data.set_silly(Some(to)));
    // Closed meanwhile: nobody else will delete it.
    if data.opens.load(Relaxed) == 0 {
        sillydelete(sbi, data);
    }
    Ok(())
}

/// Deletes the hidden name of a silly-renamed file, if it has one (its
/// last close). A failure leaves the `.smbfs` file on the server, as NFS
/// leaves a `.nfs` one.
pub(crate) fn sillydelete(sbi: &SbInfo, data: &SmbInode) {
    if let Some(path) = data.set_silly(None) {
        if let Err(e) = delete_path(sbi, &path, false) {
            pr_warn!(
                "cannot delete the hidden name of a removed file ({}): left on the server\n",
                e.to_errno()
            );
        }
    }
}

/// Adds a batch of entries to `out`, and what they say of each file to
/// the dcache and the inode cache (as a lookup would), so that `ls -l`
/// or `find` costs no round trip per file while the attributes are fresh.
fn add_batch(dir: &DEntry<SmbFs>, batch: &[u8], out: &mut KVec<Entry>) -> Result {
    let sb = dir.super_block();
    let sbi = sb.data();
    for e in DirEntryIter::<FileIdFullDirectoryInformation<'_>>::new(batch) {
        let e = e.map_err(|_| EIO)?;
        // `.`, `..` (every server sends them) and names Linux cannot take
        // are left out, the latter with a warning.
        let name = match crate::names::from_wire(e.file_name, sbi.mapposix) {
            Ok(n) => n,
            Err(Dropped::Reserved) if matches!(e.file_name, [b'.', 0] | [b'.', 0, b'.', 0]) => {
                continue;
            }
            Err(why) => {
                sbi.warn_dropped(dir, why);
                continue;
            }
        };
        let f = inode::found_in_dir(&e);
        let is_dir = inode::is_dir(&f.info);
        let ino = prime(dir, &name, &f).unwrap_or(if sbi.serverino { f.key } else { 0 });
        out.push(
            Entry {
                name,
                ino,
                dtype: if is_dir { DT_DIR } else { DT_REG },
            },
            GFP_KERNEL,
        )?;
    }
    Ok(())
}

/// Tells the dcache that `name` in `dir` is the file `f`: a new dentry and
/// inode, or fresh attributes for the cached ones. A cached dentry that
/// names another file, or none, is left to be looked up again. The inode
/// number, if the file has an inode now.
fn prime(dir: &DEntry<SmbFs>, name: &[u8], f: &Found) -> Option<u64> {
    let sb = dir.super_block();
    match dir.child(name).ok()? {
        Child::Pending(p) => {
            let i = inode::get(sb, f).ok()?;
            let ino = i.ino();
            let is_dir = i.is_dir();
            if let Some(d) = p.splice(i) {
                inode::stamp_positive(&d, is_dir);
            }
            Some(ino)
        }
        Child::Cached(d) => match d.inode() {
            Some(i) if i.key() == f.key && i.is_dir() == inode::is_dir(&f.info) => {
                inode::get(sb, f).ok()?;
                inode::stamp_positive(&d, i.is_dir());
                Some(i.ino())
            }
            _ => {
                d.set_time(0);
                None
            }
        },
    }
}

/// Reads the whole directory `dir`: CREATE + two QUERY_DIRECTORY in one
/// round trip, which is all for a directory that fits in them, then the
/// rest of the batches on the handle, and CLOSE.
fn list(dir: &DEntry<SmbFs>) -> Result<KVec<Entry>> {
    let sbi = dir.super_block().data();
    let path = sbi.path_of(dir)?;
    let mut how = req::CreateHow::open(FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE);
    how.create_options = FILE_DIRECTORY_FILE;
    let mut r = req::Req::new();
    r.create(&path, &how)?
        .query_dir(
            req::RELATED,
            FILE_ID_FULL_DIRECTORY_INFORMATION,
            true,
            BATCH,
        )?
        .query_dir(
            req::RELATED,
            FILE_ID_FULL_DIRECTORY_INFORMATION,
            false,
            BATCH,
        )?;
    // The first error is the CREATE's, or a QUERY_DIRECTORY's on an open
    // handle: the handle is closed either way below.
    let ran = sbi.run(&mut r);
    let f = r.file(0, &**sbi.clnt()?)?;
    let mut out = KVec::new();
    let listed = ran.and_then(|()| {
        add_batch(dir, r.bytes(1), &mut out)?;
        add_batch(dir, r.bytes(2), &mut out)?;
        if r.bytes(2).is_empty() {
            return Ok(());
        }
        let mut buf = KVVec::from_elem(0u8, BATCH, GFP_KERNEL)?;
        loop {
            sbi.stats.one(stats::QUERY_DIRECTORY);
            let n = f.query_dir(false, &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            add_batch(dir, &buf[..n], &mut out)?;
        }
    });
    sbi.stats.one(stats::CLOSE);
    let closed = f.close();
    listed?;
    closed?;
    Ok(out)
}

pub(crate) struct DirFile;

#[vtable]
impl FileOps for DirFile {
    type Fs = SmbFs;
    type Private = DirOpen;

    fn open(_inode: &INode<SmbFs>) -> Result<impl PinInit<DirOpen, Error>> {
        Ok(try_pin_init!(DirOpen {
            entries <- kernel::new_mutex!(None),
        }? Error))
    }

    fn iterate_shared(dentry: &DEntry<SmbFs>, open: &DirOpen, ctx: &mut DirContext<'_>) -> Result {
        if !ctx.emit_dots() {
            return Ok(());
        }
        let mut entries = open.entries.lock();
        // Read at the start (a rewind reads again), or at the first
        // getdents of an open that was seeked first.
        if ctx.pos() == 2 || entries.is_none() {
            *entries = Some(list(dentry)?);
        }
        let Some(entries) = entries.as_ref() else {
            return Ok(());
        };
        let mut i = usize::try_from(ctx.pos() - 2).map_err(|_| EINVAL)?;
        while let Some(e) = entries.get(i) {
            // The inode's number, as stat gives it; one of the listing's
            // own for an entry the dcache could not take (noserverino),
            // as cifs.ko does.
            let ino = if e.ino == 0 { i as u64 + 3 } else { e.ino };
            if !ctx.emit(&e.name, ino, e.dtype) {
                break;
            }
            i += 1;
            ctx.set_pos(ctx.pos() + 1);
        }
        Ok(())
    }
}
