// SPDX-License-Identifier: GPL-2.0
//! File system type registration and the mount context (`fs_context`).
//!
//! The C tables are built per file system type from the [`FileSystem`]
//! trait, as Rust-for-Linux does for other operation tables: one `extern
//! "C"` trampoline per callback converts the raw pointers and calls the
//! trait. The superblock, inodes, dentries and open files are in the
//! submodules; their operation tables are built per inode kind from
//! [`inode::InodeOps`] and [`file::FileOps`], 1:1 with the C tables.
//!
//! A mount: `get_tree` makes the superblock's data from the context
//! ([`FileSystem::make_data`], no I/O), looks for a superblock whose data
//! serves the same mount ([`FileSystem::same_super`]), and only for a new
//! one calls [`FileSystem::fill_super`], which connects and returns the
//! root inode. `kill_sb` drops the data after the VFS has evicted every
//! inode.

pub mod dentry;
pub mod file;
pub mod inode;
pub mod inode_ops;
pub mod sb;

use super::super::bindings;
use core::ffi::{c_int, CStr};
use core::marker::PhantomData;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::{code::*, from_err_ptr, from_result, to_result, Error, Result};
use kernel::init::InPlaceInit;
use kernel::prelude::try_pin_init;
use kernel::str::CStrExt;
use kernel::sync::aref::ARef;
use kernel::types::Opaque;
use kernel::ThisModule;
use pin_init::{pin_data, pinned_drop, PinInit};

pub use self::dentry::DEntry;
pub use self::inode::INode;
pub use self::sb::{SeqWriter, StatFs, SuperBlock, SuperParams};

/// `ENOPARAM`: "not a parameter this file system handles; let the VFS try".
const ENOPARAM: i32 = 519;

/// A file system type.
pub trait FileSystem: Sized + 'static {
    /// The type's name, as given to `mount -t`.
    const NAME: &'static CStr;

    /// `s_magic`, what statfs reports as `f_type`.
    const MAGIC: u64;

    /// The superblock's limits and time granularity.
    const PARAMS: SuperParams;

    /// What a mount context holds while it is configured (the parsed
    /// options): made when the context is, dropped with it.
    type Context: Default + Send;

    /// A superblock's data (`s_fs_info`): made before the superblock is
    /// looked for, dropped after its last inode is gone.
    type Data: Send + Sync;

    /// Each inode's data: made with the inode, dropped in `destroy_inode`
    /// (process context, before the RCU grace period: callbacks that may
    /// run under RCU walk never see it).
    type INodeData: Send + Sync;

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

    /// Checks the context and makes the data of the superblock it asks
    /// for (`get_tree`, before any I/O). Errors go to the mount's log.
    fn make_data(
        fc: &mut FsContext,
        ctx: &mut Self::Context,
    ) -> Result<impl PinInit<Self::Data, Error>>;

    /// The context of a remount (`mount -o remount`) of `sb`, before the
    /// options given apply: the options in force.
    fn reconfigure_context(sb: &SuperBlock<Self>) -> Result<Self::Context>;

    /// Whether the superblock with data `old` serves the mount being
    /// made with `ctx` (then it is shared). Called under a spinlock: no
    /// sleeping, no allocation.
    fn same_super(old: &Self::Data, fc: &FsContext, ctx: &Self::Context) -> bool;

    /// Sets up a new superblock (its data is in place): connects, and
    /// returns the root inode.
    fn fill_super(fc: &mut FsContext, sb: &SuperBlock<Self>) -> Result<ARef<INode<Self>>>;

    /// Reconfigures a mounted superblock (`mount -o remount`) with the
    /// context's options.
    fn reconfigure(fc: &mut FsContext, ctx: &mut Self::Context, sb: &SuperBlock<Self>) -> Result;

    /// The initialiser of a new inode's data.
    fn inode_data() -> impl PinInit<Self::INodeData, Error>;

    /// Whether a cached dentry still names what it did (`d_revalidate`,
    /// never called in RCU walk): `false` makes the VFS look it up again.
    /// `flags` are the walk's `LOOKUP_*` ([`dentry::LOOKUP_CREATE`], ...).
    fn revalidate(dentry: &DEntry<Self>, flags: u32) -> Result<bool>;

    /// Whether a cached dentry is known to be valid without asking (an
    /// RCU walk, which may not sleep and sees only [`dentry::RcuDEntry`]):
    /// `false` lets the VFS fall back to [`FileSystem::revalidate`].
    fn revalidate_rcu(_dentry: &dentry::RcuDEntry<'_>, _flags: u32) -> bool {
        false
    }

    /// `umount -f` is starting (`umount_begin`): calls waiting on the
    /// server should fail now. The unmount may still fail (busy).
    fn umount_begin(_sb: &SuperBlock<Self>) {}

    /// The file system's usage (`statfs`); `root` is the mount's root.
    fn statfs(root: &DEntry<Self>) -> Result<StatFs>;

    /// The mount options, as /proc/mounts shows them after the generic
    /// ones (each preceded by a comma).
    fn show_options(sb: &SuperBlock<Self>, m: &mut SeqWriter<'_>) -> core::fmt::Result;

    /// The mount source, as /proc/mounts shows it (escaped by
    /// [`SeqWriter::escaped`]).
    fn show_devname(sb: &SuperBlock<Self>, m: &mut SeqWriter<'_>) -> core::fmt::Result;
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

    /// Whether the context has a log (fsconfig, mount(8)): then errors
    /// go there only; without one (a raw mount(2)) to the kernel log.
    pub fn has_log(&self) -> bool {
        // SAFETY: the context is valid (type invariant).
        unsafe { !(*self.0.get()).log.log.is_null() }
    }

    /// The mounting task's fsuid and fsgid, in the mount's user namespace.
    pub fn caller_ids(&self) -> (u32, u32) {
        let p = self.0.get();
        // SAFETY: the context is valid, and holds its creds and user
        // namespace until freed.
        unsafe {
            (
                bindings::smb_helper_fc_fsuid(p),
                bindings::smb_helper_fc_fsgid(p),
            )
        }
    }

    /// The network namespace the mount is made for (`fc->net_ns`).
    pub fn net(&self) -> super::net::ns::Net {
        // SAFETY: the context is valid and holds a reference on its
        // namespace until freed.
        unsafe { super::net::ns::Net::from_raw_get((*self.0.get()).net_ns) }
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
        reconfigure: Some(reconfigure_callback::<T>),
    };
}

/// # Safety
///
/// Called by the VFS only, with a valid context it owns for the call.
unsafe extern "C" fn init_fs_context_callback<T: FileSystem>(
    fc: *mut bindings::fs_context,
) -> c_int {
    // SAFETY: the VFS passes a valid context; for a remount, `root` is
    // the mount's root (referenced by the context), whose superblock is
    // ours and set up.
    let ctx = match unsafe { (*fc).root.as_ref() } {
        // SAFETY: as above.
        Some(root) => T::reconfigure_context(unsafe { SuperBlock::from_raw(root.d_sb) }),
        None => Ok(T::Context::default()),
    };
    let ctx = match ctx.and_then(|c| Ok(KBox::new(c, GFP_KERNEL)?)) {
        Ok(c) => c,
        Err(e) => return e.to_errno(),
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
/// Called by `sget_fc` only, under `sb_lock`, with a superblock of this
/// type and the context being mounted.
unsafe extern "C" fn test_super_callback<T: FileSystem>(
    sb: *mut bindings::super_block,
    fc: *mut kernel::bindings::fs_context,
) -> c_int {
    // SAFETY: `sget_fc` passes a live superblock of our type (its data
    // set, or NULL while it is being set up or after `kill_sb`) and our
    // context (`get_tree` runs it), whose state is ours; neither changes
    // during the call.
    unsafe {
        let fc = fc.cast::<bindings::fs_context>();
        let old = (*sb).s_fs_info.cast::<T::Data>();
        let ctx = (*fc).fs_private.cast::<T::Context>();
        match (old.as_ref(), ctx.as_ref()) {
            (Some(old), Some(ctx)) => {
                c_int::from(T::same_super(old, &*fc.cast::<FsContext>(), ctx))
            }
            _ => 0,
        }
    }
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
        let data = T::make_data(unsafe { FsContext::from_raw(fc) }, ctx)?;
        let data = KBox::pin_init(data, GFP_KERNEL)?;
        // The data stays where it is until `kill_sb` drops it (pinned).
        // SAFETY: it is reached only through `s_fs_info`, never moved.
        let data = unsafe { core::pin::Pin::into_inner_unchecked(data) };
        // SAFETY: `fc` is valid; `sget_fc` moves `s_fs_info` into a new
        // superblock (and clears it here), or leaves it, in which case it
        // is ours again below. The test and set callbacks match the
        // kernel's prototypes (our `fs_context` is the kernel's struct,
        // generated in full).
        let sb = unsafe {
            (*fc).s_fs_info = KBox::into_raw(data).cast();
            let sb = bindings::sget_fc(
                fc.cast(),
                Some(test_super_callback::<T>),
                Some(bindings::set_anon_super_fc),
            );
            let left = (*fc).s_fs_info.cast::<T::Data>();
            (*fc).s_fs_info = core::ptr::null_mut();
            if !left.is_null() {
                drop(core::pin::Pin::new_unchecked(KBox::from_raw(left)));
            }
            from_err_ptr(sb)?
        };
        // SAFETY: `sget_fc` returned an active superblock of ours, with
        // `s_umount` held for writing (released by `vfs_get_tree`).
        unsafe {
            if (*sb).s_root.is_null() {
                if let Err(e) = sb::fill::<T>(FsContext::from_raw(fc), sb) {
                    bindings::deactivate_locked_super(sb);
                    return Err(e);
                }
                (*sb).s_flags |= bindings::SMB_CONST_SB_ACTIVE;
            }
            (*fc).root = bindings::smb_helper_dget((*sb).s_root);
        }
        Ok(0)
    })
}

/// # Safety
///
/// Called by the VFS only, with a valid context of a mounted superblock
/// (`fc->root`), `s_umount` held.
unsafe extern "C" fn reconfigure_callback<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        // SAFETY: as for `get_tree`; `fc->root` is the mount's root,
        // whose superblock is ours and set up.
        let (ctx, sb) = unsafe {
            let ctx = context_of::<T>(fc)?;
            let sb = SuperBlock::<T>::from_raw((*(*fc).root).d_sb);
            (ctx, sb)
        };
        // SAFETY: as above.
        T::reconfigure(unsafe { FsContext::from_raw(fc) }, ctx, sb)?;
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
    /// The inode slab cache (`alloc_inode` finds it through `s_type`);
    /// destroyed after the type is unregistered (fields drop after
    /// [`PinnedDrop::drop`]).
    inodes: inode::Cache,
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
            inodes: inode::Cache::new::<T>()?,
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
                    (*slot).kill_sb = Some(sb::kill_sb_callback::<T>);
                    bindings::smb_helper_fs_type_keys(slot, true);
                    let r = to_result(bindings::register_filesystem(slot.cast()));
                    if r.is_err() {
                        bindings::smb_helper_fs_type_keys(slot, false);
                    }
                    r
                }
            }),
        }? Error)
    }

    /// The registration a superblock's type belongs to.
    ///
    /// # Safety
    ///
    /// `fs_type` is the `file_system_type` of a live [`Registration`].
    pub(crate) unsafe fn of_type<'a>(fs_type: *const bindings::file_system_type) -> &'a Self {
        // SAFETY: the caller's contract: `fs_type` is the `fs` field of a
        // pinned, live `Registration`.
        unsafe {
            &*kernel::container_of!(
                fs_type.cast::<Opaque<bindings::file_system_type>>(),
                Self,
                fs
            )
        }
    }

    pub(crate) fn inode_cache(&self) -> *mut bindings::kmem_cache {
        self.inodes.as_ptr()
    }
}

#[pinned_drop]
impl PinnedDrop for Registration {
    fn drop(self: core::pin::Pin<&mut Self>) {
        // SAFETY: the type was registered by `new` (a `Registration` exists
        // only if registration succeeded) and is unregistered once, here.
        // No superblock is left (each pins the module); the inodes freed
        // after an RCU grace period are waited for before their cache goes
        // (with the field, after this).
        unsafe {
            bindings::unregister_filesystem(self.fs.get().cast());
            bindings::rcu_barrier();
            bindings::smb_helper_fs_type_keys(self.fs.get(), false);
        }
    }
}
