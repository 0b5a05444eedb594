// SPDX-License-Identifier: GPL-2.0
//! File system type registration and the mount context (`fs_context`).
//!
//! The C tables are built per file system type from the [`FileSystem`]
//! trait, as Rust-for-Linux does for other operation tables: one `extern
//! "C"` trampoline per callback converts the raw pointers and calls the
//! trait. This grows with the smbfs issue (superblocks, inodes, netfs).

use super::super::bindings;
use core::ffi::{c_int, CStr};
use core::marker::PhantomData;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::{code::*, from_result, to_result, Error, Result};
use kernel::prelude::try_pin_init;
use kernel::str::CStrExt;
use kernel::types::Opaque;
use kernel::ThisModule;
use pin_init::{pin_data, pinned_drop, PinInit};

/// `ENOPARAM`: "not a parameter this file system handles; let the VFS try".
const ENOPARAM: i32 = 519;

/// A file system type.
pub trait FileSystem {
    /// The type's name, as given to `mount -t`.
    const NAME: &'static CStr;

    /// What a mount context holds while it is configured (the parsed
    /// options): made when the context is, dropped with it.
    type Context: Default + Send;

    /// Handles one mount parameter (`key`, its value as a string if any).
    /// Return [`not_my_parameter`] to let the VFS handle it (it does so for
    /// `source`). A raw mount(2) option string is cut at commas, but in
    /// the value of `pass=` or `password=` a doubled comma stands for one
    /// (as cifs.ko reads it).
    fn parse_param(
        fc: &mut FsContext,
        ctx: &mut Self::Context,
        key: &CStr,
        value: Option<&CStr>,
    ) -> Result;

    /// Creates or finds the superblock and sets the root (`get_tree`).
    fn get_tree(fc: &mut FsContext, ctx: &mut Self::Context) -> Result;
}

/// The error [`FileSystem::parse_param`] returns for parameters the VFS
/// should handle itself.
pub fn not_my_parameter() -> Error {
    Error::from_errno(-ENOPARAM)
}

/// A mount context (`struct fs_context`), valid for the duration of a
/// callback.
#[repr(transparent)]
pub struct FsContext(Opaque<bindings::fs_context>);

impl FsContext {
    /// # Safety
    ///
    /// `ptr` must point to a valid `fs_context` that outlives `'a` and is
    /// not accessed through any other reference meanwhile.
    unsafe fn from_raw<'a>(ptr: *mut bindings::fs_context) -> &'a mut Self {
        // SAFETY: `FsContext` is a transparent wrapper; validity and
        // exclusivity are the caller's guarantee.
        unsafe { &mut *ptr.cast() }
    }

    /// Logs an error to the mount's log, which mount(8) prints (or to the
    /// kernel log when there is none).
    pub fn error(&mut self, msg: &CStr) {
        // SAFETY: the context is valid (type invariant) and `msg` is a
        // NUL-terminated string; the helper copies what it logs.
        unsafe { bindings::smb_helper_errorfc(self.0.get(), msg.as_char_ptr()) };
    }

    /// The mount source (e.g. `//server/share`), once the VFS has set it.
    pub fn source(&self) -> Option<&CStr> {
        // SAFETY: the context is valid; `source` is NULL or a NUL-terminated
        // string owned by the context, which outlives `&self`.
        unsafe {
            let s = (*self.0.get()).source;
            (!s.is_null()).then(|| CStr::from_char_ptr(s))
        }
    }
}

struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const CONTEXT_OPS: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(free_callback::<T>),
        dup: None,
        parse_param: Some(parse_param_callback::<T>),
        parse_monolithic: Some(bindings::smb_helper_parse_monolithic),
        get_tree: Some(get_tree_callback::<T>),
        reconfigure: None,
    };
}

/// # Safety
///
/// Called by the VFS only, with a valid context it owns for the call.
unsafe extern "C" fn init_fs_context_callback<T: FileSystem>(
    fc: *mut bindings::fs_context,
) -> c_int {
    let ctx = match KBox::new(T::Context::default(), GFP_KERNEL) {
        Ok(c) => c,
        Err(_) => return ENOMEM.to_errno(),
    };
    // SAFETY: the VFS passes a valid context it owns for this call; the ops
    // table is a `'static` constant. `fs_private` is ours until `free`,
    // which the VFS calls once the ops are set.
    unsafe {
        (*fc).fs_private = KBox::into_raw(ctx).cast();
        (*fc).ops = &Tables::<T>::CONTEXT_OPS;
    }
    0
}

/// # Safety
///
/// Called by the VFS only, with a valid context, once, at its end.
unsafe extern "C" fn free_callback<T: FileSystem>(fc: *mut bindings::fs_context) {
    // SAFETY: as above; `fs_private` is NULL or the box made by
    // `init_fs_context_callback`, given back once.
    unsafe {
        let p = (*fc).fs_private.cast::<T::Context>();
        (*fc).fs_private = core::ptr::null_mut();
        if !p.is_null() {
            drop(KBox::from_raw(p));
        }
    }
}

/// The context's parsed state.
///
/// # Safety
///
/// `fc` is valid, its `fs_private` set by `init_fs_context_callback::<T>`,
/// and not otherwise borrowed for `'a`.
unsafe fn context_of<'a, T: FileSystem>(
    fc: *mut bindings::fs_context,
) -> Result<&'a mut T::Context> {
    // SAFETY: the caller's contract.
    let p = unsafe { (*fc).fs_private.cast::<T::Context>() };
    // SAFETY: as above: a live box of `T::Context`, exclusively ours during
    // the callback (the VFS serialises a context's callbacks).
    unsafe { p.as_mut() }.ok_or(EINVAL)
}

/// # Safety
///
/// Called by the VFS only, with a valid context and parameter.
unsafe extern "C" fn parse_param_callback<T: FileSystem>(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS passes a valid context and parameter for the
        // duration of the call. `key` is a NUL-terminated string; `string`
        // is one when the type is `fs_value_is_string`.
        let (key, value) = unsafe {
            let key = CStr::from_char_ptr((*param).key);
            let value = if (*param).type_() == bindings::fs_value_type_fs_value_is_string {
                let s = (*param).__bindgen_anon_1.string;
                (!s.is_null()).then(|| CStr::from_char_ptr(s))
            } else {
                None
            };
            (key, value)
        };
        // SAFETY: as above; `fs_private` is the context's state, apart
        // from the `fs_context` itself.
        let ctx = unsafe { context_of::<T>(fc) }?;
        // SAFETY: as above.
        let fc = unsafe { FsContext::from_raw(fc) };
        T::parse_param(fc, ctx, key, value)?;
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS only, with a valid context.
unsafe extern "C" fn get_tree_callback<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        // SAFETY: the VFS passes a valid context for the call, whose
        // `fs_private` is the state `init_fs_context_callback` made.
        let ctx = unsafe { context_of::<T>(fc) }?;
        // SAFETY: as above.
        T::get_tree(unsafe { FsContext::from_raw(fc) }, ctx)?;
        Ok(0)
    })
}

/// A registered file system type; unregistered on drop.
///
/// The owner module is pinned by every mount, so `rmmod` of a module with
/// mounted file systems is refused.
#[pin_data(PinnedDrop)]
pub struct Registration {
    #[pin]
    fs: Opaque<bindings::file_system_type>,
}

// SAFETY: after registration the VFS owns all access to the type; we only
// pass its address back to `unregister_filesystem`.
unsafe impl Send for Registration {}
// SAFETY: as above; `&Registration` gives no access to the inner struct.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers file system type `T`, owned by `module`.
    pub fn new<T: FileSystem>(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs <- Opaque::try_ffi_init(|slot: *mut bindings::file_system_type| {
                // SAFETY: `slot` is valid, pinned storage for the struct;
                // every field not set here is zero (NULL/false), which the
                // VFS accepts. The name and the callbacks are `'static`. Our
                // `file_system_type` is the kernel's struct (generated again
                // so its callbacks take our full `fs_context`), hence the
                // pointer casts.
                unsafe {
                    core::ptr::write_bytes(slot, 0, 1);
                    (*slot).name = T::NAME.as_char_ptr();
                    (*slot).owner = module.as_ptr();
                    (*slot).init_fs_context = Some(init_fs_context_callback::<T>);
                    (*slot).kill_sb = Some(bindings::kill_anon_super);
                    to_result(bindings::register_filesystem(slot.cast()))
                }
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Registration {
    fn drop(self: core::pin::Pin<&mut Self>) {
        // SAFETY: the type was registered by `new` (a `Registration` exists
        // only if registration succeeded) and is unregistered once, here.
        unsafe { bindings::unregister_filesystem(self.fs.get().cast()) };
    }
}
