// SPDX-License-Identifier: GPL-2.0
//! Inodes: the allocation unit (a `struct netfs_inode`, which starts with
//! the `struct inode`, then the file system's data), its slab cache,
//! `iget5_locked`, attributes, and the `inode_operations` table built from
//! [`InodeOps`].
//!
//! An inode is looked up by a 64-bit key (the file system's identity of the
//! file, e.g. a server's file id), kept beside the inode; its number
//! (`i_ino`) is set separately, so that the two may differ.

use super::super::super::bindings;
use super::file::{self, FileOps};
use super::sb::SuperBlock;
use super::{DEntry, FileSystem, Registration};
use core::ffi::{c_int, c_uint, c_void};
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::error::{code::*, from_err_ptr, from_result, to_result, Result};
use kernel::prelude::vtable;
use kernel::str::CStrExt;
use kernel::sync::aref::{ARef, AlwaysRefCounted};
use kernel::types::Opaque;
use pin_init::PinInit;

/// File type bits of a mode (`S_IFMT`).
pub const S_IFMT: u16 = 0o170000;
/// A directory.
pub const S_IFDIR: u16 = 0o040000;
/// A regular file.
pub const S_IFREG: u16 = 0o100000;

/// The allocation unit of an inode of `T`.
#[repr(C)]
struct Alloc<T: FileSystem> {
    netfs: bindings::netfs_inode,
    key: u64,
    data: MaybeUninit<T::INodeData>,
}

/// The inode slab cache of a file system type, destroyed on drop.
pub(crate) struct Cache(NonNull<bindings::kmem_cache>);

// SAFETY: a slab cache may be used and destroyed from any task.
unsafe impl Send for Cache {}
// SAFETY: as above; `&Cache` only allocates and frees.
unsafe impl Sync for Cache {}

impl Cache {
    pub(crate) fn new<T: FileSystem>() -> Result<Self> {
        let size = u32::try_from(size_of::<Alloc<T>>()).map_err(|_| EINVAL)?;
        let align = u32::try_from(align_of::<Alloc<T>>()).map_err(|_| EINVAL)?;
        // SAFETY: the name is a `'static` string; the constructor
        // initialises the `struct inode` at the start of each object, which
        // is where `Alloc` has it.
        let p =
            unsafe { bindings::smb_helper_inode_cache_create(T::NAME.as_char_ptr(), size, align) };
        NonNull::new(p).map(Self).ok_or(ENOMEM)
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::kmem_cache {
        self.0.as_ptr()
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        // SAFETY: every object was freed (the type is unregistered, no
        // superblock is left, and the RCU frees were waited for).
        unsafe { bindings::kmem_cache_destroy(self.0.as_ptr()) };
    }
}

/// An inode of file system `T`.
#[repr(transparent)]
pub struct INode<T: FileSystem>(Opaque<bindings::inode>, PhantomData<T>);

// SAFETY: inodes are refcounted by the VFS (`ihold`/`iput`), which frees
// one only at its last reference.
unsafe impl<T: FileSystem> AlwaysRefCounted for INode<T> {
    fn inc_ref(&self) {
        // SAFETY: a shared reference proves a reference is held.
        unsafe { bindings::ihold(self.as_ptr()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives back a reference it holds.
        unsafe { bindings::iput(obj.as_ptr().cast()) };
    }
}

// SAFETY: the VFS lets inodes be used from any task.
unsafe impl<T: FileSystem> Send for INode<T> {}
// SAFETY: as above; the data is `Sync`.
unsafe impl<T: FileSystem> Sync for INode<T> {}

/// Seconds and nanoseconds since 1970.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Time {
    /// Seconds (negative before 1970).
    pub sec: i64,
    /// Nanoseconds, < 1e9.
    pub nsec: u32,
}

/// An inode's attributes, as the file system knows them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Attrs {
    /// Type and permission bits.
    pub mode: u16,
    /// Links.
    pub nlink: u32,
    /// Owner and group (kernel ids).
    pub uid: u32,
    /// See `uid`.
    pub gid: u32,
    /// Size in bytes.
    pub size: i64,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    /// Access, modification and change times.
    pub atime: Time,
    /// See `atime`.
    pub mtime: Time,
    /// See `atime`.
    pub ctime: Time,
}

impl<T: FileSystem> INode<T> {
    /// # Safety
    ///
    /// `ptr` is an inode of type `T`, referenced for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: a transparent wrapper; validity is the caller's.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::inode {
        self.0.get()
    }

    fn alloc(&self) -> *mut Alloc<T> {
        // The inode is at offset 0 of the netfs inode, itself at offset 0.
        self.as_ptr().cast()
    }

    /// The file system's data of the inode.
    pub fn data(&self) -> &T::INodeData {
        // SAFETY: initialised by `alloc_inode`, dropped by `destroy_inode`
        // after the last reference; a reference is held.
        unsafe { (*self.alloc()).data.assume_init_ref() }
    }

    /// The key the inode was looked up by.
    pub fn key(&self) -> u64 {
        // SAFETY: set once when the inode was hashed, before it was shared.
        unsafe { (*self.alloc()).key }
    }

    /// The inode number.
    pub fn ino(&self) -> u64 {
        // SAFETY: a live inode; `i_ino` is set before it is shared.
        unsafe { (*self.as_ptr()).i_ino }
    }

    /// The mode (type and permission bits).
    pub fn mode(&self) -> u16 {
        // SAFETY: a live inode; a racy read of a u16 is what the VFS does.
        unsafe { core::ptr::read_volatile(&(*self.as_ptr()).i_mode) }
    }

    /// The link count.
    pub fn nlink(&self) -> u32 {
        // SAFETY: a live inode; a racy read of a u32, as `stat` does.
        unsafe { core::ptr::read_volatile(&(*self.as_ptr()).__bindgen_anon_1.i_nlink) }
    }

    /// Whether it is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode() & S_IFMT == S_IFDIR
    }

    /// The size (`i_size_read`).
    pub fn size(&self) -> i64 {
        // SAFETY: a live inode.
        unsafe { bindings::smb_helper_i_size_read(self.as_ptr()) }
    }

    /// The superblock.
    pub fn super_block(&self) -> &SuperBlock<T> {
        // SAFETY: an inode pins its superblock, which is of type `T`.
        unsafe { SuperBlock::from_raw((*self.as_ptr()).i_sb) }
    }

    /// Updates the attributes (not the file type), under `i_lock`.
    pub fn set_attrs(&self, a: &Attrs) {
        let p = self.as_ptr();
        // SAFETY: a live inode; its attributes are written under `i_lock`
        // (the size as `i_size_write` wants); `set_nlink` does not sleep.
        unsafe {
            bindings::smb_helper_inode_lock_attrs(p);
            let ty = (*p).i_mode & S_IFMT;
            (*p).i_mode = ty | (a.mode & !S_IFMT);
            (*p).i_uid.val = a.uid;
            (*p).i_gid.val = a.gid;
            bindings::set_nlink(p, a.nlink);
            bindings::smb_helper_i_size_write(p, a.size);
            (*p).i_blocks = a.blocks;
            (*p).i_atime_sec = a.atime.sec;
            (*p).i_atime_nsec = a.atime.nsec;
            (*p).i_mtime_sec = a.mtime.sec;
            (*p).i_mtime_nsec = a.mtime.nsec;
            (*p).i_ctime_sec = a.ctime.sec;
            (*p).i_ctime_nsec = a.ctime.nsec;
            bindings::smb_helper_inode_unlock_attrs(p);
        }
    }

    /// Takes the inode out of the lookup hash: the next [`iget`] of its
    /// key makes a new one (its key now names another file).
    pub fn unhash(&self) {
        // SAFETY: a live, hashed or unhashed, inode.
        unsafe { bindings::smb_helper_remove_inode_hash(self.as_ptr()) };
    }

    /// One link fewer (an unlinked file).
    pub fn drop_nlink(&self) {
        // SAFETY: a live inode, whose parent's lock the caller holds (the
        // VFS's rule for link counts).
        unsafe { bindings::drop_nlink(self.as_ptr()) };
    }

    /// No links left (a removed directory).
    pub fn clear_nlink(&self) {
        // SAFETY: as above.
        unsafe { bindings::clear_nlink(self.as_ptr()) };
    }
}

/// A new inode from [`iget`], locked (`I_NEW`) until [`NewINode::init`];
/// dropped unset, it is discarded (`iget_failed`).
pub struct NewINode<T: FileSystem>(NonNull<INode<T>>);

impl<T: FileSystem> NewINode<T> {
    /// The new inode (its data is there; its attributes are not).
    pub fn inode(&self) -> &INode<T> {
        // SAFETY: we hold the inode's reference.
        unsafe { self.0.as_ref() }
    }

    /// Sets the inode up (number, type, operations, attributes) and makes
    /// it visible.
    pub fn init(self, ino: u64, attrs: &Attrs, ops: Ops) -> ARef<INode<T>> {
        let p = self.0.as_ptr().cast::<bindings::inode>();
        // SAFETY: an `I_NEW` inode is ours alone until unlocked; the tables
        // are `'static`. The netfs part is set up once the size is known.
        unsafe {
            (*p).i_ino = ino;
            (*p).i_mode = attrs.mode;
            (*p).i_op = ops.iops;
            (*p).__bindgen_anon_3.i_fop = ops.fops;
            self.inode().set_attrs(attrs);
            bindings::smb_helper_netfs_inode_init(p.cast(), core::ptr::null());
            bindings::unlock_new_inode(p);
        }
        let me = core::mem::ManuallyDrop::new(self);
        // SAFETY: the reference `iget5_locked` gave us, handed on.
        unsafe { ARef::from_raw(me.0) }
    }
}

impl<T: FileSystem> Drop for NewINode<T> {
    fn drop(&mut self) {
        // SAFETY: a locked new inode we hold a reference on, given up.
        unsafe { bindings::iget_failed(self.0.as_ptr().cast()) };
    }
}

/// What [`iget`] found.
pub enum Got<T: FileSystem> {
    /// A cached inode.
    Cached(ARef<INode<T>>),
    /// A new one, to be set up.
    New(NewINode<T>),
}

/// # Safety
///
/// Called by `iget5_locked` only, with an inode of `sb` and the key.
unsafe extern "C" fn test_callback<T: FileSystem>(
    inode: *mut bindings::inode,
    key: *mut c_void,
) -> c_int {
    // SAFETY: an inode of our superblock (hashed by `set_callback`) and a
    // pointer to the key `iget` passes.
    unsafe { c_int::from((*inode.cast::<Alloc<T>>()).key == *key.cast::<u64>()) }
}

/// # Safety
///
/// Called by `iget5_locked` only, with a new inode and the key.
unsafe extern "C" fn set_callback<T: FileSystem>(
    inode: *mut bindings::inode,
    key: *mut c_void,
) -> c_int {
    // SAFETY: as above; the inode is not yet visible.
    unsafe { (*inode.cast::<Alloc<T>>()).key = *key.cast::<u64>() };
    0
}

/// Finds the inode of `sb` with `key`, or makes a new one.
pub fn iget<T: FileSystem>(sb: &SuperBlock<T>, key: u64) -> Result<Got<T>> {
    let mut k = key;
    // SAFETY: a live superblock; the callbacks match the key type, and
    // `k` outlives the call.
    let p = unsafe {
        bindings::iget5_locked(
            sb.as_ptr(),
            key,
            Some(test_callback::<T>),
            Some(set_callback::<T>),
            (&raw mut k).cast(),
        )
    };
    let p = NonNull::new(p.cast::<INode<T>>()).ok_or(ENOMEM)?;
    // SAFETY: `iget5_locked` returned a referenced inode of ours.
    let new = unsafe { bindings::smb_helper_inode_is_new(p.as_ptr().cast()) };
    Ok(if new {
        Got::New(NewINode(p))
    } else {
        // SAFETY: as above: the reference is ours.
        Got::Cached(unsafe { ARef::from_raw(p) })
    })
}

/// The operation tables of one kind of inode.
#[derive(Clone, Copy)]
pub struct Ops {
    iops: &'static bindings::inode_operations,
    fops: &'static bindings::file_operations,
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

/// # Safety
///
/// Called by the VFS only, with a superblock of ours.
pub(crate) unsafe extern "C" fn alloc_inode_callback<T: FileSystem>(
    sb: *mut bindings::super_block,
) -> *mut bindings::inode {
    // SAFETY: the superblock's type is ours, registered by a live
    // `Registration` (each superblock pins the module).
    let cache = unsafe { Registration::of_type((*sb).s_type.cast()) }.inode_cache();
    // SAFETY: a live superblock and its type's cache.
    let p = unsafe { bindings::smb_helper_alloc_inode_sb(sb, cache) }.cast::<Alloc<T>>();
    if p.is_null() {
        return core::ptr::null_mut();
    }
    // SAFETY: `p` is a fresh object of the cache, sized for `Alloc<T>`;
    // the data slot is written in place (slab memory does not move).
    unsafe {
        (*p).key = 0;
        let slot = (&raw mut (*p).data).cast::<T::INodeData>();
        if T::inode_data().__init(slot).is_err() {
            bindings::kmem_cache_free(cache, p.cast());
            return core::ptr::null_mut();
        }
        p.cast()
    }
}

/// # Safety
///
/// Called by the VFS only, once per inode of ours, after its last use
/// outside RCU walk.
pub(crate) unsafe extern "C" fn destroy_inode_callback<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: the data was initialised by `alloc_inode` and is dropped
    // once, here.
    unsafe { (*inode.cast::<Alloc<T>>()).data.assume_init_drop() };
}

/// # Safety
///
/// Called by the VFS only, after an RCU grace period, once per inode.
pub(crate) unsafe extern "C" fn free_inode_callback(inode: *mut bindings::inode) {
    // SAFETY: the object came from a slab cache (`kfree` finds which); it
    // is no longer reachable.
    unsafe { bindings::kfree(inode.cast()) };
}
