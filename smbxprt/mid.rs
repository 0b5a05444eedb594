// SPDX-License-Identifier: GPL-2.0
//! Requests in flight, and the table that finds them by MessageId.
//!
//! A [`Rqst`] is shared between the task waiting for the reply and the
//! receive path, which may run in softirq. Everything the receive path
//! touches is behind `SpinLockIrq`s (never held across anything that enables
//! bottom halves), so it is safe from softirq and from process context
//! (`release_sock`) alike.
//!
//! Lock order: [`MidTable`] → (released) → `Rqst::buf` → `Rqst::state`.
//! The table lock is only held to find, insert or remove an entry, never
//! while copying data.
#![forbid(unsafe_code)]

use crate::acall::AsyncCall;
use crate::kext::iter::IterSlot;
use crate::kext::sync::wait::WaitQueue;
use crate::proto::credits::Charge;
use crate::proto::header::HEADER_LEN;
use core::sync::atomic::AtomicU32;
use kernel::alloc::{
    flags::{GFP_KERNEL, GFP_NOWAIT},
    KVec,
};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode, RBTreeNodeReservation};
use kernel::sync::{new_spinlock_irq, Arc, SpinLockIrq};

/// The reply buffer. `detached` is set, under this buffer's lock, by a task
/// that stops waiting; after that no receiver writes here. Holding the lock
/// while copying is what "pins" the buffer: a task that detaches waits, by
/// taking the lock, for a copy in progress to finish.
pub(crate) struct ReplyBuf {
    pub(crate) data: KVec<u8>,
    pub(crate) detached: bool,
    /// Length of the frame being received (set when it is placed here).
    frame_len: usize,
    /// Frame bytes taken so far.
    got: usize,
    layout: Layout,
}

/// Where the bytes of a reply go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// All into the reply buffer.
    Whole,
    /// A data iterator is lent: the first [`READ_FIXED`] bytes decide.
    Undecided,
    /// A READ response: its payload goes into the lent iterator, the bytes
    /// before it into the buffer, anything after it nowhere.
    Split { data_off: usize, data_end: usize },
}

/// The SMB2 header and the fixed part of a READ response (MS-SMB2 2.2.20),
/// which say where the payload lies.
const READ_FIXED: usize = HEADER_LEN + 16;
/// SMB2 READ (MS-SMB2 2.2.1.2).
const READ_COMMAND: u16 = 0x0008;
/// STATUS_BUFFER_OVERFLOW: a successful READ of a named pipe message that
/// did not fit (MS-SMB2 3.3.4.4), which still carries data.
const STATUS_BUFFER_OVERFLOW: u32 = 0x8000_0005;

/// Where a request is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Being sent.
    Sending,
    /// Sent; no reply yet (or only an interim one).
    Waiting,
    /// The reply is in the buffer.
    Done,
    /// Failed (connection lost, send error): the errno.
    Failed(i32),
}

pub(crate) struct RqstState {
    pub(crate) phase: Phase,
    /// Length of the reply frame in the buffer, once `Done`.
    pub(crate) reply_len: usize,
    /// The AsyncId of an interim (STATUS_PENDING) reply, if one came.
    pub(crate) async_id: Option<u64>,
}

/// A request waiting for its reply.
#[pin_data]
pub(crate) struct Rqst {
    pub(crate) mid: u64,
    /// Its credits and MessageIds, completed when the reply arrives (even
    /// after the task has left).
    pub(crate) charge: Charge,
    /// The connection generation it was sent on.
    pub(crate) generation: u64,
    /// A CREATE's TreeId, for closing the open if its task leaves (an
    /// async reply does not carry it). Zero for other commands.
    pub(crate) tree_id: AtomicU32,
    #[pin]
    pub(crate) buf: SpinLockIrq<ReplyBuf>,
    #[pin]
    pub(crate) state: SpinLockIrq<RqstState>,
    #[pin]
    pub(crate) wait: WaitQueue,
    /// The caller's data destination (a READ's payload), lent for the
    /// call. Lock order: `buf` → `data`.
    #[pin]
    pub(crate) data: IterSlot,
    /// An asynchronous call to resume when this request finishes (taken,
    /// and kicked, by whoever finishes it). Lock order: `state` → (released)
    /// → `hook`.
    #[pin]
    hook: SpinLockIrq<Option<Arc<AsyncCall>>>,
}

impl Rqst {
    /// A request with `charge`'s MessageId whose reply may be up to
    /// `capacity` bytes (a longer one is handed to smbiod, which makes
    /// room).
    pub(crate) fn new(charge: Charge, generation: u64, capacity: usize) -> Result<Arc<Self>> {
        let data = KVec::with_capacity(capacity, GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Self {
                mid: charge.first_message_id,
                charge,
                generation,
                tree_id: AtomicU32::new(0),
                buf <- new_spinlock_irq!(
                    ReplyBuf { data, detached: false, frame_len: 0, got: 0, layout: Layout::Whole },
                    "Rqst::buf"
                ),
                state <- new_spinlock_irq!(
                    RqstState { phase: Phase::Sending, reply_len: 0, async_id: None },
                    "Rqst::state"
                ),
                wait <- crate::new_wait_queue!("Rqst::wait"),
                data <- IterSlot::new(),
                hook <- new_spinlock_irq!(None, "Rqst::hook"),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        let mut s = self.state.lock();
        if matches!(s.phase, Phase::Sending | Phase::Waiting) {
            s.phase = phase;
        }
    }

    /// Records the AsyncId of an interim reply. Any context.
    pub(crate) fn set_async_id(&self, id: u64) {
        self.state.lock().async_id = Some(id);
    }

    /// Room for the reply.
    pub(crate) fn capacity(&self) -> usize {
        self.buf.lock().data.capacity()
    }

    /// Whether a reply of `frame_len` bytes may not fit without making
    /// room first. With a data iterator lent, a reply up to the buffer plus
    /// the iterator may be a READ response that fits.
    pub(crate) fn needs_room(&self, frame_len: usize) -> bool {
        let b = self.buf.lock();
        let room = b.data.capacity().saturating_add(self.data.count());
        frame_len > room
    }

    /// Whether the waiting task has left.
    pub(crate) fn is_detached(&self) -> bool {
        self.buf.lock().detached
    }

    /// A frame of `frame_len` bytes is about to be delivered here; false
    /// (deliver nothing) if the task has already left. Any context.
    pub(crate) fn begin(&self, frame_len: usize) -> bool {
        let mut b = self.buf.lock();
        if b.detached {
            return false;
        }
        b.frame_len = frame_len;
        b.got = 0;
        b.data.clear();
        let lent = self.data.count() > 0;
        b.layout = if lent && frame_len >= READ_FIXED {
            Layout::Undecided
        } else {
            Layout::Whole
        };
        true
    }

    /// Makes room for a reply of `len` bytes before any of it arrives.
    /// Process context (allocates).
    pub(crate) fn reserve(&self, len: usize) -> Result {
        if self.capacity() >= len {
            return Ok(());
        }
        let fresh = KVec::with_capacity(len, GFP_KERNEL)?;
        let mut b = self.buf.lock();
        if b.data.is_empty() {
            b.data = fresh;
        }
        Ok(())
    }

    /// Takes `part`, at `offset` within the frame: the header and fixed
    /// part go into the reply buffer, a READ payload into the lent
    /// iterator. Returns false if the task has left or the reply does not
    /// fit where it must go (both mean: drain the rest). Any context: never
    /// allocates, never sleeps.
    pub(crate) fn append(&self, offset: usize, part: &crate::rx::Part<'_>) -> bool {
        let mut guard = self.buf.lock();
        let b = &mut *guard;
        if b.detached || b.got != offset {
            return false;
        }
        let len = part.len();
        let mut skip = 0usize;
        while skip < len {
            let pos = b.got;
            let left = len - skip;
            let n = match b.layout {
                Layout::Undecided => {
                    let n = left.min(READ_FIXED - pos);
                    if !buffer_part(&mut b.data, pos, part, skip, n) {
                        return false;
                    }
                    if pos + n == READ_FIXED {
                        b.layout = self.decide(&b.data, b.frame_len);
                    }
                    n
                }
                Layout::Whole => {
                    if !buffer_part(&mut b.data, pos, part, skip, left) {
                        return false;
                    }
                    left
                }
                Layout::Split { data_off, data_end } => {
                    if pos < data_off {
                        let n = left.min(data_off - pos);
                        if !buffer_part(&mut b.data, pos, part, skip, n) {
                            return false;
                        }
                        n
                    } else if pos < data_end {
                        let n = left.min(data_end - pos);
                        let copied = self
                            .data
                            .with(|it| it.is_some_and(|it| part.copy_range_to_iter(skip, n, it)));
                        if !copied {
                            return false;
                        }
                        n
                    } else {
                        // Past the payload (padding, or a compounded reply
                        // this interface does not carry): dropped.
                        left
                    }
                }
            };
            skip += n;
            b.got += n;
        }
        true
    }

    /// Where the rest of a reply goes, once its first [`READ_FIXED`] bytes
    /// (`head`) are in: a READ response whose payload fits the lent
    /// iterator is split; anything else goes whole into the buffer.
    fn decide(&self, head: &[u8], frame_len: usize) -> Layout {
        let get16 = |o| crate::proto::wire::get_u16(head, o).ok();
        let get32 = |o| crate::proto::wire::get_u32(head, o).ok();
        let is_read = get16(12) == Some(READ_COMMAND)
            && matches!(get32(8), Some(0) | Some(STATUS_BUFFER_OVERFLOW))
            && get16(HEADER_LEN) == Some(17);
        if !is_read {
            return Layout::Whole;
        }
        let data_off = head.get(HEADER_LEN + 2).map_or(0, |v| usize::from(*v));
        let data_len = get32(HEADER_LEN + 4).map_or(0, |v| v as usize);
        let Some(data_end) = data_off.checked_add(data_len) else {
            return Layout::Whole;
        };
        if data_len == 0 || data_off < READ_FIXED || data_end > frame_len {
            return Layout::Whole;
        }
        if data_len > self.data.count() {
            // Larger than the caller's destination: a protocol error the
            // buffer will refuse (it was sized for the fixed part).
            return Layout::Whole;
        }
        Layout::Split { data_off, data_end }
    }

    /// The AsyncId of an interim reply, if one came. Any context.
    pub(crate) fn async_id(&self) -> Option<u64> {
        self.state.lock().async_id
    }

    /// Whether the request has finished (replied or failed).
    pub(crate) fn is_finished(&self) -> bool {
        matches!(self.state.lock().phase, Phase::Done | Phase::Failed(_))
    }

    /// Marks the reply complete and wakes the waiter. Any context.
    pub(crate) fn complete(&self, reply_len: usize) {
        {
            let mut s = self.state.lock();
            if matches!(s.phase, Phase::Done | Phase::Failed(_)) {
                return;
            }
            s.phase = Phase::Done;
            s.reply_len = reply_len;
        }
        self.wait.wake_all();
        self.resume();
    }

    /// Fails the request with `err` and wakes the waiter. Any context.
    pub(crate) fn fail(&self, err: Error) {
        {
            let mut s = self.state.lock();
            if matches!(s.phase, Phase::Done | Phase::Failed(_)) {
                return;
            }
            s.phase = Phase::Failed(err.to_errno());
        }
        self.wait.wake_all();
        self.resume();
    }

    /// Has `call` resumed when this request finishes (at once if it has).
    pub(crate) fn set_hook(&self, call: Arc<AsyncCall>) {
        *self.hook.lock() = Some(call);
        if self.is_finished() {
            self.resume();
        }
    }

    /// Forgets the call to resume (it stopped waiting). Returns it, so that
    /// the caller, not this lock's holder, drops the reference.
    pub(crate) fn clear_hook(&self) -> Option<Arc<AsyncCall>> {
        self.hook.lock().take()
    }

    /// Kicks the waiting asynchronous call, if any. Any context: it only
    /// queues the call's work on smbiod.
    fn resume(&self) {
        let call = self.hook.lock().take();
        if let Some(c) = call {
            c.kick();
        }
    }

    /// Stops anyone writing into the reply buffer; returns once a copy in
    /// progress has finished.
    pub(crate) fn detach(&self) {
        self.buf.lock().detached = true;
    }

    /// Takes the reply out of a finished request.
    pub(crate) fn take_reply(&self) -> Result<KVec<u8>> {
        let (phase, len) = {
            let s = self.state.lock();
            (s.phase, s.reply_len)
        };
        match phase {
            Phase::Done => {
                let mut b = self.buf.lock();
                b.detached = true;
                let mut data = core::mem::take(&mut b.data);
                data.truncate(len);
                Ok(data)
            }
            Phase::Failed(e) => Err(Error::from_errno(e)),
            _ => Err(EINVAL),
        }
    }
}

/// Copies `n` bytes of `part` from `skip` to frame position `pos` of the
/// reply buffer, within its capacity (never allocates).
fn buffer_part(
    data: &mut KVec<u8>,
    pos: usize,
    part: &crate::rx::Part<'_>,
    skip: usize,
    n: usize,
) -> bool {
    let Some(end) = pos.checked_add(n) else {
        return false;
    };
    if data.len() != pos || end > data.capacity() {
        return false;
    }
    // Within capacity: `resize` does not allocate.
    if data.resize(end, 0, GFP_NOWAIT).is_err() {
        return false;
    }
    part.copy_range_to(skip, &mut data[pos..end])
}

/// The tree of requests and how many it holds (an RBTree does not count).
struct MidMap {
    tree: RBTree<u64, Arc<Rqst>>,
    len: usize,
}

impl MidMap {
    fn remove(&mut self, mid: u64) -> Option<RBTreeNode<u64, Arc<Rqst>>> {
        let node = self.tree.remove_node(&mid);
        if node.is_some() {
            self.len -= 1;
        }
        node
    }
}

/// Requests in flight on a connection, by MessageId.
#[pin_data]
pub(crate) struct MidTable {
    #[pin]
    map: SpinLockIrq<MidMap>,
}

impl MidTable {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            map <- new_spinlock_irq!(MidMap { tree: RBTree::new(), len: 0 }, "MidTable::map"),
        })
    }

    /// Adds `rqst` and returns how many requests are then in flight. The
    /// tree node is allocated before the lock is taken.
    pub(crate) fn insert(&self, rqst: Arc<Rqst>) -> Result<usize> {
        let node = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let mid = rqst.mid;
        let node = node.into_node(mid, rqst);
        let mut map = self.map.lock();
        if map.tree.get(&mid).is_some() {
            // Never happens with a correct MessageId window; refuse rather
            // than orphan the older request.
            return Err(EEXIST);
        }
        map.tree.insert(node);
        map.len += 1;
        Ok(map.len)
    }

    /// The request for `mid`, if one is waiting. Any context.
    pub(crate) fn find(&self, mid: u64) -> Option<Arc<Rqst>> {
        self.map.lock().tree.get(&mid).cloned()
    }

    /// Removes and returns the request for `mid`. Any context; the node is
    /// freed after the lock is dropped.
    pub(crate) fn remove(&self, mid: u64) -> Option<Arc<Rqst>> {
        let node = self.map.lock().remove(mid);
        node.map(|n| n.to_key_value().1)
    }

    /// Removes every request and fails it with `err` (connection lost).
    /// Returns how many there were. Any context.
    pub(crate) fn fail_all(&self, err: Error) -> usize {
        let mut n = 0;
        loop {
            let next = {
                let mut map = self.map.lock();
                let first = map.tree.iter().next().map(|(k, _)| *k);
                first.and_then(|k| map.remove(k))
            };
            match next {
                Some(node) => {
                    let (_, r) = node.to_key_value();
                    r.fail(err);
                    n += 1;
                }
                None => break,
            }
        }
        n
    }

    /// Number of requests in flight.
    pub(crate) fn len(&self) -> usize {
        self.map.lock().len
    }
}
