// SPDX-License-Identifier: GPL-2.0
//! Safe Rust wrapper over smbclient's C ABI (`include/smb/clnt.h`), for
//! in-kernel consumers written in Rust. Including this file makes a module
//! depend on smbclient.ko (and import the "SMB" namespace).
//!
//! Ownership follows the C rules, enforced by the types:
//! - a [`Clnt`] is one handle (`smb_clnt_release` on drop, which waits for
//!   the handle's tasks);
//! - a [`File`] borrows its handle and closes its open on drop (or with
//!   [`FileOf::close`], which reports the error); an [`OwnedFile`] holds a
//!   reference on an `Arc<Clnt>` instead, so that it can outlive the call
//!   that opened it;
//! - a [`Watch`] borrows its handle and unwatches on drop;
//! - a [`Task`] is a reference on a running task (`smb_task_put` on drop);
//!   an asynchronous READ or WRITE owns its buffer and its completion
//!   ([`IoDone`]) until the completion runs.
//!
//! - a [`req::Req`] is a request of typed operations (CREATE with
//!   contexts, CLOSE with the final attributes, QUERY_INFO, SET_INFO,
//!   QUERY_DIRECTORY, FLUSH, LOCK, IOCTL), alone or compounded, with the
//!   paths and buffers they use; run, or started with a completion.
//!
//! Every call sleeps (TASK_KILLABLE): process context only. The
//! asynchronous ones start and return; their completion comes later.

use super::bindings;
use super::kext::abi::jiffies;
use super::kext::iter::KernelIter;
use super::kext::net::addr::SockAddr;
use super::kext::net::ns::Net;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, to_result as check, Error, Result};
use kernel::ffi::{c_char, c_void};
use kernel::str::{CStr, CStrExt};
use kernel::sync::Arc;

#[path = "req.rs"]
pub mod req;

fn check_len(r: isize) -> Result<usize> {
    if r < 0 {
        Err(Error::from_errno(r as i32))
    } else {
        Ok(r as usize)
    }
}

/// What a handle connects to, and as whom (`struct smb_clnt_args`).
pub struct ClntArgs<'a> {
    /// Server address and port (0: 445).
    pub addr: SockAddr,
    /// `\\server\share`.
    pub unc: &'a CStr,
    /// User name.
    pub user: &'a CStr,
    /// Domain ("" for a local account).
    pub domain: &'a CStr,
    /// NT hash of the password (`super::smb_auth::nt_hash`).
    pub nt_hash: &'a [u8; 16],
    /// `SMB_DIALECT_*` range.
    pub dialect_min: u16,
    /// Highest dialect offered.
    pub dialect_max: u16,
    /// `SMB_CLNT_SIGN`, `SMB_CLNT_SEAL`.
    pub flags: u32,
    /// Transport request timer in ms (0: default).
    pub timeo_ms: u32,
    /// `SMB_XPRT_SOFT` or `SMB_XPRT_HARD` (0: default).
    pub xprt_flags: u32,
    /// The network namespace to connect in (`None`: the calling task's).
    pub net: Option<&'a Net>,
}

/// What a handle is connected to (`struct smb_clnt_info`).
pub type ClntInfo = bindings::smb_clnt_info;
/// A file's attributes (`struct smb_file_info`).
pub type FileInfo = bindings::smb_file_info;

/// A handle on a tree connect (`smb_clnt_create`/`smb_clnt_release`).
pub struct Clnt {
    ptr: NonNull<bindings::smb_clnt>,
}

// SAFETY: a handle may be used and released from any task (the C ABI's
// rules); smbclient synchronises internally.
unsafe impl Send for Clnt {}
// SAFETY: as above: every entry point takes a shared handle.
unsafe impl Sync for Clnt {}

impl Clnt {
    /// Connects (or shares a connection), authenticates (or shares a
    /// session) and connects to the tree.
    pub fn create(args: &ClntArgs<'_>) -> Result<Self> {
        let raw = args.addr.to_raw();
        let c = bindings::smb_clnt_args {
            addr: raw.as_ptr().cast(),
            addrlen: raw.len(),
            unc: args.unc.as_char_ptr(),
            user: args.user.as_char_ptr(),
            domain: args.domain.as_char_ptr(),
            nt_hash: args.nt_hash.as_ptr(),
            dialect_min: args.dialect_min,
            dialect_max: args.dialect_max,
            flags: args.flags,
            timeo_ms: args.timeo_ms,
            xprt_flags: args.xprt_flags,
            net: args.net.map_or(core::ptr::null_mut(), Net::as_ptr),
        };
        // SAFETY: `c` and everything it points to are valid for the call.
        let p = kernel::error::from_err_ptr(unsafe { bindings::smb_clnt_create(&c) })?;
        Ok(Self {
            ptr: NonNull::new(p).ok_or(ENOMEM)?,
        })
    }

    fn raw(&self) -> *mut bindings::smb_clnt {
        self.ptr.as_ptr()
    }

    /// What the handle is connected to.
    pub fn info(&self) -> Result<ClntInfo> {
        let mut out = core::mem::MaybeUninit::<ClntInfo>::zeroed();
        // SAFETY: a live handle; `out` is writable.
        check(unsafe { bindings::smb_clnt_info(self.raw(), out.as_mut_ptr()) })?;
        // SAFETY: zeroed plain data, filled in by the call.
        Ok(unsafe { out.assume_init() })
    }

    /// Ends every call of the handle now with `EIO`, and makes its
    /// release not wait for the server (`smb_clnt_abort`): `umount -f`.
    pub fn abort(&self) -> Result {
        // SAFETY: a live handle.
        check(unsafe { bindings::smb_clnt_abort(self.raw()) })
    }

    /// One ECHO on the handle's session.
    pub fn echo(&self, timeout_ms: Option<u32>) -> Result {
        // SAFETY: a live handle.
        check(unsafe { bindings::smb_clnt_echo(self.raw(), jiffies(timeout_ms)) })
    }

    /// Opens (or creates) `path` relative to the share; see
    /// `smb_clnt_open_ex` for the values. The open closes when the
    /// [`File`] is dropped.
    pub fn open(&self, path: &CStr, how: &OpenHow) -> Result<File<'_>> {
        let (fid, info) = self.open_raw(path, how)?;
        Ok(FileOf::new(self, fid, &info))
    }

    /// Opens `path` as [`Clnt::open`] does, as an [`OwnedFile`] that holds
    /// a reference on the handle: it may live in an inode's private data
    /// (refcounted in a `kernel::sync::Arc`) and outlive the call that
    /// opened it; the last reference closes the open, then drops the
    /// handle's.
    pub fn open_owned(self: &Arc<Self>, path: &CStr, how: &OpenHow) -> Result<OwnedFile> {
        let (fid, info) = self.open_raw(path, how)?;
        Ok(FileOf::new(self.clone(), fid, &info))
    }

    fn open_raw(
        &self,
        path: &CStr,
        how: &OpenHow,
    ) -> Result<(bindings::smb_fid, bindings::smb_open_info)> {
        let args = bindings::smb_open_args {
            path: path.as_char_ptr(),
            desired_access: how.desired_access,
            disposition: how.disposition,
            create_options: how.create_options,
            oplock_level: how.oplock_level,
        };
        let mut fid = bindings::smb_fid::default();
        let mut info = bindings::smb_open_info::default();
        // SAFETY: a live handle; `args`, its path, `fid` and `info` are valid
        // for the call.
        check(unsafe { bindings::smb_clnt_open_ex(self.raw(), &args, &mut fid, &mut info) })?;
        Ok((fid, info))
    }
}

impl Drop for Clnt {
    fn drop(&mut self) {
        // SAFETY: the handle this value owns is given back once; every
        // `File` and `Watch` borrowing it is gone (the borrow checker).
        unsafe { bindings::smb_clnt_release(self.raw()) };
    }
}

/// How to open (`struct smb_open_args` without the path).
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenHow {
    /// FILE_READ_DATA, ... (MS-SMB2 2.2.13.1).
    pub desired_access: u32,
    /// FILE_OPEN, FILE_CREATE, ... (MS-SMB2 2.2.13).
    pub disposition: u32,
    /// FILE_DIRECTORY_FILE, ... (MS-SMB2 2.2.13).
    pub create_options: u32,
    /// SMB2_OPLOCK_LEVEL_* requested.
    pub oplock_level: u8,
}

/// An open file or directory on a [`Clnt`], which it reaches through `C`:
/// a borrow ([`File`]) or a reference ([`OwnedFile`]). Closed on drop.
pub struct FileOf<C: Deref<Target = Clnt>> {
    clnt: C,
    fid: bindings::smb_fid,
    /// EndOfFile when opened.
    pub end_of_file: u64,
    /// The oplock granted.
    pub oplock_level: u8,
    open: bool,
}

/// An open that borrows its handle.
pub type File<'a> = FileOf<&'a Clnt>;

/// An open that holds a reference on its handle (`Clnt::open_owned`).
pub type OwnedFile = FileOf<Arc<Clnt>>;

impl<C: Deref<Target = Clnt>> FileOf<C> {
    fn new(clnt: C, fid: bindings::smb_fid, info: &bindings::smb_open_info) -> Self {
        Self {
            clnt,
            fid,
            end_of_file: info.end_of_file,
            oplock_level: info.oplock_level,
            open: true,
        }
    }

    /// The FileId (persistent, volatile).
    pub fn id(&self) -> (u64, u64) {
        (self.fid.persistent, self.fid.volatile_id)
    }

    /// One READ at `offset` into `dest` (kernel-backed, advanced by what
    /// arrived); returns the bytes read, 0 at the end of the file.
    pub fn read(&self, offset: u64, dest: &mut KernelIter<'_>) -> Result<usize> {
        // SAFETY: a live handle and open; `dest` is a kernel-backed
        // iterator over memory valid for the call.
        check_len(unsafe {
            bindings::smb_clnt_read(self.clnt.raw(), &self.fid, offset, dest.as_raw())
        })
    }

    /// One WRITE at `offset` from `src` (advanced by what was sent);
    /// returns the bytes the server took.
    pub fn write(&self, offset: u64, src: &mut KernelIter<'_>) -> Result<usize> {
        // SAFETY: as `read`.
        check_len(unsafe {
            bindings::smb_clnt_write(self.clnt.raw(), &self.fid, offset, src.as_raw())
        })
    }

    /// The file's attributes.
    pub fn getattr(&self) -> Result<FileInfo> {
        let mut out = FileInfo::default();
        // SAFETY: a live handle and open; `out` is writable.
        check(unsafe { bindings::smb_clnt_getattr(self.clnt.raw(), &self.fid, &mut out) })?;
        Ok(out)
    }

    /// Renames the file (opened with DELETE access).
    pub fn rename(&self, new_path: &CStr, replace: bool) -> Result {
        // SAFETY: a live handle and open; a valid C string.
        check(unsafe {
            bindings::smb_clnt_rename(self.clnt.raw(), &self.fid, new_path.as_char_ptr(), replace)
        })
    }

    /// Deletes the file when it is closed (opened with DELETE access).
    pub fn delete(&self) -> Result {
        // SAFETY: a live handle and open.
        check(unsafe { bindings::smb_clnt_delete(self.clnt.raw(), &self.fid) })
    }

    /// FLUSH.
    pub fn flush(&self) -> Result {
        // SAFETY: a live handle and open.
        check(unsafe { bindings::smb_clnt_flush(self.clnt.raw(), &self.fid) })
    }

    /// A byte-range lock (`SMB_LOCK_*` flags).
    pub fn lock(&self, offset: u64, length: u64, flags: u32) -> Result {
        // SAFETY: a live handle and open.
        check(unsafe { bindings::smb_clnt_lock(self.clnt.raw(), &self.fid, offset, length, flags) })
    }

    /// QUERY_INFO into `out`; the length of the answer.
    pub fn query_info(
        &self,
        info_type: u8,
        class: u8,
        additional: u32,
        out: &mut [u8],
    ) -> Result<usize> {
        let mut len = 0usize;
        // SAFETY: a live handle and open; `out` is writable for its length.
        check(unsafe {
            bindings::smb_clnt_query_info(
                self.clnt.raw(),
                &self.fid,
                info_type,
                class,
                additional,
                out.as_mut_ptr().cast(),
                out.len(),
                &mut len,
            )
        })?;
        Ok(len)
    }

    /// SET_INFO with `buf`.
    pub fn set_info(&self, info_type: u8, class: u8, additional: u32, buf: &[u8]) -> Result {
        // SAFETY: a live handle and open; `buf` is readable for its length.
        check(unsafe {
            bindings::smb_clnt_set_info(
                self.clnt.raw(),
                &self.fid,
                info_type,
                class,
                additional,
                buf.as_ptr().cast(),
                buf.len(),
            )
        })
    }

    /// Lists the directory: `f` gets each entry's name (UTF-8), its
    /// attributes and its file id, and returns false to stop. Returns the
    /// number of entries seen.
    pub fn readdir<F: FnMut(&[u8], &FileInfo, u64) -> bool>(&self, mut f: F) -> Result<usize> {
        /// # Safety
        ///
        /// Called by smbclient as `smb_dir_actor_t`, with `ctx` the closure.
        unsafe extern "C" fn actor<F: FnMut(&[u8], &FileInfo, u64) -> bool>(
            ctx: *mut c_void,
            name: *const c_char,
            len: usize,
            info: *const FileInfo,
            ino: u64,
        ) -> bool {
            // SAFETY: `ctx` is the closure below, alive for the call;
            // `name` is readable for `len` bytes and `info` valid (the
            // header's contract for the actor).
            unsafe {
                let f = &mut *ctx.cast::<F>();
                f(
                    core::slice::from_raw_parts(name.cast::<u8>(), len),
                    &*info,
                    ino,
                )
            }
        }
        // SAFETY: a live handle and open; the actor is called only during
        // the call, with the closure as its context.
        let r = unsafe {
            bindings::smb_clnt_readdir(
                self.clnt.raw(),
                &self.fid,
                Some(actor::<F>),
                core::ptr::from_mut(&mut f).cast(),
            )
        };
        check(r)?;
        Ok(r as usize)
    }

    /// The next batch of entries of this directory open, from its start
    /// if `restart`: FileIdFullDirectoryInformation entries (MS-FSCC
    /// 2.4.18) as the server encodes them, in `buf` (up to 1 MiB); the
    /// bytes written, 0 when there are no more.
    pub fn query_dir(&self, restart: bool, buf: &mut [u8]) -> Result<usize> {
        // SAFETY: a live handle and open; `buf` is writable for its
        // length.
        check_len(unsafe {
            bindings::smb_clnt_query_dir(
                self.clnt.raw(),
                &self.fid,
                restart,
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        })
    }

    /// Closes the open, reporting the server's answer.
    pub fn close(mut self) -> Result {
        self.open = false;
        // SAFETY: a live handle; the open is closed once.
        check(unsafe { bindings::smb_clnt_close(self.clnt.raw(), &self.fid) })
    }

    /// Watches this open's oplock: `f` is called (on smbclient's
    /// workqueue) with each break until the [`Watch`] is dropped; it may
    /// acknowledge it ([`Break::ack`]).
    pub fn watch<F: Fn(&Break<'_>) + Send + Sync + 'static>(&self, f: F) -> Result<Watch<'_, F>> {
        let ctx = kernel::alloc::KBox::new(
            WatchCtx {
                f,
                clnt: self.clnt.raw(),
            },
            kernel::alloc::flags::GFP_KERNEL,
        )?;
        let ctx = kernel::alloc::KBox::into_raw(ctx);
        // SAFETY: a live handle and open; the table is static; `ctx` stays
        // valid until the watch is gone (`Watch::drop` frees it after
        // unwatching, which waits for a running callback).
        let w = unsafe {
            bindings::smb_clnt_watch_fid(self.clnt.raw(), &self.fid, Watch::<F>::TABLE, ctx.cast())
        };
        match kernel::error::from_err_ptr(w) {
            Ok(w) => Ok(Watch {
                w,
                ctx,
                _clnt: PhantomData,
            }),
            Err(e) => {
                // SAFETY: not registered: ours to free.
                drop(unsafe { kernel::alloc::KBox::from_raw(ctx) });
                Err(e)
            }
        }
    }

    /// Acknowledges an oplock break to `level`.
    pub fn oplock_ack(&self, level: u8) -> Result {
        // SAFETY: a live handle and open.
        check(unsafe { bindings::smb_clnt_oplock_ack(self.clnt.raw(), &self.fid, level) })
    }
}

impl<C: Deref<Target = Clnt>> Drop for FileOf<C> {
    fn drop(&mut self) {
        if self.open {
            // SAFETY: a live handle; the open is closed once.
            let _ = unsafe { bindings::smb_clnt_close(self.clnt.raw(), &self.fid) };
        }
    }
}

/// A break, as a watch's callback gets it.
pub struct Break<'a> {
    /// What the server said (`struct smb_break`).
    pub raw: &'a bindings::smb_break,
    clnt: *mut bindings::smb_clnt,
}

impl Break<'_> {
    /// Acknowledges an oplock break to the level it named.
    pub fn ack(&self) -> Result {
        // SAFETY: the handle outlives its watches (`Watch` borrows it), and
        // the callback only runs while the watch is registered.
        check(unsafe {
            bindings::smb_clnt_oplock_ack(self.clnt, &self.raw.fid, self.raw.oplock_level)
        })
    }
}

struct WatchCtx<F> {
    f: F,
    clnt: *mut bindings::smb_clnt,
}

/// A break watch with its callback (`smb_clnt_watch_fid`); unwatches on
/// drop.
pub struct Watch<'a, F: Fn(&Break<'_>) + Send + Sync + 'static> {
    w: *mut bindings::smb_break_watch,
    ctx: *mut WatchCtx<F>,
    _clnt: PhantomData<&'a Clnt>,
}

struct BreakTable(bindings::smb_break_ops);
// SAFETY: immutable: a module pointer and a function pointer.
unsafe impl Sync for BreakTable {}

impl<F: Fn(&Break<'_>) + Send + Sync + 'static> Watch<'_, F> {
    const TABLE: &'static bindings::smb_break_ops = &BreakTable(bindings::smb_break_ops {
        // The module this wrapper is compiled into: smbclient pins it while
        // the watch lives (Documentation/abi.rst).
        owner: <crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr(),
        brk: Some(Self::trampoline),
    })
    .0;

    /// # Safety
    ///
    /// Called by smbclient as the table's `brk`, with `ctx` the watch's
    /// boxed context.
    unsafe extern "C" fn trampoline(ctx: *mut c_void, b: *const bindings::smb_break) {
        // SAFETY: `ctx` is the boxed context, alive while the watch is
        // registered; `b` is valid for the call.
        unsafe {
            let ctx = &*ctx.cast::<WatchCtx<F>>();
            (ctx.f)(&Break {
                raw: &*b,
                clnt: ctx.clnt,
            });
        }
    }
}

impl<F: Fn(&Break<'_>) + Send + Sync + 'static> Drop for Watch<'_, F> {
    fn drop(&mut self) {
        // SAFETY: the watch is given back once; afterwards no callback runs
        // (the C ABI's guarantee), so the closure can go.
        unsafe {
            bindings::smb_clnt_unwatch(self.w);
            drop(kernel::alloc::KBox::from_raw(self.ctx));
        }
    }
}

/// What an asynchronous READ or WRITE reports (`struct smb_io`'s results).
#[derive(Clone, Copy, Debug)]
pub struct IoOutcome {
    /// The bytes read, or taken by the server; or the error (`ECANCELED`
    /// after [`Task::cancel`]).
    pub result: Result<usize>,
    /// READ: at or past the end of the file.
    pub eof: bool,
}

/// The completion of an asynchronous READ or WRITE started with
/// [`File::read_async`] or [`File::write_async`]. `done` is called once,
/// on smbiod (process context, never softirq), on smbclient's workqueue,
/// or in the starter if the operation failed before anything was sent; it
/// gets the buffer back (a READ's data in its first `result` bytes) and
/// may start other operations, but must not wait for a reply.
pub trait IoDone: Send + Sized + 'static {
    /// The operation is over.
    fn done(self, buf: KVec<u8>, out: IoOutcome);
}

/// An asynchronous READ or WRITE in flight: the C `struct smb_io` with
/// its iterator over the buffer it owns, and the completion. Boxed, and
/// freed by the completion's trampoline.
#[repr(C)]
struct AsyncIo<T: IoDone> {
    io: bindings::smb_io,
    kv: bindings::kvec,
    iter: bindings::iov_iter,
    buf: KVec<u8>,
    ctx: Option<T>,
}

struct IoTable(bindings::smb_io_ops);
// SAFETY: immutable: a module pointer and a function pointer.
unsafe impl Sync for IoTable {}

impl<T: IoDone> AsyncIo<T> {
    const TABLE: &'static bindings::smb_io_ops = &IoTable(bindings::smb_io_ops {
        // The module this wrapper is compiled into: smbclient pins it while
        // the task lives (Documentation/abi.rst).
        owner: <crate::LocalModule as kernel::ModuleMetadata>::THIS_MODULE.as_ptr(),
        done: Some(Self::trampoline),
    })
    .0;

    /// # Safety
    ///
    /// Called by smbclient as the table's `done`, once, with `io` the
    /// `io` field of a boxed `AsyncIo<T>` given up by [`File::start_io`].
    unsafe extern "C" fn trampoline(io: *mut bindings::smb_io) {
        // SAFETY: `io` is the first field of a `#[repr(C)]` `AsyncIo<T>`
        // leaked from a `KBox` by `start_io`; smbclient calls `done` once
        // and touches the struct no more, so the box is ours again.
        let mut this = unsafe { KBox::from_raw(io.cast::<Self>()) };
        let out = IoOutcome {
            result: if this.io.error < 0 {
                Err(Error::from_errno(this.io.error))
            } else {
                Ok(this.io.transferred)
            },
            eof: this.io.eof != 0,
        };
        let buf = core::mem::take(&mut this.buf);
        if let Some(ctx) = this.ctx.take() {
            ctx.done(buf, out);
        }
    }
}

/// A running task (`struct smb_task`), from an asynchronous operation;
/// dropping it lets the task go on (`smb_task_put`).
pub struct Task {
    ptr: NonNull<bindings::smb_task>,
}

// SAFETY: a task reference may be used and dropped from any task.
unsafe impl Send for Task {}
// SAFETY: every entry point takes a shared task.
unsafe impl Sync for Task {}

impl Task {
    /// Gives the task up (`smb_task_cancel`): a request that went out is
    /// cancelled on the server, and the task completes with `ECANCELED`.
    /// `EALREADY` if it was over already.
    pub fn cancel(&self) -> Result {
        // SAFETY: a task this value holds.
        check(unsafe { bindings::smb_task_cancel(self.ptr.as_ptr()) })
    }

    /// Sleeps (killably) until the task is over; its result (`EINTR` if
    /// killed first: the task goes on).
    pub fn wait(&self) -> Result {
        // SAFETY: a task this value holds.
        check(unsafe { bindings::smb_task_wait(self.ptr.as_ptr()) })
    }

    /// The task's result, `EINPROGRESS` while it runs.
    pub fn result(&self) -> Result {
        // SAFETY: a task this value holds.
        check(unsafe { bindings::smb_task_result(self.ptr.as_ptr()) })
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        // SAFETY: the reference this value holds is given back once.
        unsafe { bindings::smb_task_put(self.ptr.as_ptr()) };
    }
}

/// Credits reserved for asynchronous READs and WRITEs
/// (`smb_clnt_reserve`), as netfs's `prepare_read` sizes a subrequest;
/// what no I/O took goes back on drop (`smb_clnt_unreserve`).
pub struct Credits {
    raw: bindings::smb_credits,
}

// SAFETY: a reservation belongs to one owner at a time and may be used
// and given back from any task.
unsafe impl Send for Credits {}

impl Credits {
    /// The bytes of READ or WRITE the credits still cover.
    pub fn bytes(&self) -> usize {
        self.raw.bytes
    }
}

impl Drop for Credits {
    fn drop(&mut self) {
        // SAFETY: the reservation this value owns, given back once.
        unsafe { bindings::smb_clnt_unreserve(&mut self.raw) };
    }
}

impl Clnt {
    /// Reserves credits for up to `bytes` of READ or WRITE on the handle's
    /// connection: [`Credits::bytes`] says what they cover (maybe less,
    /// maybe 0).
    pub fn reserve(&self, bytes: usize) -> Credits {
        let mut c = Credits {
            raw: bindings::smb_credits {
                bytes: 0,
                priv_: core::ptr::null_mut(),
            },
        };
        // SAFETY: a live handle; `c.raw` is writable and holds nothing.
        unsafe { bindings::smb_clnt_reserve(self.raw(), bytes, &mut c.raw) };
        c
    }
}

impl<C: Deref<Target = Clnt>> FileOf<C> {
    /// [`FileOf::read_async`] drawing on `credits` (it takes what its
    /// length needs).
    pub fn read_async_reserved<T: IoDone>(
        &self,
        offset: u64,
        buf: KVec<u8>,
        ctx: T,
        credits: &mut Credits,
    ) -> Result<Task> {
        self.start_io(offset, buf, ctx, false, Some(credits))
    }

    /// Starts one READ of up to `buf.capacity()` bytes (and the negotiated
    /// maximum) at `offset` into `buf`, which comes back to `ctx.done`
    /// holding them.
    pub fn read_async<T: IoDone>(&self, offset: u64, buf: KVec<u8>, ctx: T) -> Result<Task> {
        self.start_io(offset, buf, ctx, false, None)
    }

    /// Starts one WRITE of `buf` (up to the negotiated maximum) at
    /// `offset`; `ctx.done` gets `buf` back.
    pub fn write_async<T: IoDone>(&self, offset: u64, buf: KVec<u8>, ctx: T) -> Result<Task> {
        self.start_io(offset, buf, ctx, true, None)
    }

    fn start_io<T: IoDone>(
        &self,
        offset: u64,
        mut buf: KVec<u8>,
        ctx: T,
        write: bool,
        credits: Option<&mut Credits>,
    ) -> Result<Task> {
        if !write {
            // A READ fills the buffer's whole capacity.
            let cap = buf.capacity();
            buf.resize(cap, 0, GFP_KERNEL)?;
        }
        let mut this = KBox::new(
            AsyncIo {
                // SAFETY: all-zero is a valid (empty) `smb_io` and
                // `iov_iter`: null pointers and zero counts, filled in
                // below.
                io: unsafe { core::mem::zeroed() },
                kv: bindings::kvec::default(),
                // SAFETY: as above.
                iter: unsafe { core::mem::zeroed() },
                buf,
                ctx: Some(ctx),
            },
            GFP_KERNEL,
        )?;
        let len = this.buf.len();
        this.kv = bindings::kvec {
            iov_base: this.buf.as_mut_ptr().cast(),
            iov_len: len,
        };
        let dir = if write {
            bindings::SMB_CONST_ITER_SOURCE
        } else {
            bindings::SMB_CONST_ITER_DEST
        };
        let io = &mut *this;
        // SAFETY: `iter` and `kv` live in the box, which stays put (and
        // `buf`'s heap memory with it) until the trampoline frees it.
        unsafe { bindings::iov_iter_kvec(&mut io.iter, dir, &io.kv, 1, len) };
        io.io.clnt = self.clnt.raw();
        io.io.fid = bindings::smb_fid {
            persistent: self.fid.persistent,
            volatile_id: self.fid.volatile_id,
        };
        io.io.offset = offset;
        io.io.iter = &mut io.iter;
        io.io.ops = AsyncIo::<T>::TABLE;
        // Read only while the I/O starts (it takes its share then).
        io.io.credits = credits.map_or(core::ptr::null_mut(), |c| &mut c.raw);
        let raw = KBox::into_raw(this);
        // SAFETY: `raw` is a valid `smb_io` (the first field) whose
        // iterator and buffer stay valid until `done`, which frees them.
        let t = unsafe {
            if write {
                bindings::smb_write_async(raw.cast())
            } else {
                bindings::smb_read_async(raw.cast())
            }
        };
        // SAFETY: `raw` is the box given up for this start.
        unsafe { Task::started(t, raw) }
    }
}

impl Task {
    /// The task an asynchronous start returned (`t`), or its error, and
    /// then `raw`, the box the start was given and whose `done` will never
    /// come, is freed.
    ///
    /// # Safety
    ///
    /// `raw` came from `KBox::into_raw` and was handed to the start that
    /// returned `t`, and to nothing else.
    pub(crate) unsafe fn started<B>(t: *mut bindings::smb_task, raw: *mut B) -> Result<Task> {
        match kernel::error::from_err_ptr(t).and_then(|t| NonNull::new(t).ok_or(EINVAL)) {
            Ok(ptr) => Ok(Task { ptr }),
            Err(e) => {
                // SAFETY: not started, so `done` never comes: ours to free
                // (the caller's contract).
                drop(unsafe { KBox::from_raw(raw) });
                Err(e)
            }
        }
    }
}
