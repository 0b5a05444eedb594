// SPDX-License-Identifier: GPL-2.0
//! One TCP connection of a transport: the socket callbacks, the receive
//! sink that places frames into waiting requests, and smbiod's receive
//! work.
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
//! In softirq mode `data_ready` parses frames and copies each reply into
//! the request waiting for it; a frame it cannot place (server-initiated,
//! encrypted, too large for its buffer) is parked and smbiod reads it. In
//! workqueue mode `data_ready` only queues the receive work.
#![forbid(unsafe_code)]

use crate::kext::iter::KernelIter;
use crate::kext::net::tcp::{CallbackSocket, Chunk, Reader, SockCallbacks, TcpSocket, TcpState};
use crate::kext::nofs::NofsScope;
use crate::kext::workqueue as kwq;
use crate::mid::Rqst;
use crate::proto::fast_path::{peek_header, PduPeek};
use crate::proto::framing::encode_frame_length;
use crate::proto::header::{Command, UNSOLICITED_MESSAGE_ID};
use crate::proto::transform::TRANSFORM_HEADER_LEN;
use crate::rx::{Bytes, Malformed, Part, Placement, RxEngine, Sink, Source};
use crate::seal;
use crate::stats::XprtStats;
use crate::xprt::{MsgKind, RecvMode, State, Xprt};
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// Frames longer than this break the stream: the largest READ or WRITE a
/// server may grant (8 MiB for ksmbd) plus headers.
pub(crate) const MAX_FRAME: usize = (8 << 20) + 4096;

/// Where a frame goes.
pub(crate) enum Target {
    /// The reply to a waiting request.
    Reply(Arc<Rqst>),
    /// A frame smbiod handles itself.
    Owned { buf: KVec<u8>, kind: OwnedKind },
    /// An encrypted frame, opened on smbiod once whole (it may be as long
    /// as the largest READ, hence a buffer that may be virtually mapped).
    Sealed(KVVec<u8>),
}

impl Target {
    /// A frame smbiod handles itself, which only smbiod may complete.
    fn is_owned(&self) -> bool {
        !matches!(self, Target::Reply(_))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OwnedKind {
    /// An oplock or lease break from the server.
    Unsolicited,
    /// A successful CREATE reply whose task had left: the open must be
    /// closed (by the upper layer that owns the session, or by us). The
    /// request's TreeId comes along.
    OrphanCreate(u32),
}

/// The largest orphaned CREATE reply kept for closing (its create contexts
/// included); a longer one is drained and its open left to the server's
/// session cleanup.
const MAX_ORPHAN_FRAME: usize = 64 * 1024;

/// The receive state kept with the socket.
pub(crate) type Rx = RxEngine<Target>;

/// The owner of a connection's socket callbacks.
#[pin_data]
pub(crate) struct Conn {
    pub(crate) xprt: Arc<Xprt>,
    pub(crate) generation: u64,
    /// Why the connection must be dropped, for `disconnect_work`.
    drop_reason: AtomicI32,
    #[pin]
    recv_work: Work<Conn, 1>,
    #[pin]
    disconnect_work: Work<Conn, 2>,
}

impl_has_work! {
    impl HasWork<Self, 1> for Conn { self.recv_work }
    impl HasWork<Self, 2> for Conn { self.disconnect_work }
}

impl WorkItem<1> for Conn {
    type Pointer = Arc<Conn>;

    fn run(this: Arc<Conn>) {
        this.recv_work();
    }
}

impl WorkItem<2> for Conn {
    type Pointer = Arc<Conn>;

    fn run(this: Arc<Conn>) {
        let err = Error::from_errno(this.drop_reason.load(Ordering::Acquire));
        this.xprt.disconnect(this.generation, err);
    }
}

impl Conn {
    pub(crate) fn new(xprt: Arc<Xprt>, generation: u64) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                xprt,
                generation,
                drop_reason: AtomicI32::new(ECONNRESET.to_errno()),
                recv_work <- new_work!("Conn::recv_work"),
                disconnect_work <- new_work!("Conn::disconnect_work"),
            }),
            GFP_KERNEL,
        )
    }

    fn queue_recv(this: ArcBorrow<'_, Self>) {
        let _ = this
            .xprt
            .globals
            .smbiod
            .enqueue::<Arc<Conn>, 1>(this.into());
    }

    fn queue_disconnect(this: ArcBorrow<'_, Self>, why: Error) {
        this.drop_reason.store(why.to_errno(), Ordering::Release);
        let _ = this
            .xprt
            .globals
            .smbiod
            .enqueue::<Arc<Conn>, 2>(this.into());
    }

    /// smbiod: read what `data_ready` could not (or, in workqueue mode,
    /// everything), with the socket locked and sleeping allocations allowed.
    fn recv_work(self: &Arc<Self>) {
        let Some(sock) = self.xprt.ctl.lock().sock.clone() else {
            return;
        };
        if sock.generation() != self.generation {
            return;
        }
        // Receive serves writeback: no allocation may recurse into the
        // file system.
        let _nofs = NofsScope::enter();
        let broken = sock.with_rx_locked(|owner, rx, reader| {
            let sink = ConnSink {
                conn: owner,
                may_sleep: true,
                opened: false,
            };
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

impl SockCallbacks for Conn {
    type Rx = Rx;

    fn data_ready(this: ArcBorrow<'_, Self>, rx: &mut Rx, reader: &mut Reader<'_>) {
        // A frame smbiod keeps for itself (placed there, with a sleeping
        // allocation) is finished there too: completing it takes locks that
        // sleep.
        if this.xprt.key.recv_mode == RecvMode::Workqueue
            || rx.is_parked()
            || rx.target().is_some_and(Target::is_owned)
        {
            Self::queue_recv(this);
            return;
        }
        if rx.is_broken() {
            return;
        }
        let sink = ConnSink {
            conn: this,
            may_sleep: false,
            opened: false,
        };
        let _ = reader.read(&mut |chunk| rx.consume(&sink, &ChunkSrc(chunk), false));
        if rx.is_parked() {
            Self::queue_recv(this);
        } else if rx.is_broken() {
            Self::queue_disconnect(this, EPROTO);
        }
    }

    fn state_change(this: ArcBorrow<'_, Self>, state: TcpState) {
        // The connect worker waits for the handshake's outcome.
        this.xprt.wake();
        if matches!(state, TcpState::Closed | TcpState::CloseWait)
            && matches!(this.xprt.state(), State::Connected | State::Negotiating)
        {
            Self::queue_disconnect(this, ECONNRESET);
        }
    }
}

/// A connection's socket as the transport holds it: shared by senders and
/// the receive work; the last holder tears it down (process context).
pub(crate) struct ConnSock {
    /// `Some` until the drop hands it to the close work.
    cs: Option<CallbackSocket<Conn>>,
    generation: u64,
}

impl ConnSock {
    pub(crate) fn new(cs: CallbackSocket<Conn>) -> Self {
        let generation = cs.owner().map_or(0, |c| c.generation);
        Self {
            cs: Some(cs),
            generation,
        }
    }

    fn cs(&self) -> &CallbackSocket<Conn> {
        // INVARIANT: `cs` is `Some` for the whole life of a `ConnSock`; only
        // its drop takes it.
        self.cs.as_ref().expect("ConnSock used during drop")
    }

    pub(crate) fn with_rx_locked<R>(
        &self,
        f: impl FnOnce(ArcBorrow<'_, Conn>, &mut Rx, &mut Reader<'_>) -> R,
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
fn close_socket(mut cs: CallbackSocket<Conn>) {
    cs.close_in_place(|conn| {
        kwq::cancel_work_sync::<Conn, 1>(conn);
        kwq::cancel_work_sync::<Conn, 2>(conn);
    });
}

impl Drop for ConnSock {
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
        if conn
            .xprt
            .globals
            .smbiod
            .try_spawn(GFP_KERNEL, move || close_socket(cs))
            .is_err()
        {
            // No memory for the work item: the closure and the socket in it
            // were dropped, which tears the socket down without cancelling
            // the connection's work; that work then finds no socket and
            // returns.
            pr_warn!(
                "transport {}: closing a connection without its work cancelled (no memory)\n",
                conn.xprt.id
            );
        }
    }
}

/// A received chunk as the receive engine sees it.
struct ChunkSrc<'a, 'b>(&'a Chunk<'b>);

impl Source for ChunkSrc<'_, '_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn copy_to(&self, from: usize, dst: &mut [u8]) -> bool {
        self.0.copy_to(from, dst).is_ok()
    }

    fn copy_to_iter(&self, from: usize, n: usize, iter: &mut KernelIter<'_>) -> bool {
        self.0.copy_to_iter(from, n, iter).is_ok()
    }
}

/// The transport as a receive sink.
struct ConnSink<'a> {
    conn: ArcBorrow<'a, Conn>,
    may_sleep: bool,
    /// Places the message opened from an encrypted frame, whose bytes were
    /// counted when the frame arrived.
    opened: bool,
}

/// Appends a part to a frame smbiod keeps whole: in order, within the
/// capacity reserved for the frame.
fn append<A: kernel::alloc::Allocator>(
    buf: &mut kernel::alloc::Vec<u8, A>,
    offset: usize,
    part: &Part<'_>,
) -> bool {
    let Some(end) = offset.checked_add(part.len()) else {
        return false;
    };
    if buf.len() != offset || end > buf.capacity() || buf.resize(end, 0, GFP_KERNEL).is_err() {
        return false;
    }
    part.copy_to(&mut buf[offset..end])
}

impl ConnSink<'_> {
    fn xprt(&self) -> &Xprt {
        &self.conn.xprt
    }

    /// Opens an encrypted frame with its session's keys and places the
    /// message inside as if it had arrived alone (smbiod only). A frame
    /// that cannot be opened is dropped: its request then times out, or
    /// fails with the connection. One that opens but holds no valid SMB2
    /// message came from a server that has the key and is broken: the
    /// connection is dropped.
    fn open_sealed(&self, mut buf: KVVec<u8>) {
        let xprt = self.xprt();
        let opened = seal::open(|sid| xprt.keyring.lock().find(sid), &mut buf);
        if let Err(e) = opened {
            XprtStats::inc(&xprt.stats.open_failures);
            pr_warn!(
                "transport {} to {}: dropping an encrypted message that does not open ({:?})\n",
                xprt.id,
                xprt.key.addr,
                e
            );
            return;
        }
        XprtStats::inc(&xprt.stats.opened);
        let msg = &buf[TRANSFORM_HEADER_LEN..];
        let mut len = [0u8; 4];
        let mut inner = Rx::new();
        let sink = ConnSink {
            conn: self.conn,
            may_sleep: self.may_sleep,
            opened: true,
        };
        let whole = encode_frame_length(msg.len(), &mut len).is_ok()
            && inner.consume(&sink, &Bytes(&len), true) == len.len()
            && inner.consume(&sink, &Bytes(msg), true) == msg.len()
            && inner.is_idle();
        if !whole {
            Conn::queue_disconnect(self.conn, EPROTO);
        }
    }

    fn owned(&self, frame_len: usize, kind: OwnedKind) -> Placement<Target> {
        if !self.may_sleep {
            return Placement::Park;
        }
        match KVec::with_capacity(frame_len, GFP_KERNEL) {
            Ok(buf) => Placement::Target(Target::Owned { buf, kind }),
            Err(_) => {
                pr_warn!("no memory for a {} byte frame; dropping it\n", frame_len);
                Placement::Drain
            }
        }
    }
}

impl Sink for ConnSink<'_> {
    type Target = Target;

    fn max_frame(&self) -> usize {
        self.xprt().max_frame.load(Ordering::Acquire)
    }

    fn place(&self, hdr: &[u8], frame_len: usize, may_sleep: bool) -> Placement<Target> {
        let xprt = self.xprt();
        let h = match peek_header(hdr) {
            Ok(PduPeek::Smb2(h)) => h,
            Ok(PduPeek::Transform(_)) => {
                if !may_sleep {
                    return Placement::Park;
                }
                return match KVVec::with_capacity(frame_len, GFP_KERNEL) {
                    Ok(buf) => Placement::Target(Target::Sealed(buf)),
                    Err(_) => {
                        pr_warn!(
                            "no memory for a {} byte encrypted frame; dropping it\n",
                            frame_len
                        );
                        Placement::Drain
                    }
                };
            }
            Err(_) => {
                XprtStats::inc(&xprt.stats.malformed);
                return Placement::Drain;
            }
        };
        if h.message_id == UNSOLICITED_MESSAGE_ID {
            return self.owned(frame_len, OwnedKind::Unsolicited);
        }
        let rqst = xprt.mids.find(h.message_id);
        if h.is_interim() {
            // MS-SMB2 3.2.5.1.5: take the credits and the AsyncId, keep
            // waiting for the final response.
            XprtStats::inc(&xprt.stats.interim);
            xprt.credits.lock().grant(h.credit_response);
            xprt.wake();
            if let (Some(r), crate::proto::header::HeaderTarget::Async { async_id }) =
                (&rqst, h.target)
            {
                r.set_async_id(async_id);
            }
            return Placement::Drain;
        }
        // A CREATE that succeeded after its task left (killed, timed out):
        // keep the reply so that the open can be closed. Deciding needs a
        // sleeping allocation, so in softirq nothing is decided yet.
        // The header tests come first: only a successful CREATE reply pays
        // for the request's lock.
        let orphan_create = h.status == 0
            && h.command() == Some(Command::Create)
            && frame_len <= MAX_ORPHAN_FRAME
            && rqst.as_ref().is_some_and(|r| r.is_detached());
        if orphan_create && !may_sleep {
            return Placement::Park;
        }
        if let Some(r) = &rqst {
            if r.needs_room(frame_len) {
                if !may_sleep {
                    // Decide nothing yet: smbiod will place it again.
                    return Placement::Park;
                }
                if r.reserve(frame_len).is_err() {
                    pr_warn!(
                        "no memory for a {} byte reply; failing the request\n",
                        frame_len
                    );
                    r.fail(ENOMEM);
                }
            }
        }
        // Committed: account the credits and take the request off the table.
        {
            let mut credits = xprt.credits.lock();
            if let Some(r) = &rqst {
                let _ = credits.complete(&r.charge);
            }
            credits.grant(h.credit_response);
        }
        xprt.wake();
        match rqst {
            None => {
                XprtStats::inc(&xprt.stats.unknown_mid);
                Placement::Drain
            }
            Some(r) => {
                xprt.mids.remove(h.message_id);
                if orphan_create {
                    let tree_id = r.tree_id.load(Ordering::Relaxed);
                    return match KVec::with_capacity(frame_len, GFP_KERNEL) {
                        Ok(buf) => Placement::Target(Target::Owned {
                            buf,
                            kind: OwnedKind::OrphanCreate(tree_id),
                        }),
                        Err(_) => Placement::Drain,
                    };
                }
                if r.is_finished() || !r.begin(frame_len) {
                    Placement::Drain
                } else {
                    Placement::Target(Target::Reply(r))
                }
            }
        }
    }

    fn deliver(&self, target: &mut Target, offset: usize, part: &Part<'_>) -> bool {
        match target {
            Target::Reply(r) => {
                if r.append(offset, part) {
                    return true;
                }
                // The rest is drained; a task still waiting learns why
                // rather than waiting for its timeout.
                if !r.is_detached() {
                    pr_warn!(
                        "transport {}: reply to MessageId {} does not fit its buffer; failing the request\n",
                        self.xprt().id,
                        r.mid
                    );
                    r.fail(EMSGSIZE);
                }
                false
            }
            Target::Owned { buf, .. } => append(buf, offset, part),
            Target::Sealed(buf) => append(buf, offset, part),
        }
    }

    fn complete(&self, target: Target, frame_len: usize) {
        let xprt = self.xprt();
        if !self.opened {
            XprtStats::add(&xprt.stats.bytes_received, frame_len as u64 + 4);
        }
        if self.may_sleep {
            XprtStats::inc(&xprt.stats.placed_by_smbiod);
        } else {
            XprtStats::inc(&xprt.stats.placed_in_data_ready);
        }
        match target {
            Target::Reply(r) => {
                XprtStats::inc(&xprt.stats.replies);
                r.complete(frame_len);
            }
            Target::Owned { kind, buf } => match kind {
                OwnedKind::Unsolicited => {
                    XprtStats::inc(&xprt.stats.unsolicited);
                    self.conn
                        .xprt
                        .post_message(MsgKind::Unsolicited, self.conn.generation, 0, buf);
                }
                OwnedKind::OrphanCreate(tree_id) => {
                    XprtStats::inc(&xprt.stats.orphan_creates);
                    self.conn.xprt.post_message(
                        MsgKind::OrphanCreate,
                        self.conn.generation,
                        tree_id,
                        buf,
                    );
                }
            },
            Target::Sealed(buf) => self.open_sealed(buf),
        }
    }

    fn malformed(&self, why: Malformed) {
        if why == Malformed::TooLong {
            XprtStats::inc(&self.xprt().stats.oversized);
        }
        XprtStats::inc(&self.xprt().stats.malformed);
        pr_warn!(
            "transport {} to {}: malformed input ({:?}); dropping the connection\n",
            self.xprt().id,
            self.xprt().key.addr,
            why
        );
    }

    fn resumed(&self) {
        XprtStats::inc(&self.xprt().stats.resumed_parses);
    }
}
