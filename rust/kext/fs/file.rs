// SPDX-License-Identifier: GPL-2.0
//! Open files of an inode kind: the `file_operations` table built from
//! [`FileOps`], each open's private state, and directory listing
//! (`iterate_shared` with a [`DirContext`]).

use super::super::super::bindings;
use super::{DEntry, FileSystem, INode};
use core::ffi::c_int;
use core::marker::PhantomData;
use core::pin::Pin;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::VTABLE_DEFAULT_ERROR;
use kernel::error::{code::*, from_result, Error, Result};
use kernel::init::InPlaceInit;
use kernel::prelude::vtable;
use pin_init::PinInit;

/// `DT_DIR`, for [`DirContext::emit`].
pub const DT_DIR: u32 = 4;
/// `DT_REG`.
pub const DT_REG: u32 = 8;

/// The operations on an open file of an inode kind
/// (`struct file_operations`). Every kind gets `generic_file_llseek`; a
/// kind with `iterate_shared` also gets `generic_read_dir` (EISDIR).
#[vtable]
pub trait FileOps {
    /// The file system.
    type Fs: FileSystem;
    /// An open's state (`private_data`), made by `open`, pinned, dropped
    /// at the last close.
    type Private: Send + Sync;

    /// Opens `inode`: the initialiser of the open's state.
    fn open(inode: &INode<Self::Fs>) -> Result<impl PinInit<Self::Private, Error>>;

    /// Lists the directory from `ctx.pos()`, emitting entries until
    /// [`DirContext::emit`] says the caller's buffer is full.
    fn iterate_shared(
        _dentry: &DEntry<Self::Fs>,
        _open: &Self::Private,
        _ctx: &mut DirContext<'_>,
    ) -> Result {
        kernel::build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A directory listing in progress (`struct dir_context`) on an open file.
pub struct DirContext<'a> {
    ctx: *mut bindings::dir_context,
    file: *mut bindings::file,
    _p: PhantomData<&'a mut ()>,
}

impl DirContext<'_> {
    /// The position: 0 and 1 are `.` and `..`.
    pub fn pos(&self) -> i64 {
        // SAFETY: the context is live for the callback.
        unsafe { (*self.ctx).pos }
    }

    /// Moves the position (after an entry is emitted).
    pub fn set_pos(&mut self, pos: i64) {
        // SAFETY: as above.
        unsafe { (*self.ctx).pos = pos };
    }

    /// Emits `.` and `..` if the position is before them; false if the
    /// caller's buffer is full.
    pub fn emit_dots(&mut self) -> bool {
        // SAFETY: the file and context of the callback.
        unsafe { bindings::smb_helper_dir_emit_dots(self.file, self.ctx) }
    }

    /// Emits one entry at the current position (the caller moves the
    /// position on); false if the caller's buffer is full.
    pub fn emit(&mut self, name: &[u8], ino: u64, dtype: u32) -> bool {
        let Ok(len) = c_int::try_from(name.len()) else {
            return true;
        };
        // SAFETY: the context of the callback; `name` is readable for
        // `len` bytes during the call (the actor copies it).
        unsafe { bindings::smb_helper_dir_emit(self.ctx, name.as_ptr().cast(), len, ino, dtype) }
    }
}

pub(crate) struct Tables<F>(PhantomData<F>);

impl<F: FileOps> Tables<F> {
    const FOPS: bindings::file_operations = bindings::file_operations {
        llseek: Some(bindings::generic_file_llseek),
        read: if F::HAS_ITERATE_SHARED {
            Some(bindings::generic_read_dir)
        } else {
            None
        },
        iterate_shared: if F::HAS_ITERATE_SHARED {
            Some(iterate_shared_callback::<F>)
        } else {
            None
        },
        open: if F::HAS_OPEN {
            Some(open_callback::<F>)
        } else {
            None
        },
        release: if F::HAS_OPEN {
            Some(release_callback::<F>)
        } else {
            None
        },
        // SAFETY: all zeroes is a valid table (no callback).
        ..unsafe { core::mem::zeroed() }
    };

    pub(crate) const fn build() -> &'static bindings::file_operations {
        &Self::FOPS
    }
}

/// # Safety
///
/// Called by the VFS only, with an inode of ours and the file being opened.
unsafe extern "C" fn open_callback<F: FileOps>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS holds the inode for the call.
        let init = F::open(unsafe { INode::from_raw(inode) })?;
        let b: Pin<KBox<F::Private>> = KBox::pin_init(init, GFP_KERNEL)?;
        // SAFETY: the state is never moved (it is reached only through
        // `private_data` as a shared reference) and is freed by `release`.
        unsafe { (*file).private_data = KBox::into_raw(Pin::into_inner_unchecked(b)).cast() };
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS only, at the last close of a file `open` set up.
unsafe extern "C" fn release_callback<F: FileOps>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` is the box `open` made (or NULL), given back
    // once; the pin is kept until it is dropped.
    unsafe {
        let p = (*file).private_data.cast::<F::Private>();
        (*file).private_data = core::ptr::null_mut();
        if !p.is_null() {
            drop(Pin::new_unchecked(KBox::from_raw(p)));
        }
    }
    0
}

/// # Safety
///
/// Called by the VFS only, with an open directory of ours.
unsafe extern "C" fn iterate_shared_callback<F: FileOps>(
    file: *mut bindings::file,
    ctx: *mut bindings::dir_context,
) -> c_int {
    from_result(|| {
        // SAFETY: the file is open (its inode and state live until
        // release); the state was set by `open`.
        let (dentry, open) = unsafe {
            let open = (*file).private_data.cast::<F::Private>();
            (
                DEntry::from_raw((*file).__bindgen_anon_1.f_path.dentry),
                open.as_ref().ok_or(EBADF)?,
            )
        };
        let mut dc = DirContext {
            ctx,
            file,
            _p: PhantomData,
        };
        F::iterate_shared(dentry, open, &mut dc)?;
        Ok(0)
    })
}
