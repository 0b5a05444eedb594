// SPDX-License-Identifier: GPL-2.0
//! The `inode_operations` of one kind of inode, built from a `#[vtable]`
//! [`InodeOps`] with a trampoline per operation, and the `setattr` and
//! `statx` arguments they pass.

use super::super::super::bindings;
use super::dentry::DEntry;
use super::file::{self, FileOps};
use super::inode::{INode, Time};
use super::FileSystem;
use core::ffi::{c_int, c_uint};
use core::marker::PhantomData;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::error::{from_err_ptr, from_result, to_result, Result};
use kernel::prelude::vtable;
use kernel::sync::aref::ARef;

/// The operation tables of one kind of inode.
#[derive(Clone, Copy)]
pub struct Ops {
    pub(super) iops: &'static bindings::inode_operations,
    pub(super) fops: &'static bindings::file_operations,
}

impl Ops {
    /// The tables of inodes whose operations are `I` and whose open files'
    /// are `F`.
    pub const fn new<I: InodeOps, F: FileOps<Fs = I::Fs>>() -> Self {
        Self {
            iops: &Tables::<I>::IOPS,
            fops: file::Tables::<F>::build(),
        }
    }
}

/// What `statx` reports beyond the inode's attributes.
#[derive(Default)]
pub struct StatExtra {
    /// The creation time, if known.
    pub btime: Option<Time>,
    /// `STATX_ATTR_COMPRESSED`.
    pub compressed: bool,
    /// `STATX_ATTR_ENCRYPTED`.
    pub encrypted: bool,
}

/// The attribute changes of a `setattr`, already checked by
/// `setattr_prepare`.
pub struct SetAttr {
    /// `ATTR_*` flags.
    pub valid: u32,
    /// With `ATTR_MODE`.
    pub mode: u16,
    /// With `ATTR_SIZE`.
    pub size: i64,
    /// With `ATTR_ATIME`.
    pub atime: Time,
    /// With `ATTR_MTIME`.
    pub mtime: Time,
    /// With `ATTR_UID`: the kernel's id (compare with [`SuperBlock::kuid`]).
    pub kuid: u32,
    /// With `ATTR_GID`: as `kuid`.
    pub kgid: u32,
}

/// `ATTR_MODE`.
pub const ATTR_MODE: u32 = bindings::ATTR_MODE;
/// `ATTR_UID`.
pub const ATTR_UID: u32 = bindings::ATTR_UID;
/// `ATTR_GID`.
pub const ATTR_GID: u32 = bindings::ATTR_GID;
/// `ATTR_SIZE`.
pub const ATTR_SIZE: u32 = bindings::ATTR_SIZE;
/// `ATTR_ATIME`.
pub const ATTR_ATIME: u32 = bindings::ATTR_ATIME;
/// `ATTR_MTIME`.
pub const ATTR_MTIME: u32 = bindings::ATTR_MTIME;

/// An inode kind's operations (`struct inode_operations`).
///
/// Names are as the VFS gives them: stable while the callback runs (the
/// parent is locked).
#[vtable]
pub trait InodeOps {
    /// The file system.
    type Fs: FileSystem;

    /// Looks `dentry`'s name up in `dir`: its inode, or `None` if there is
    /// no such name (a negative dentry). `flags` are the walk's
    /// `LOOKUP_*` ([`super::dentry::LOOKUP_EXCL`], ...).
    fn lookup(
        _dir: &INode<Self::Fs>,
        _dentry: &DEntry<Self::Fs>,
        _flags: u32,
    ) -> Result<Option<ARef<INode<Self::Fs>>>> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a regular file (the name does not exist); its inode.
    fn create(
        _dir: &INode<Self::Fs>,
        _dentry: &DEntry<Self::Fs>,
        _mode: u16,
    ) -> Result<ARef<INode<Self::Fs>>> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Opens `dentry`'s name in `dir` for an `open(O_CREAT)`, creating a
    /// regular file if there is none (and failing with `EEXIST` if there
    /// is one and `excl`), in one exchange with the server
    /// (`atomic_open`): the file's inode, and whether this created it.
    /// The open itself is then [`super::file::FileOps::open`]'s.
    fn create_open(
        _dir: &INode<Self::Fs>,
        _dentry: &DEntry<Self::Fs>,
        _excl: bool,
        _mode: u16,
    ) -> Result<(ARef<INode<Self::Fs>>, bool)> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a directory; its inode.
    fn mkdir(
        _dir: &INode<Self::Fs>,
        _dentry: &DEntry<Self::Fs>,
        _mode: u16,
    ) -> Result<ARef<INode<Self::Fs>>> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes a file.
    fn unlink(_dir: &INode<Self::Fs>, _dentry: &DEntry<Self::Fs>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes an empty directory.
    fn rmdir(_dir: &INode<Self::Fs>, _dentry: &DEntry<Self::Fs>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Renames (`RENAME_*` flags).
    fn rename(
        _old_dir: &INode<Self::Fs>,
        _old: &DEntry<Self::Fs>,
        _new_dir: &INode<Self::Fs>,
        _new: &DEntry<Self::Fs>,
        _flags: u32,
    ) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes `new` (negative, in `dir`) a second name of `old`'s file. The
    /// VFS then counts the link and instantiates `new`.
    fn link(_old: &DEntry<Self::Fs>, _dir: &INode<Self::Fs>, _new: &DEntry<Self::Fs>) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Brings the inode's attributes up to date before `stat` reads them;
    /// what `statx` reports beyond them.
    fn getattr(_dentry: &DEntry<Self::Fs>, _inode: &INode<Self::Fs>) -> Result<StatExtra> {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Applies `attr` on the server. The VFS part (the size through
    /// `truncate_setsize`, then `setattr_copy`) follows on success.
    fn setattr(_dentry: &DEntry<Self::Fs>, _inode: &INode<Self::Fs>, _attr: &SetAttr) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

struct Tables<I>(PhantomData<I>);

impl<I: InodeOps> Tables<I> {
    const IOPS: bindings::inode_operations = bindings::inode_operations {
        lookup: if I::HAS_LOOKUP {
            Some(lookup_callback::<I>)
        } else {
            None
        },
        create: if I::HAS_CREATE {
            Some(create_callback::<I>)
        } else {
            None
        },
        mkdir: if I::HAS_MKDIR {
            Some(mkdir_callback::<I>)
        } else {
            None
        },
        unlink: if I::HAS_UNLINK {
            Some(unlink_callback::<I>)
        } else {
            None
        },
        rmdir: if I::HAS_RMDIR {
            Some(rmdir_callback::<I>)
        } else {
            None
        },
        atomic_open: if I::HAS_CREATE_OPEN {
            Some(atomic_open_callback::<I>)
        } else {
            None
        },
        link: if I::HAS_LINK {
            Some(link_callback::<I>)
        } else {
            None
        },
        rename: if I::HAS_RENAME {
            Some(rename_callback::<I>)
        } else {
            None
        },
        getattr: if I::HAS_GETATTR {
            Some(getattr_callback::<I>)
        } else {
            None
        },
        setattr: if I::HAS_SETATTR {
            Some(setattr_callback::<I>)
        } else {
            None
        },
        // SAFETY: all zeroes is a valid table (no callback).
        ..unsafe { core::mem::zeroed() }
    };
}

/// # Safety
///
/// Called by the VFS only: `dir` is a directory of ours, locked, and
/// `dentry` a child being looked up.
unsafe extern "C" fn lookup_callback<I: InodeOps>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> *mut bindings::dentry {
    // SAFETY: the VFS's contract for `lookup`.
    let (d, e) = unsafe { (INode::<I::Fs>::from_raw(dir), DEntry::from_raw(dentry)) };
    match I::lookup(d, e, flags) {
        // SAFETY: `d_splice_alias` consumes the inode reference (NULL for
        // a negative dentry); the dentry is the VFS's.
        Ok(inode) => unsafe {
            let ip = inode.map_or(core::ptr::null_mut(), |i| ARef::into_raw(i).as_ptr().cast());
            bindings::d_splice_alias(ip, dentry)
        },
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// Called by the VFS only, with a locked directory of ours and a negative
/// dentry in it.
unsafe extern "C" fn create_callback<I: InodeOps>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS's contract for `create`.
        let (x, y) = unsafe { (INode::from_raw(dir), DEntry::from_raw(dentry)) };
        let inode = I::create(x, y, mode)?;
        // SAFETY: `d_instantiate` takes the inode reference.
        unsafe { bindings::d_instantiate(dentry, ARef::into_raw(inode).as_ptr().cast()) };
        Ok(0)
    })
}

/// # Safety
///
/// As [`create_callback`].
unsafe extern "C" fn mkdir_callback<I: InodeOps>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> *mut bindings::dentry {
    // SAFETY: the VFS's contract for `mkdir`.
    let (x, y) = unsafe { (INode::from_raw(dir), DEntry::from_raw(dentry)) };
    match I::mkdir(x, y, mode) {
        // SAFETY: `d_instantiate` takes the inode reference; NULL says the
        // dentry passed in is the one used.
        Ok(inode) => unsafe {
            bindings::d_instantiate(dentry, ARef::into_raw(inode).as_ptr().cast());
            core::ptr::null_mut()
        },
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// Called by the VFS only, with a locked directory of ours and a positive
/// dentry in it.
unsafe extern "C" fn unlink_callback<I: InodeOps>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: the VFS's contract for `unlink`.
    let (d, e) = unsafe { (INode::from_raw(dir), DEntry::from_raw(dentry)) };
    from_result(|| I::unlink(d, e).map(|()| 0))
}

/// # Safety
///
/// As [`unlink_callback`], for a directory.
unsafe extern "C" fn rmdir_callback<I: InodeOps>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: the VFS's contract for `rmdir`.
    let (d, e) = unsafe { (INode::from_raw(dir), DEntry::from_raw(dentry)) };
    from_result(|| I::rmdir(d, e).map(|()| 0))
}

/// # Safety
///
/// Called by the VFS only, with both directories locked (ours) and their
/// dentries.
unsafe extern "C" fn rename_callback<I: InodeOps>(
    _idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS's contract for `rename`.
        unsafe {
            I::rename(
                INode::from_raw(old_dir),
                DEntry::from_raw(old),
                INode::from_raw(new_dir),
                DEntry::from_raw(new),
                flags,
            )
        }?;
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS only, with a path whose dentry is positive and ours.
unsafe extern "C" fn getattr_callback<I: InodeOps>(
    idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    mask: u32,
    _flags: c_uint,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS holds the path for the call; its dentry is
        // positive.
        let (dentry, inode) = unsafe {
            let d = (*path).dentry;
            (d, (*d).d_inode)
        };
        // SAFETY: as above.
        let (d, i) = unsafe { (DEntry::from_raw(dentry), INode::from_raw(inode)) };
        let x = I::getattr(d, i)?;
        // SAFETY: as above; `stat` is the caller's.
        unsafe {
            bindings::generic_fillattr(idmap, mask, inode, stat);
            if let Some(t) = x.btime {
                (*stat).btime.tv_sec = t.sec;
                (*stat).btime.tv_nsec = t.nsec as kernel::ffi::c_long;
                (*stat).result_mask |= bindings::STATX_BTIME;
            }
            let known = u64::from(bindings::STATX_ATTR_COMPRESSED | bindings::STATX_ATTR_ENCRYPTED);
            (*stat).attributes_mask |= known;
            if x.compressed {
                (*stat).attributes |= u64::from(bindings::STATX_ATTR_COMPRESSED);
            }
            if x.encrypted {
                (*stat).attributes |= u64::from(bindings::STATX_ATTR_ENCRYPTED);
            }
        }
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS only (`atomic_open`): `dir` a directory of ours,
/// locked (exclusively with `O_CREAT`), `dentry` a negative child, in
/// lookup or not, and `file` the file being opened.
unsafe extern "C" fn atomic_open_callback<I: InodeOps>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    file: *mut bindings::file,
    open_flag: c_uint,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: the VFS's contract for `atomic_open`; the dentry is live
    // for the call.
    let in_lookup = unsafe { bindings::smb_helper_d_in_lookup(dentry) };
    if open_flag & bindings::O_CREAT == 0 {
        // A lookup (of a name not in the dcache); the VFS opens what it
        // finds.
        let mut found = core::ptr::null_mut();
        if in_lookup {
            // SAFETY: as `lookup` is called: a locked directory of ours
            // and a child in lookup.
            found = unsafe { lookup_callback::<I>(dir, dentry, 0) };
            if let Err(e) = from_err_ptr(found) {
                return e.to_errno();
            }
        }
        // SAFETY: `found` is NULL or the alias `d_splice_alias` gave,
        // whose reference the VFS takes.
        return unsafe { bindings::finish_no_open(file, found) };
    }
    // SAFETY: the VFS's contract for `atomic_open`.
    let (d, e) = unsafe { (INode::<I::Fs>::from_raw(dir), DEntry::from_raw(dentry)) };
    let (inode, created) = match I::create_open(d, e, open_flag & bindings::O_EXCL != 0, mode) {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    let ip = ARef::into_raw(inode).as_ptr().cast::<bindings::inode>();
    // SAFETY: the inode reference goes to the dentry (`d_splice_alias`
    // for one in lookup, which for a regular file takes no alias;
    // `d_instantiate` otherwise); `finish_open` opens the file with the
    // inode's file operations (NULL: their `open`).
    unsafe {
        if in_lookup {
            let alias = bindings::d_splice_alias(ip, dentry);
            if let Err(e) = from_err_ptr(alias) {
                return e.to_errno();
            }
            if !alias.is_null() {
                // Not a regular file after all: the VFS opens the alias.
                return bindings::finish_no_open(file, alias);
            }
        } else {
            bindings::d_instantiate(dentry, ip);
        }
        if created {
            (*file).f_mode |= bindings::SMB_CONST_FMODE_CREATED;
        }
        bindings::finish_open(file, dentry, None)
    }
}

/// # Safety
///
/// Called by the VFS only: `old` a positive dentry of ours (its inode
/// locked), `dir` a locked directory of ours and `new` a negative dentry
/// in it.
unsafe extern "C" fn link_callback<I: InodeOps>(
    old: *mut bindings::dentry,
    dir: *mut bindings::inode,
    new: *mut bindings::dentry,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS's contract for `link`.
        let (o, d, n) = unsafe {
            (
                DEntry::from_raw(old),
                INode::from_raw(dir),
                DEntry::from_raw(new),
            )
        };
        I::link(o, d, n)?;
        // SAFETY: `old` is positive and its inode locked (the VFS's rule
        // for the link count); `d_instantiate` takes the reference that
        // `ihold` adds.
        unsafe {
            let inode = (*old).d_inode;
            bindings::inc_nlink(inode);
            bindings::ihold(inode);
            bindings::d_instantiate(new, inode);
        }
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS only, with a positive dentry of ours, its inode
/// locked.
unsafe extern "C" fn setattr_callback<I: InodeOps>(
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS's contract for `setattr`.
        let inode = unsafe {
            to_result(bindings::setattr_prepare(idmap, dentry, attr))?;
            (*dentry).d_inode
        };
        // SAFETY: `attr` is the caller's, checked above.
        let a = unsafe {
            SetAttr {
                valid: (*attr).ia_valid,
                mode: (*attr).ia_mode,
                size: (*attr).ia_size,
                atime: Time {
                    sec: (*attr).ia_atime.tv_sec,
                    nsec: (*attr).ia_atime.tv_nsec as u32,
                },
                mtime: Time {
                    sec: (*attr).ia_mtime.tv_sec,
                    nsec: (*attr).ia_mtime.tv_nsec as u32,
                },
                // Without FS_ALLOW_IDMAP the mount's idmap is the
                // identity: a vfsuid is the kuid.
                kuid: (*attr).__bindgen_anon_1.ia_uid.val,
                kgid: (*attr).__bindgen_anon_2.ia_gid.val,
            }
        };
        // SAFETY: as above.
        let (x, y) = unsafe { (DEntry::from_raw(dentry), INode::from_raw(inode)) };
        I::setattr(x, y, &a)?;
        // SAFETY: the inode is locked (the VFS's rule for both calls).
        unsafe {
            if a.valid & ATTR_SIZE != 0 {
                bindings::truncate_setsize(inode, a.size);
            }
            bindings::setattr_copy(idmap, inode, attr);
        }
        Ok(0)
    })
}
