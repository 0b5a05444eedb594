// SPDX-License-Identifier: GPL-2.0
//! Dentries: a name in a directory, its inode, and its path from the root
//! of the superblock.

use super::super::super::bindings;
use super::{FileSystem, INode, SuperBlock};
use core::ffi::{c_int, c_uint};
use core::marker::PhantomData;
use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use kernel::error::{code::*, from_err_ptr, Result};
use kernel::sync::aref::ARef;
use kernel::types::Opaque;

/// `LOOKUP_RCU`: an RCU walk, which may not sleep.
const LOOKUP_RCU: u32 = 1 << 8;
/// `LOOKUP_CREATE`: the walk is to create the name.
pub const LOOKUP_CREATE: u32 = 1 << 17;
/// `LOOKUP_EXCL`: with [`LOOKUP_CREATE`], the name must not exist (the
/// create fails if it does).
pub const LOOKUP_EXCL: u32 = 1 << 18;
/// `LOOKUP_RENAME_TARGET`: the name is a rename's target.
pub const LOOKUP_RENAME_TARGET: u32 = 1 << 19;

/// A dentry of file system `T`, valid while referenced (a callback's
/// argument).
#[repr(transparent)]
pub struct DEntry<T: FileSystem>(Opaque<bindings::dentry>, PhantomData<T>);

impl<T: FileSystem> DEntry<T> {
    /// # Safety
    ///
    /// `ptr` is a dentry of a superblock of type `T`, referenced for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: a transparent wrapper; validity is the caller's.
        unsafe { &*ptr.cast() }
    }

    fn as_ptr(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// The name (the last component). Stable for the callbacks that get
    /// the dentry: the VFS holds the parent's lock, or the name cannot
    /// change under them.
    pub fn name(&self) -> &[u8] {
        // SAFETY: a live dentry; `d_name` points at `len` bytes that stay
        // while the name cannot change (above).
        unsafe {
            let q = &(*self.as_ptr()).__bindgen_anon_1.d_name;
            core::slice::from_raw_parts(q.name, q.__bindgen_anon_1.__bindgen_anon_1.len as usize)
        }
    }

    /// The inode, if positive.
    pub fn inode(&self) -> Option<&INode<T>> {
        // SAFETY: a live dentry; its inode, if any, is referenced by it.
        unsafe {
            let i = (*self.as_ptr()).d_inode;
            (!i.is_null()).then(|| INode::from_raw(i))
        }
    }

    /// The superblock.
    pub fn super_block(&self) -> &SuperBlock<T> {
        // SAFETY: a dentry pins its superblock, of type `T`.
        unsafe { SuperBlock::from_raw((*self.as_ptr()).d_sb) }
    }

    /// The path from the superblock's root, `/`-separated and starting
    /// with one (`/` for the root), written at the end of `buf`.
    pub fn path<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8]> {
        let len = i32::try_from(buf.len()).unwrap_or(i32::MAX);
        // SAFETY: a live dentry; `buf` is writable for `len` bytes, and the
        // result points into it (or is an error pointer).
        unsafe {
            let p = from_err_ptr(bindings::dentry_path_raw(
                self.as_ptr(),
                buf.as_mut_ptr().cast(),
                len,
            ))?;
            let off = p.cast::<u8>().offset_from(buf.as_ptr()) as usize;
            // The result is NUL-terminated, at the end of `buf`.
            let end = buf.len() - 1;
            Ok(&buf[off..end])
        }
    }

    /// The file system's timestamp of the dentry (`d_time`).
    pub fn time(&self) -> u64 {
        // SAFETY: a live dentry; a word read once.
        u64::try_from(unsafe { core::ptr::read_volatile(&(*self.as_ptr()).d_time) })
            .unwrap_or(u64::MAX)
    }

    /// Sets [`DEntry::time`].
    pub fn set_time(&self, t: u64) {
        let t = kernel::ffi::c_ulong::try_from(t).unwrap_or(kernel::ffi::c_ulong::MAX);
        // SAFETY: a live dentry; `d_time` is the file system's to use.
        unsafe { core::ptr::write_volatile(&mut (*self.as_ptr()).d_time, t) };
    }

    /// Unhashes the dentry: the next walk looks the name up again.
    pub fn drop_from_cache(&self) {
        // SAFETY: a live dentry.
        unsafe { bindings::d_drop(self.as_ptr()) };
    }
}

/// A counted reference to a dentry of file system `T`.
pub struct DRef<T: FileSystem>(NonNull<bindings::dentry>, PhantomData<T>);

// SAFETY: a dentry reference may be dropped (dput) and used from any
// thread; `T`'s data is `Send + Sync`.
unsafe impl<T: FileSystem> Send for DRef<T> {}
// SAFETY: as above; `&DEntry` only reads or uses the dentry's own locks.
unsafe impl<T: FileSystem> Sync for DRef<T> {}

impl<T: FileSystem> core::ops::Deref for DRef<T> {
    type Target = DEntry<T>;

    fn deref(&self) -> &DEntry<T> {
        // SAFETY: the reference keeps the dentry alive; of type `T`
        // (invariant of the constructors).
        unsafe { DEntry::from_raw(self.0.as_ptr()) }
    }
}

impl<T: FileSystem> Drop for DRef<T> {
    fn drop(&mut self) {
        // SAFETY: the reference this owns.
        unsafe { bindings::dput(self.0.as_ptr()) };
    }
}

/// A new dentry in lookup (see [`DEntry::child`]): walks of its name wait
/// for it. [`Pending::splice`] gives it its inode; dropped, it ends its
/// lookup as a dentry nobody keeps.
pub struct Pending<T: FileSystem>(DRef<T>);

impl<T: FileSystem> Pending<T> {
    /// Makes the dentry `inode`'s (`d_splice_alias`, which may instead
    /// move an alias the directory inode has elsewhere here) and ends the
    /// lookup: the dentry now in the dcache, or `None` if the VFS refused
    /// the alias.
    pub fn splice(self, inode: ARef<INode<T>>) -> Option<DRef<T>> {
        let d = ManuallyDrop::new(self);
        let dentry = d.0 .0.as_ptr();
        // SAFETY: `d_splice_alias` takes the inode reference; `dentry` is
        // our referenced in-lookup dentry, which `d_lookup_done` then
        // takes out of the in-lookup hash (waking the walks that wait).
        let alias = unsafe {
            let alias = bindings::d_splice_alias(ARef::into_raw(inode).as_ptr().cast(), dentry);
            bindings::smb_helper_d_lookup_done(dentry);
            alias
        };
        if alias.is_null() {
            // SAFETY: the reference moves out of `d`, which is not dropped.
            return Some(unsafe { core::ptr::read(&d.0) });
        }
        // SAFETY: our reference to the in-lookup dentry, no longer used
        // (the alias took its place, or it failed).
        unsafe { bindings::dput(dentry) };
        // An error pointer is not a dentry.
        let alias = NonNull::new(alias).filter(|_| from_err_ptr(alias).is_ok())?;
        // `d_splice_alias` returned a counted alias of ours.
        Some(DRef(alias, PhantomData))
    }
}

impl<T: FileSystem> Drop for Pending<T> {
    fn drop(&mut self) {
        // SAFETY: a referenced in-lookup dentry of ours; the reference
        // itself is dropped after (the field).
        unsafe { bindings::smb_helper_d_lookup_done(self.0 .0.as_ptr()) };
    }
}

/// What the dcache has for a name, from [`DEntry::child`].
pub enum Child<T: FileSystem> {
    /// A dentry for the name, positive or negative.
    Cached(DRef<T>),
    /// None: a new one, in lookup.
    Pending(Pending<T>),
}

impl<T: FileSystem> DEntry<T> {
    /// The dcache's dentry for `name` (a valid name, no `/`, not `.` or
    /// `..`) in this directory, or a new one in lookup, for a directory
    /// listing to add what it learnt of its entries (as NFS's readdir
    /// does). For a directory being listed (its lock held).
    pub fn child(&self, name: &[u8]) -> Result<Child<T>> {
        if !self.inode().is_some_and(|i| i.is_dir()) {
            return Err(ENOTDIR);
        }
        let len = u32::try_from(name.len()).map_err(|_| ENAMETOOLONG)?;
        if name.is_empty()
            || name == b"."
            || name == b".."
            || name.contains(&b'/')
            || name.contains(&0)
        {
            return Err(EINVAL);
        }
        let mut in_lookup = false;
        // SAFETY: a live directory dentry of ours; `name` is readable
        // for `len` bytes during the call. The result is a counted
        // dentry in the same superblock, or an error pointer.
        let d = unsafe {
            from_err_ptr(bindings::smb_helper_d_child(
                self.as_ptr(),
                name.as_ptr(),
                len,
                &mut in_lookup,
            ))?
        };
        let d = DRef(NonNull::new(d).ok_or(ENOMEM)?, PhantomData);
        Ok(if in_lookup {
            Child::Pending(Pending(d))
        } else {
            Child::Cached(d)
        })
    }
}

/// A dentry seen in an RCU walk: it may be turning negative or going
/// away, so only its time and whether it has an inode can be read.
pub struct RcuDEntry<'a>(&'a Opaque<bindings::dentry>);

impl RcuDEntry<'_> {
    /// As [`DEntry::time`].
    pub fn time(&self) -> u64 {
        // SAFETY: the dentry's memory is valid for the walk; a word read
        // once.
        u64::try_from(unsafe { core::ptr::read_volatile(&(*self.0.get()).d_time) })
            .unwrap_or(u64::MAX)
    }

    /// Whether it has no inode (now).
    pub fn is_negative(&self) -> bool {
        // SAFETY: as above (`d_inode_rcu`).
        unsafe { core::ptr::read_volatile(&(*self.0.get()).d_inode).is_null() }
    }
}

pub(crate) struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    pub(crate) const DENTRY_OPS: bindings::dentry_operations = bindings::dentry_operations {
        d_revalidate: Some(revalidate_callback::<T>),
        // SAFETY: all zeroes is a valid table (no callback).
        ..unsafe { core::mem::zeroed() }
    };
}

/// # Safety
///
/// Called by the VFS only, with a dentry of ours (referenced, or in RCU
/// walk, which this refuses before looking at it).
unsafe extern "C" fn revalidate_callback<T: FileSystem>(
    _dir: *mut bindings::inode,
    _name: *const bindings::qstr,
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    if flags & LOOKUP_RCU != 0 {
        // SAFETY: in RCU walk the dentry's memory stays for the call
        // (freed after a grace period); `RcuDEntry` reads only what may
        // be read there.
        let d = RcuDEntry(unsafe { &*dentry.cast::<Opaque<bindings::dentry>>() });
        return if T::revalidate_rcu(&d, flags) {
            1
        } else {
            ECHILD.to_errno()
        };
    }
    // SAFETY: outside RCU walk the VFS holds the dentry for the call.
    match T::revalidate(unsafe { DEntry::from_raw(dentry) }, flags) {
        Ok(valid) => c_int::from(valid),
        Err(e) => e.to_errno(),
    }
}
