// SPDX-License-Identifier: GPL-2.0
//! Inodes: the allocation unit (a `struct netfs_inode`, which starts with
//! the `struct inode`, then the file system's data), its slab cache,
//! `iget5_locked` and attributes. The `inode_operations` table built from
//! [`InodeOps`] is in `inode_ops.rs` (re-exported here).
//!
//! An inode is looked up by a 64-bit key (the file system's identity of the
//! file, e.g. a server's file id), kept beside the inode; its number
//! (`i_ino`) is set separately, so that the two may differ.

use super::super::super::bindings;
use super::sb::SuperBlock;
use super::{FileSystem, Registration};
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::NonNull;
use kernel::error::{code::*, Result};
use kernel::str::CStrExt;
use kernel::sync::aref::{ARef, AlwaysRefCounted};
use kernel::types::Opaque;
use pin_init::PinInit;

pub use super::inode_ops::{
    InodeOps, Ops, SetAttr, StatExtra, ATTR_ATIME, ATTR_GID, ATTR_MODE, ATTR_MTIME, ATTR_SIZE,
    ATTR_UID,
};

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
