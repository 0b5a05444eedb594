// SPDX-License-Identifier: GPL-2.0
//! Dentries: a name in a directory, its inode, and its path from the root
//! of the superblock.

use super::super::super::bindings;
use super::{FileSystem, INode, SuperBlock};
use core::ffi::{c_int, c_uint};
use core::marker::PhantomData;
use kernel::error::{code::*, from_err_ptr, Result};
use kernel::types::Opaque;

/// `LOOKUP_RCU`: an RCU walk, which may not sleep.
const LOOKUP_RCU: u32 = 1 << 8;
/// `LOOKUP_CREATE`: the walk is to create the name.
pub const LOOKUP_CREATE: u32 = 1 << 17;
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
        return ECHILD.to_errno();
    }
    // SAFETY: outside RCU walk the VFS holds the dentry for the call.
    match T::revalidate(unsafe { DEntry::from_raw(dentry) }, flags) {
        Ok(valid) => c_int::from(valid),
        Err(e) => e.to_errno(),
    }
}
