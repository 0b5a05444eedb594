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

use crate::inode::{
    self, DELETE, FILE_CREATE, FILE_DIRECTORY_FILE, FILE_DISPOSITION_INFORMATION,
    FILE_NON_DIRECTORY_FILE, FILE_READ_ATTRIBUTES, INFO_FILE, SYNCHRONIZE,
};
use crate::kext::fs::file::{DirContext, FileOps, DT_DIR, DT_REG};
use crate::kext::fs::inode::{InodeOps, Ops, SetAttr, Time};
use crate::kext::fs::{DEntry, INode};
use crate::proto::query_dir::{DirEntryIter, FileIdFullDirectoryInformation};
use crate::smb_clnt::{req, OpenHow};
use crate::super_ops::{SbInfo, SmbFs};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::aref::ARef;
use kernel::sync::Mutex;

/// The tables of directory inodes.
pub(crate) const OPS: Ops = Ops::new::<DirInode, DirFile>();

/// FILE_LIST_DIRECTORY (MS-SMB2 2.2.13.1.2).
const FILE_LIST_DIRECTORY: u32 = 0x1;
/// `RENAME_NOREPLACE`.
const RENAME_NOREPLACE: u32 = 1;
/// One QUERY_DIRECTORY's output buffer.
const BATCH: usize = 64 << 10;

pub(crate) struct DirInode;

/// CREATE of a new file or directory at `dentry` + its id + CLOSE; its
/// inode.
fn make(dentry: &DEntry<SmbFs>, dir: bool) -> Result<ARef<INode<SmbFs>>> {
    let sb = dentry.super_block();
    let sbi = sb.data();
    let path = sbi.path_of(dentry)?;
    let mut how = req::CreateHow::open(FILE_READ_ATTRIBUTES);
    how.disposition = FILE_CREATE;
    (how.create_options, how.file_attributes) = if dir {
        (FILE_DIRECTORY_FILE, inode::ATTR_DIRECTORY)
    } else {
        (FILE_NON_DIRECTORY_FILE, inode::ATTR_ARCHIVE)
    };
    let mut r = req::Req::new();
    r.create(&path, &how)?;
    let f = inode::found(sbi, r)?;
    inode::get(sb, &f)
}

/// Deletes what `dentry` names: CREATE (DELETE access) + SET_INFO
/// (FileDispositionInformation) + CLOSE.
fn delete(dentry: &DEntry<SmbFs>, dir: bool) -> Result {
    let sbi = dentry.super_block().data();
    let path = sbi.path_of(dentry)?;
    let mut how = req::CreateHow::open(DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE);
    how.create_options = if dir {
        FILE_DIRECTORY_FILE
    } else {
        FILE_NON_DIRECTORY_FILE
    };
    let mut r = req::Req::new();
    r.create(&path, &how)?
        .set_info(
            req::RELATED,
            INFO_FILE,
            FILE_DISPOSITION_INFORMATION,
            0,
            &[1],
        )?
        .close(req::RELATED, false)?;
    r.run(sbi.clnt()?)?;
    r.result(0)?;
    r.result(1)
}

#[vtable]
impl InodeOps for DirInode {
    type Fs = SmbFs;

    fn lookup(_dir: &INode<SmbFs>, dentry: &DEntry<SmbFs>) -> Result<Option<ARef<INode<SmbFs>>>> {
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
            Ok(f) => inode::get(sb, &f).map(Some),
            Err(e) if e == ENOENT => {
                inode::stamp_negative(dentry);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn create(
        _dir: &INode<SmbFs>,
        dentry: &DEntry<SmbFs>,
        _mode: u16,
    ) -> Result<ARef<INode<SmbFs>>> {
        make(dentry, false)
    }

    fn mkdir(
        _dir: &INode<SmbFs>,
        dentry: &DEntry<SmbFs>,
        _mode: u16,
    ) -> Result<ARef<INode<SmbFs>>> {
        make(dentry, true)
    }

    fn unlink(dir: &INode<SmbFs>, dentry: &DEntry<SmbFs>) -> Result {
        delete(dentry, false)?;
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
        let clnt = sbi.clnt()?;
        let from = sbi.path_of(old)?;
        let to = sbi.path_of(new)?;
        let how = OpenHow {
            desired_access: DELETE | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
            disposition: 1,
            create_options: 0,
            oplock_level: 0,
        };
        let f = clnt.open(&from, &how)?;
        f.rename(&to, flags & RENAME_NOREPLACE == 0)?;
        f.close()?;
        if let Some(victim) = new.inode() {
            if victim.is_dir() {
                victim.clear_nlink();
            } else {
                victim.drop_nlink();
            }
        }
        if let Some(i) = old.inode() {
            i.data().invalidate();
        }
        old_dir.data().invalidate();
        new_dir.data().invalidate();
        Ok(())
    }

    fn getattr(dentry: &DEntry<SmbFs>, inode: &INode<SmbFs>) -> Result<Option<Time>> {
        inode::getattr(dentry, inode)?;
        Ok(inode.data().btime())
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

/// Reads the whole directory at `path`.
fn list(sbi: &SbInfo, path: &CStr) -> Result<KVec<Entry>> {
    let clnt = sbi.clnt()?;
    let how = OpenHow {
        desired_access: FILE_LIST_DIRECTORY | FILE_READ_ATTRIBUTES | SYNCHRONIZE,
        disposition: 1,
        create_options: FILE_DIRECTORY_FILE,
        oplock_level: 0,
    };
    let f = clnt.open(path, &how)?;
    let mut buf = KVVec::from_elem(0u8, BATCH, GFP_KERNEL)?;
    let mut out = KVec::new();
    let mut restart = true;
    loop {
        let n = f.query_dir(restart, &mut buf)?;
        restart = false;
        if n == 0 {
            break;
        }
        for e in DirEntryIter::<FileIdFullDirectoryInformation<'_>>::new(&buf[..n]) {
            let e = e.map_err(|_| EIO)?;
            // `.`, `..` and names Linux cannot take are left out.
            let Ok(name) = crate::names::from_wire(e.file_name, sbi.mapposix) else {
                continue;
            };
            let dir = e.times.file_attributes & inode::ATTR_DIRECTORY != 0;
            out.push(
                Entry {
                    name,
                    ino: if sbi.serverino { e.file_id } else { 0 },
                    dtype: if dir { DT_DIR } else { DT_REG },
                },
                GFP_KERNEL,
            )?;
        }
    }
    f.close()?;
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
            let sbi = dentry.super_block().data();
            *entries = Some(list(sbi, &sbi.path_of(dentry)?)?);
        }
        let Some(entries) = entries.as_ref() else {
            return Ok(());
        };
        let mut i = usize::try_from(ctx.pos() - 2).map_err(|_| EINVAL)?;
        while let Some(e) = entries.get(i) {
            // With noserverino the number is not the server's: any
            // nonzero one will do, as with cifs.ko.
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
