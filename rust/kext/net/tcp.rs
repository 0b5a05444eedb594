// SPDX-License-Identifier: GPL-2.0
//! Kernel TCP sockets with overloaded callbacks, receive through
//! `tcp_read_sock`, and send from kernel-backed iterators.
//!
//! # Contexts
//!
//! | entry point                          | context                               |
//! |--------------------------------------|---------------------------------------|
//! | [`SockCallbacks::data_ready`]        | softirq, or process (from `release_sock`), BHs off |
//! | [`SockCallbacks::state_change`]      | softirq or process, BHs off           |
//! | [`SockCallbacks::write_space`]       | softirq or process, BHs off           |
//! | [`CallbackSocket::with_rx_locked`]   | process (takes the socket lock)       |
//! | [`TcpSocket::send`]                  | process                               |
//! | [`CallbackSocket::close`], drops     | process (sleeps: `synchronize_rcu`)   |
//!
//! # Receive state
//!
//! A [`CallbackSocket`] keeps a receive state (`T::Rx`) that only two
//! places ever reach, and only with `&mut`: the `data_ready` callback and
//! [`CallbackSocket::with_rx_locked`]. The TCP stack calls `sk_data_ready`
//! only from its input path, which runs either in softirq under the socket
//! spinlock while no task owns the socket, or in the owning task from
//! `release_sock` (backlog processing). A task holding the socket lock
//! therefore excludes the callback and vice versa, so the two never
//! overlap: the state needs no lock of its own, and the callback may call
//! `tcp_read_sock` directly, as iscsi_tcp does.

use super::super::super::bindings;
use super::super::iter::{Direction, KernelIter};
use super::addr::SockAddr;
use super::ns::Net;
use core::cell::UnsafeCell;
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::{code::*, to_result, Error, Result};
use kernel::sync::{Arc, ArcBorrow};

/// TCP connection states this layer reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpState {
    /// Connected.
    Established,
    /// Connect in progress.
    SynSent,
    /// The peer closed its side (FIN received).
    CloseWait,
    /// Closed (RST, timeout, or after a full close).
    Closed,
    /// Any other state (closing handshakes).
    Other(i32),
}

impl TcpState {
    fn from_raw(s: i32) -> Self {
        if s == bindings::SMB_CONST_TCP_ESTABLISHED {
            Self::Established
        } else if s == bindings::SMB_CONST_TCP_SYN_SENT {
            Self::SynSent
        } else if s == bindings::SMB_CONST_TCP_CLOSE_WAIT {
            Self::CloseWait
        } else if s == bindings::SMB_CONST_TCP_CLOSE {
            Self::Closed
        } else {
            Self::Other(s)
        }
    }
}

/// An owned kernel TCP socket (`struct socket`), released on drop.
pub struct TcpSocket {
    sock: NonNull<bindings::socket>,
}

// SAFETY: kernel sockets may be used from any thread; the stack does its
// own locking.
unsafe impl Send for TcpSocket {}
// SAFETY: as above; every method locks as the stack requires.
unsafe impl Sync for TcpSocket {}

impl TcpSocket {
    /// Creates a TCP socket for `family` (`AF_INET`/`AF_INET6`) in `net`.
    ///
    /// The socket holds its own counted reference on the namespace
    /// (`sk_net_refcnt_upgrade`), allocates with `GFP_NOFS` (it serves file
    /// system writeback), never uses the task's page fragment, and has a
    /// lock class of its own.
    pub fn new(net: &Net, family: i32) -> Result<Self> {
        let mut sock: *mut bindings::socket = core::ptr::null_mut();
        // SAFETY: `net` is a live namespace (counted reference); `sock`
        // receives the new socket.
        to_result(unsafe {
            bindings::sock_create_kern(
                net.as_ptr(),
                family,
                bindings::SMB_CONST_SOCK_STREAM,
                bindings::SMB_CONST_IPPROTO_TCP,
                &mut sock,
            )
        })?;
        let sock = NonNull::new(sock).ok_or(ENOMEM)?;
        let this = Self { sock };
        let sk = this.sk();
        // SAFETY: the socket is new and not yet visible to anyone else; its
        // `sk` is valid. Reclassification must happen before first use.
        unsafe {
            bindings::smb_helper_sock_reclassify(sock.as_ptr());
            bindings::sk_net_refcnt_upgrade(sk);
            bindings::smb_helper_sk_setup(sk);
        }
        Ok(this)
    }

    fn sk(&self) -> *mut bindings::sock {
        // SAFETY: a socket created by `sock_create_kern` has its `sk` until
        // release.
        unsafe { bindings::smb_helper_socket_sk(self.sock.as_ptr()) }
    }

    /// Turns on TCP_NODELAY.
    pub fn set_nodelay(&self) {
        // SAFETY: `sk` is valid; the call takes the socket lock.
        unsafe { bindings::tcp_sock_set_nodelay(self.sk()) };
    }

    /// Sets keepalive probing: first probe after `idle_secs` of silence,
    /// then every `intvl_secs`, giving up after `count` probes.
    pub fn set_keepalive(&self, idle_secs: i32, intvl_secs: i32, count: i32) -> Result {
        // SAFETY: `sk` is valid; the calls take the socket lock.
        unsafe {
            bindings::sock_set_keepalive(self.sk());
            to_result(bindings::tcp_sock_set_keepidle(self.sk(), idle_secs))?;
            to_result(bindings::tcp_sock_set_keepintvl(self.sk(), intvl_secs))?;
            to_result(bindings::tcp_sock_set_keepcnt(self.sk(), count))
        }
    }

    /// Sets `TCP_USER_TIMEOUT`: unacknowledged data for this long closes
    /// the connection.
    pub fn set_user_timeout(&self, msecs: i32) {
        // SAFETY: `sk` is valid; the call takes the socket lock.
        unsafe { bindings::tcp_sock_set_user_timeout(self.sk(), msecs) };
    }

    /// Starts connecting to `addr` without blocking. Completion (or failure)
    /// is reported through [`SockCallbacks::state_change`].
    pub fn connect(&self, addr: &SockAddr) -> Result {
        let raw = addr.to_raw();
        // SAFETY: `raw` is a valid sockaddr of `raw.len()` bytes for the
        // duration of the call.
        let r = unsafe {
            bindings::kernel_connect(
                self.sock.as_ptr(),
                raw.as_ptr().cast_mut().cast(),
                raw.len() as c_int,
                bindings::SMB_CONST_O_NONBLOCK,
            )
        };
        if r == 0 || r == EINPROGRESS.to_errno() {
            Ok(())
        } else {
            Err(Error::from_errno(r))
        }
    }

    /// The connection state.
    pub fn state(&self) -> TcpState {
        // SAFETY: `sk` is valid; the read is lockless (a snapshot).
        TcpState::from_raw(unsafe { bindings::smb_helper_sk_state(self.sk()) })
    }

    /// The pending socket error, if any (e.g. `ECONNREFUSED` after a failed
    /// connect).
    pub fn error(&self) -> Option<Error> {
        // SAFETY: as above.
        let e = unsafe { bindings::smb_helper_sk_err(self.sk()) };
        (e != 0).then(|| Error::from_errno(-e))
    }

    /// Sends the bytes of `iter` (a kernel-backed source iterator). Blocks
    /// for send buffer space; returns how many bytes went out, which is less
    /// than requested only on an error or a signal. `more` tells TCP that
    /// more data follows immediately (`MSG_MORE`).
    pub fn send(&self, iter: &mut SendIter<'_>, more: bool) -> Result<usize> {
        let mut flags = bindings::SMB_CONST_MSG_NOSIGNAL;
        if more {
            flags |= bindings::SMB_CONST_MSG_MORE;
        }
        iter.msg.msg_flags = flags;
        // SAFETY: `iter.msg` holds a kernel-backed iterator over memory that
        // `iter` borrows for its lifetime; `sock_sendmsg` advances it.
        let r = unsafe { bindings::sock_sendmsg(self.sock.as_ptr(), &mut iter.msg) };
        if r < 0 {
            return Err(Error::from_errno(r));
        }
        let sent = r as usize;
        iter.len = iter.len.saturating_sub(sent);
        Ok(sent)
    }

    /// Sends up to `len` bytes of `iter` (a source [`KernelIter`]), which is
    /// advanced by what went out. Otherwise as [`TcpSocket::send`].
    pub fn send_iter(&self, iter: &mut KernelIter<'_>, len: usize, more: bool) -> Result<usize> {
        if iter.direction() != Direction::Source {
            return Err(EINVAL);
        }
        let mut flags = bindings::SMB_CONST_MSG_NOSIGNAL;
        if more {
            flags |= bindings::SMB_CONST_MSG_MORE;
        }
        iter.limited(len, |it| {
            // SAFETY: all-zero is a valid `msghdr` (no name, no control
            // data); its iterator is set just below.
            let mut msg: bindings::msghdr = unsafe { core::mem::zeroed() };
            msg.msg_flags = flags;
            // SAFETY: `it` is a valid kernel-backed source iterator; the
            // copy in `msg` reads the same memory, borrowed through `it`.
            unsafe { core::ptr::copy_nonoverlapping(it.as_raw(), &mut msg.msg_iter, 1) };
            // SAFETY: the socket is valid; `msg` is a valid msghdr.
            let r = unsafe { bindings::sock_sendmsg(self.sock.as_ptr(), &mut msg) };
            if r < 0 {
                return Err(Error::from_errno(r));
            }
            let sent = r as usize;
            it.advance(sent);
            Ok(sent)
        })
    }

    /// Shuts down both directions; pending and future receives end.
    pub fn shutdown(&self) {
        // SAFETY: the socket is valid. Errors (not connected) are harmless.
        unsafe {
            bindings::kernel_sock_shutdown(self.sock.as_ptr(), bindings::SMB_CONST_SHUT_RDWR as u32)
        };
    }
}

impl Drop for TcpSocket {
    fn drop(&mut self) {
        // SAFETY: we own the socket; it is released once, here, in process
        // context (dropping a `TcpSocket` requires it).
        unsafe { bindings::sock_release(self.sock.as_ptr()) };
    }
}

/// Up to `N` byte slices to send, as a kernel `ITER_KVEC` iterator.
pub struct SendIter<'a> {
    /// A `msghdr` whose `msg_iter` is the iterator.
    msg: bindings::msghdr,
    len: usize,
    _kvecs: PhantomData<&'a [bindings::kvec]>,
}

/// Storage for the `kvec` array a [`SendIter`] points at.
pub struct KvecArray<const N: usize> {
    vecs: [bindings::kvec; N],
}

impl<const N: usize> KvecArray<N> {
    /// Describes `parts` (at most `N`) and returns an iterator over them.
    pub fn iter<'a>(&'a mut self, parts: &[&'a [u8]]) -> Result<SendIter<'a>> {
        if parts.len() > N {
            return Err(EINVAL);
        }
        let mut len = 0usize;
        for (v, p) in self.vecs.iter_mut().zip(parts) {
            v.iov_base = p.as_ptr().cast_mut().cast();
            v.iov_len = p.len();
            len = len.checked_add(p.len()).ok_or(EOVERFLOW)?;
        }
        // SAFETY: all-zero is a valid `msghdr` (no name, no control data)
        // and a valid iov_iter before `iov_iter_kvec` sets it up.
        let mut msg: bindings::msghdr = unsafe { core::mem::zeroed() };
        // SAFETY: the first `parts.len()` kvecs describe memory borrowed
        // for `'a`, which the returned iterator's lifetime keeps alive.
        unsafe {
            bindings::iov_iter_kvec(
                &mut msg.msg_iter,
                bindings::SMB_CONST_ITER_SOURCE,
                self.vecs.as_ptr(),
                parts.len(),
                len,
            )
        };
        Ok(SendIter {
            msg,
            len,
            _kvecs: PhantomData,
        })
    }
}

impl<const N: usize> Default for KvecArray<N> {
    fn default() -> Self {
        Self {
            // SAFETY: all-zero is a valid (empty) kvec.
            vecs: unsafe { core::mem::zeroed() },
        }
    }
}

impl SendIter<'_> {
    /// Bytes not yet sent.
    pub fn remaining(&self) -> usize {
        self.len
    }
}

/// A piece of received data inside an `sk_buff`, offered by
/// [`Reader::read`].
pub struct Chunk<'a> {
    skb: *const bindings::sk_buff,
    offset: u32,
    len: usize,
    _p: PhantomData<&'a ()>,
}

impl Chunk<'_> {
    /// Bytes available in this chunk.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the chunk is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Copies `dst.len()` bytes starting `from` bytes into the chunk.
    pub fn copy_to(&self, from: usize, dst: &mut [u8]) -> Result {
        let end = from.checked_add(dst.len()).ok_or(EINVAL)?;
        if end > self.len {
            return Err(EINVAL);
        }
        let off = (self.offset as usize).checked_add(from).ok_or(EINVAL)?;
        let off = c_int::try_from(off).map_err(|_| EINVAL)?;
        let n = c_int::try_from(dst.len()).map_err(|_| EINVAL)?;
        // SAFETY: the skb is valid while the chunk is borrowed (inside the
        // read actor); the range was checked against the chunk, which lies
        // within the skb; `dst` is writable for `n` bytes.
        to_result(unsafe { bindings::skb_copy_bits(self.skb, off, dst.as_mut_ptr().cast(), n) })
    }
}

impl Chunk<'_> {
    /// Copies `n` bytes starting `from` bytes into the chunk into `iter` (a
    /// destination [`KernelIter`]), advancing it. Any context.
    pub fn copy_to_iter(&self, from: usize, n: usize, iter: &mut KernelIter<'_>) -> Result {
        let end = from.checked_add(n).ok_or(EINVAL)?;
        if end > self.len || n > iter.count() || iter.direction() != Direction::Dest {
            return Err(EINVAL);
        }
        let off = (self.offset as usize).checked_add(from).ok_or(EINVAL)?;
        let off = c_int::try_from(off).map_err(|_| EINVAL)?;
        let n = c_int::try_from(n).map_err(|_| EINVAL)?;
        // SAFETY: the skb is valid while the chunk is borrowed; the range
        // lies within the chunk; `iter` is a kernel-backed destination (no
        // user memory, so no fault in softirq) with room for `n` bytes.
        to_result(unsafe { bindings::skb_copy_datagram_iter(self.skb, off, iter.as_raw(), n) })
    }
}

struct ActorData<'a> {
    actor: &'a mut dyn FnMut(&Chunk<'_>) -> usize,
}

/// # Safety
///
/// Called by `tcp_read_sock` only, with the descriptor [`Reader::read`]
/// set up.
unsafe extern "C" fn read_actor(
    desc: *mut bindings::read_descriptor_t,
    skb: *mut bindings::sk_buff,
    offset: u32,
    len: usize,
) -> c_int {
    // SAFETY: `arg.data` points at the `ActorData` on `Reader::read`'s
    // stack, which outlives the `tcp_read_sock` call.
    let data = unsafe { &mut *(*desc).arg.data.cast::<ActorData<'_>>() };
    let len = len.min(c_int::MAX as usize);
    let chunk = Chunk {
        skb,
        offset,
        len,
        _p: PhantomData,
    };
    let used = (data.actor)(&chunk).min(len);
    used as c_int
}

/// Access to a socket's received data: exists only inside the
/// `data_ready` callback or while the socket lock is held.
pub struct Reader<'a> {
    sk: *mut bindings::sock,
    _p: PhantomData<&'a mut ()>,
}

impl Reader<'_> {
    /// Offers received data to `actor` chunk by chunk, in order. The actor
    /// returns how many bytes of the chunk it consumed; returning less than
    /// the chunk's length, then 0 when offered the rest, stops the read and
    /// leaves the data in the socket. Returns the total consumed. The actor
    /// must not sleep.
    pub fn read(&mut self, actor: &mut dyn FnMut(&Chunk<'_>) -> usize) -> Result<usize> {
        let mut data = ActorData { actor };
        // SAFETY: all-zero is a valid descriptor; we set what
        // `tcp_read_sock` reads.
        let mut desc: bindings::read_descriptor_t = unsafe { core::mem::zeroed() };
        desc.count = 1 << 30;
        desc.arg.data = (&raw mut data).cast::<c_void>();
        // SAFETY: a `Reader` exists only while receive on this socket is
        // serialised to us (see the module documentation), which is what
        // `tcp_read_sock` requires; the actor and its data outlive the call.
        let r = unsafe { bindings::tcp_read_sock(self.sk, &mut desc, Some(read_actor)) };
        if r < 0 {
            Err(Error::from_errno(r))
        } else {
            Ok(r as usize)
        }
    }

    /// Whether unread data is waiting in the socket.
    pub fn has_data(&self) -> bool {
        // SAFETY: `sk` is valid while the reader exists.
        unsafe { bindings::smb_helper_sk_has_rx_data(self.sk) }
    }
}

/// What a socket owner handles. Implementations must not sleep in any of
/// these: they run with bottom halves disabled.
pub trait SockCallbacks: Send + Sync + Sized + 'static {
    /// The receive state kept with the socket (see the module
    /// documentation for why it needs no lock).
    type Rx: Send;

    /// Data arrived.
    fn data_ready(this: ArcBorrow<'_, Self>, rx: &mut Self::Rx, reader: &mut Reader<'_>);

    /// The connection state changed.
    fn state_change(this: ArcBorrow<'_, Self>, state: TcpState);

    /// Send buffer space became available.
    fn write_space(_this: ArcBorrow<'_, Self>) {}
}

/// What `sk_user_data` points at while the callbacks are installed.
struct CbData<T: SockCallbacks> {
    owner: Arc<T>,
    rx: UnsafeCell<T::Rx>,
    /// The stack's callbacks, chained where they wake waiters and put back
    /// at teardown.
    old: bindings::smb_sk_callbacks,
}

/// Runs `f` with the callback data of `sk`, if the callbacks are still
/// installed, under `sk_callback_lock` (read).
///
/// # Safety
///
/// `sk` is a socket whose `sk_user_data` is NULL or a `CbData<T>` installed
/// by [`CallbackSocket::new`].
unsafe fn with_cb_data<T: SockCallbacks>(sk: *mut bindings::sock, f: impl FnOnce(&CbData<T>)) {
    // SAFETY: `sk` is valid while the stack calls our callbacks.
    unsafe { bindings::smb_helper_sk_callback_read_lock_bh(sk) };
    // SAFETY: as above.
    let p = unsafe { bindings::smb_helper_sk_user_data(sk) }.cast::<CbData<T>>();
    if !p.is_null() {
        // SAFETY: teardown clears the pointer under the write lock before
        // freeing the data, so it is valid while we hold the read lock.
        f(unsafe { &*p });
    }
    // SAFETY: taken above.
    unsafe { bindings::smb_helper_sk_callback_read_unlock_bh(sk) };
}

/// # Safety
///
/// Installed as `sk_data_ready` by [`CallbackSocket::new`] only.
unsafe extern "C" fn data_ready_cb<T: SockCallbacks>(sk: *mut bindings::sock) {
    // SAFETY: installed only on sockets carrying a `CbData<T>`.
    unsafe {
        with_cb_data::<T>(sk, |d| {
            // SAFETY: receive on the socket is serialised to this call (see
            // the module documentation), so this is the only reference to
            // the receive state.
            let rx = &mut *d.rx.get();
            let mut reader = Reader {
                sk,
                _p: PhantomData,
            };
            T::data_ready(d.owner.as_arc_borrow(), rx, &mut reader);
        })
    };
}

/// # Safety
///
/// Installed as `sk_state_change` by [`CallbackSocket::new`] only.
unsafe extern "C" fn state_change_cb<T: SockCallbacks>(sk: *mut bindings::sock) {
    // SAFETY: installed only on sockets carrying a `CbData<T>`.
    unsafe {
        with_cb_data::<T>(sk, |d| {
            // The stack's own handler wakes tasks waiting on the socket.
            if let Some(old) = d.old.state_change {
                old(sk);
            }
            let state = TcpState::from_raw(bindings::smb_helper_sk_state(sk));
            T::state_change(d.owner.as_arc_borrow(), state);
        })
    };
}

/// # Safety
///
/// Installed as `sk_write_space` by [`CallbackSocket::new`] only.
unsafe extern "C" fn write_space_cb<T: SockCallbacks>(sk: *mut bindings::sock) {
    // SAFETY: installed only on sockets carrying a `CbData<T>`.
    unsafe {
        with_cb_data::<T>(sk, |d| {
            // The stack's handler wakes a sender blocked for buffer space.
            if let Some(old) = d.old.write_space {
                old(sk);
            }
            T::write_space(d.owner.as_arc_borrow());
        })
    };
}

/// A [`TcpSocket`] whose callbacks are overloaded by an owner `T`, which
/// `sk_user_data` keeps alive (an `Arc<T>`) while they are installed.
pub struct CallbackSocket<T: SockCallbacks> {
    sock: Option<TcpSocket>,
    data: NonNull<CbData<T>>,
}

// SAFETY: the callback data is shared with softirq callbacks only through
// the documented protocol; `T` and `T::Rx` are `Send`/`Sync` as required.
unsafe impl<T: SockCallbacks> Send for CallbackSocket<T> {}
// SAFETY: `&CallbackSocket` gives the socket (thread-safe) and locked rx
// access only.
unsafe impl<T: SockCallbacks> Sync for CallbackSocket<T> {}

impl<T: SockCallbacks> CallbackSocket<T> {
    /// Installs `owner`'s callbacks on `sock`, with `rx` as the receive
    /// state. Must be called before the socket connects, so no event is
    /// missed.
    pub fn new(sock: TcpSocket, owner: Arc<T>, rx: T::Rx) -> Result<Self> {
        let data = KBox::new(
            CbData {
                owner,
                rx: UnsafeCell::new(rx),
                old: bindings::smb_sk_callbacks {
                    data_ready: None,
                    state_change: None,
                    write_space: None,
                },
            },
            GFP_KERNEL,
        )?;
        let data = NonNull::from(KBox::leak(data));
        let sk = sock.sk();
        let ours = bindings::smb_sk_callbacks {
            data_ready: Some(data_ready_cb::<T>),
            state_change: Some(state_change_cb::<T>),
            write_space: Some(write_space_cb::<T>),
        };
        // SAFETY: `sk` is valid and `data` fully initialised. The helper
        // saves the old callbacks into the data and publishes it in
        // `sk_user_data` under the socket lock and `sk_callback_lock`
        // (write), so no callback sees a half installed state.
        unsafe {
            let d = data.as_ptr();
            bindings::smb_helper_sk_install_callbacks(sk, &ours, &raw mut (*d).old, d.cast());
        }
        Ok(Self {
            sock: Some(sock),
            data,
        })
    }

    /// The socket.
    pub fn socket(&self) -> &TcpSocket {
        // INVARIANT: `sock` is `Some` until `teardown` (close or drop).
        self.sock.as_ref().expect("socket used after close")
    }

    /// The owner; `None` once closed.
    pub fn owner(&self) -> Option<&Arc<T>> {
        self.sock.as_ref()?;
        // SAFETY: the data lives until teardown, which clears `sock` first;
        // `sock` is still set, so the data has not been freed.
        Some(unsafe { &self.data.as_ref().owner })
    }

    /// Runs `f` with the socket lock held, giving it the receive state and
    /// a reader, as `data_ready` gets them. Process context; sleeps for the
    /// socket lock. Data that arrives meanwhile is delivered to
    /// `data_ready` when the lock is released.
    pub fn with_rx_locked<R>(
        &self,
        f: impl FnOnce(ArcBorrow<'_, T>, &mut T::Rx, &mut Reader<'_>) -> R,
    ) -> R {
        let sk = self.socket().sk();
        // SAFETY: `sk` is valid; holding the socket lock serialises receive
        // to us (see the module documentation), so `rx` is exclusively ours
        // until `release_sock`, which runs deferred input (and so possibly
        // `data_ready`) only after `f` has returned.
        unsafe {
            bindings::smb_helper_lock_sock(sk);
            let d = self.data.as_ptr();
            let mut reader = Reader {
                sk,
                _p: PhantomData,
            };
            let r = f((*d).owner.as_arc_borrow(), &mut *(*d).rx.get(), &mut reader);
            bindings::release_sock(sk);
            r
        }
    }

    /// Tears the socket down: restores the stack's callbacks and clears
    /// `sk_user_data` (under the socket lock and `sk_callback_lock`), waits
    /// for callbacks in flight (`synchronize_rcu`), runs `cancel_work` (the
    /// owner cancels work its callbacks queued), drops the owner reference,
    /// then releases the socket. Process context.
    pub fn close(mut self, cancel_work: impl FnOnce(&Arc<T>)) {
        self.teardown(cancel_work);
    }

    /// As [`CallbackSocket::close`], for owners that cannot give up the
    /// value (e.g. from their own `drop`). Idempotent; afterwards only
    /// dropping the `CallbackSocket` is allowed.
    pub fn close_in_place(&mut self, cancel_work: impl FnOnce(&Arc<T>)) {
        self.teardown(cancel_work);
    }

    fn teardown(&mut self, cancel_work: impl FnOnce(&Arc<T>)) {
        let Some(sock) = self.sock.take() else {
            return;
        };
        let sk = sock.sk();
        let d = self.data.as_ptr();
        // SAFETY: `sk` and the data are valid; see the steps above. After
        // the pointer is cleared under the write lock no new callback can
        // reach the data; `synchronize_rcu` waits for callbacks that loaded
        // our function pointers before the restore (they run in RCU
        // read-side sections: softirq, or under the socket lock in
        // `release_sock`, which we hold around the switch).
        unsafe {
            bindings::smb_helper_sk_restore_callbacks(sk, &raw const (*d).old);
            bindings::synchronize_rcu();
        }
        // SAFETY: the data is no longer reachable from the socket.
        let data = unsafe { KBox::from_raw(d) };
        cancel_work(&data.owner);
        drop(data);
        drop(sock);
    }
}

impl<T: SockCallbacks> Drop for CallbackSocket<T> {
    fn drop(&mut self) {
        self.teardown(|_| {});
    }
}
