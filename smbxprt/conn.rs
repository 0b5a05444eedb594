// SPDX-License-Identifier: GPL-2.0
//! One TCP connection: its socket callbacks and its receive and disconnect
//! work, generic over the transport that owns it ([`ConnOwner`]), which
//! decides where each frame goes (`place.rs`). This file knows sockets and
//! the receive engine, not requests or sessions.
//!
//! # Contexts
//!
//! | entry point                     | context                                   |
//! |---------------------------------|-------------------------------------------|
//! | `Conn::data_ready`              | softirq, or process from `release_sock`  |
//! | `Conn::state_change`            | softirq or process, BHs off               |
//! | `Conn::recv_work` (smbiod)      | process, socket lock held while reading   |
//! | `Conn::disconnect_work` (smbiod)| process                                   |
//!
//! In softirq mode `data_ready` parses frames and places them itself; a
//! frame it cannot place there (server-initiated, encrypted, too large for
//! its buffer) is parked and smbiod reads it. In workqueue mode
//! `data_ready` only queues the receive work.
#![forbid(unsafe_code)]

use crate::kext::net::tcp::{CallbackSocket, Reader, SockCallbacks, TcpSocket, TcpState};
use crate::kext::nofs::NofsScope;
use crate::kext::workqueue as kwq;
use crate::rx::{RxEngine, Sink};
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::workqueue::{impl_has_work, new_work, Queue, Work, WorkItem};

/// What a connection's owner (the transport) supplies.
pub(crate) trait ConnOwner: Send + Sync + Sized + 'static {
    /// Where a frame being received goes.
    type Target: Send;
    /// The receive sink, given whether it may sleep (allocate).
    type Sink<'a>: Sink<Target = Self::Target>;

    /// The sink for `conn`'s frames.
    fn sink<'a>(conn: ArcBorrow<'a, Conn<Self>>, may_sleep: bool) -> Self::Sink<'a>;

    /// Whether `data_ready` places frames itself (else smbiod reads).
    fn softirq_receive(&self) -> bool;

    /// Whether a frame being received into `target` must be finished by
    /// smbiod (it was placed there, with a sleeping allocation).
    fn smbiod_only(target: &Self::Target) -> bool;

    /// The queue the connection's work runs on (smbiod).
    fn queue(&self) -> &Queue;

    /// The connection's socket, if `generation` is still the current one.
    fn socket(&self, generation: u64) -> Option<Arc<ConnSock<Self>>>;

    /// The TCP state changed (the connect worker waits for it); true if
    /// the connection is lost. BHs off: must not sleep.
    fn state_changed(&self, generation: u64, state: TcpState) -> bool;

    /// The connection `generation` must go (smbiod).
    fn lost(this: &Arc<Self>, generation: u64, why: Error);
}

/// The receive state kept with the socket.
pub(crate) type Rx<O> = RxEngine<<O as ConnOwner>::Target>;

/// The owner of a connection's socket callbacks.
#[pin_data]
pub(crate) struct Conn<O: ConnOwner> {
    pub(crate) owner: Arc<O>,
    pub(crate) generation: u64,
    /// Why the connection must be dropped, for `disconnect_work`.
    drop_reason: AtomicI32,
    #[pin]
    recv_work: Work<Conn<O>, 1>,
    #[pin]
    disconnect_work: Work<Conn<O>, 2>,
}

impl_has_work! {
    impl{O: ConnOwner} HasWork<Self, 1> for Conn<O> { self.recv_work }
    impl{O: ConnOwner} HasWork<Self, 2> for Conn<O> { self.disconnect_work }
}

impl<O: ConnOwner> WorkItem<1> for Conn<O> {
    type Pointer = Arc<Conn<O>>;

    fn run(this: Arc<Conn<O>>) {
        this.recv_work();
    }
}

impl<O: ConnOwner> WorkItem<2> for Conn<O> {
    type Pointer = Arc<Conn<O>>;

    fn run(this: Arc<Conn<O>>) {
        let err = Error::from_errno(this.drop_reason.load(Ordering::Acquire));
        O::lost(&this.owner, this.generation, err);
    }
}

impl<O: ConnOwner> Conn<O> {
    pub(crate) fn new(owner: Arc<O>, generation: u64) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                owner,
                generation,
                drop_reason: AtomicI32::new(ECONNRESET.to_errno()),
                recv_work <- new_work!("Conn::recv_work"),
                disconnect_work <- new_work!("Conn::disconnect_work"),
            }),
            GFP_KERNEL,
        )
    }

    fn queue_recv(this: ArcBorrow<'_, Self>) {
        let _ = this.owner.queue().enqueue::<Arc<Conn<O>>, 1>(this.into());
    }

    /// Asks smbiod to drop this connection. Any context.
    pub(crate) fn queue_disconnect(this: ArcBorrow<'_, Self>, why: Error) {
        this.drop_reason.store(why.to_errno(), Ordering::Release);
        let _ = this.owner.queue().enqueue::<Arc<Conn<O>>, 2>(this.into());
    }

    /// smbiod: read what `data_ready` could not (or, in workqueue mode,
    /// everything), with the socket locked and sleeping allocations allowed.
    fn recv_work(self: &Arc<Self>) {
        let Some(sock) = self.owner.socket(self.generation) else {
            return;
        };
        // Receive serves writeback: no allocation may recurse into the
        // file system.
        let _nofs = NofsScope::enter();
        let broken = sock.with_rx_locked(|owner, rx, reader| {
            let sink = O::sink(owner, true);
            loop {
                rx.unpark(&sink);
                if rx.is_broken() {
                    break;
                }
                let _ = reader.read(&mut |chunk| rx.consume(&sink, &ChunkSrc(chunk), true));
                // Whatever arrived while we read is ours to take too: no new
                // data_ready comes for data already queued.
                if rx.is_broken() || !reader.has_data() {
                    break;
                }
            }
            rx.is_broken()
        });
        if broken {
            Self::queue_disconnect(self.as_arc_borrow(), EPROTO);
        }
    }
}

impl<O: ConnOwner> SockCallbacks for Conn<O> {
    type Rx = Rx<O>;

    fn data_ready(this: ArcBorrow<'_, Self>, rx: &mut Rx<O>, reader: &mut Reader<'_>) {
        // A frame smbiod keeps for itself is finished there too.
        if !this.owner.softirq_receive()
            || rx.is_parked()
            || rx.target().is_some_and(O::smbiod_only)
        {
            Self::queue_recv(this);
            return;
        }
        if rx.is_broken() {
            return;
        }
        let sink = O::sink(this, false);
        let _ = reader.read(&mut |chunk| rx.consume(&sink, &ChunkSrc(chunk), false));
        if rx.is_parked() {
            Self::queue_recv(this);
        } else if rx.is_broken() {
            Self::queue_disconnect(this, EPROTO);
        }
    }

    fn state_change(this: ArcBorrow<'_, Self>, state: TcpState) {
        if this.owner.state_changed(this.generation, state) {
            Self::queue_disconnect(this, ECONNRESET);
        }
    }
}

/// A connection's socket as the transport holds it: shared by senders and
/// the receive work; the last holder tears it down (process context).
pub(crate) struct ConnSock<O: ConnOwner> {
    /// `Some` until the drop hands it to the close work.
    cs: Option<CallbackSocket<Conn<O>>>,
    generation: u64,
}

impl<O: ConnOwner> ConnSock<O> {
    pub(crate) fn new(cs: CallbackSocket<Conn<O>>) -> Self {
        let generation = cs.owner().map_or(0, |c| c.generation);
        Self {
            cs: Some(cs),
            generation,
        }
    }

    fn cs(&self) -> &CallbackSocket<Conn<O>> {
        // INVARIANT: `cs` is `Some` for the whole life of a `ConnSock`; only
        // its drop takes it.
        self.cs.as_ref().expect("ConnSock used during drop")
    }

    pub(crate) fn with_rx_locked<R>(
        &self,
        f: impl FnOnce(ArcBorrow<'_, Conn<O>>, &mut Rx<O>, &mut Reader<'_>) -> R,
    ) -> R {
        self.cs().with_rx_locked(f)
    }

    pub(crate) fn socket(&self) -> &TcpSocket {
        self.cs().socket()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Ends both directions: blocked senders and the peer notice.
    pub(crate) fn shutdown(&self) {
        self.socket().shutdown();
    }

    /// Asks smbiod to drop this connection (after a failed send).
    pub(crate) fn request_disconnect(&self, why: Error) {
        if let Some(conn) = self.cs().owner() {
            Conn::queue_disconnect(conn.as_arc_borrow(), why);
        }
    }
}

/// The socket teardown, which cancels (and so waits for) the connection's
/// work items: it must not run inside one of them.
fn close_socket<O: ConnOwner>(mut cs: CallbackSocket<Conn<O>>) {
    cs.close_in_place(|conn| {
        kwq::cancel_work_sync::<Conn<O>, 1>(conn);
        kwq::cancel_work_sync::<Conn<O>, 2>(conn);
    });
}

impl<O: ConnOwner> Drop for ConnSock<O> {
    fn drop(&mut self) {
        let Some(cs) = self.cs.take() else {
            return;
        };
        // The last holder may be the connection's own receive or disconnect
        // work, which the teardown cancels: close from a work item of its
        // own instead. smbiod is flushed before the module goes away.
        let Some(conn) = cs.owner().cloned() else {
            return;
        };
        if crate::kext::workqueue::spawn!(conn.owner.queue(), "conn::close_socket", move || {
            close_socket(cs)
        })
        .is_err()
        {
            // No memory for the work item: the closure and the socket in it
            // were dropped, which tears the socket down without cancelling
            // the connection's work; that work then finds no socket and
            // returns.
            pr_warn!("closing a connection without its work cancelled (no memory)\n");
        }
    }
}

/// A received chunk as the receive engine sees it.
pub(crate) struct ChunkSrc<'a, 'b>(pub(crate) &'a crate::kext::net::tcp::Chunk<'b>);

impl crate::rx::Source for ChunkSrc<'_, '_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn copy_to(&self, from: usize, dst: &mut [u8]) -> bool {
        self.0.copy_to(from, dst).is_ok()
    }

    fn copy_to_iter(
        &self,
        from: usize,
        n: usize,
        iter: &mut crate::kext::iter::KernelIter<'_>,
    ) -> bool {
        self.0.copy_to_iter(from, n, iter).is_ok()
    }
}
