// SPDX-License-Identifier: GPL-2.0
//! A request's reply buffer, and where the bytes of a reply frame go.
//!
//! The receive path appends each frame, in pieces as they arrive, to the
//! buffer of the request its MessageId names. A request that lent a
//! destination iterator (a READ into the caller's pages) may have the
//! payload of its reply go there instead, straight from the socket: its
//! owner's *split hook* looks at the first bytes of the reply (the header
//! and the fixed part, wherever the server put the data) and says which
//! range of the frame is payload. The buffer then holds the bytes before
//! the payload followed by those after it, and [`ReplyBuf::payload`] says
//! where the payload went, so that a signature can still be verified over
//! the whole PDU.
//!
//! Everything here runs under the request's bottom-half spinlock, in
//! softirq or in process context, and never allocates: the buffer's
//! capacity is reserved before a frame is placed.
#![forbid(unsafe_code)]

use crate::kext::iter::{IterMark, IterSlot};
use crate::rx::Part;
use kernel::alloc::{flags::GFP_NOWAIT, KVVec};

/// Where the bytes of the frame being received go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    /// All into the buffer.
    Whole,
    /// A split hook will decide once the first `head` bytes are in.
    Undecided { head: usize },
    /// Frame bytes `off..end` go into the lent iterator, the rest into the
    /// buffer.
    Split { off: usize, end: usize },
}

/// What the owner's split hook decides, given the start of a frame.
pub(crate) type SplitFn<'a> = &'a dyn Fn(&[u8], usize) -> Option<(usize, usize)>;

/// A request's reply, as it arrives.
pub(crate) struct ReplyBuf<'a> {
    /// The reply: the frames' bytes, without a split payload.
    pub(crate) data: KVVec<u8>,
    /// Where the frame being received starts in `data` (not 0 only when a
    /// compound's last PDU went async and its final reply continues it).
    base: usize,
    /// Length of the frame being received.
    frame_len: usize,
    /// Frame bytes taken so far.
    got: usize,
    layout: Layout,
    /// Where a split payload went: its offset and length within the frame,
    /// and a mark in the iterator from which it can be read back.
    payload: Option<(usize, usize, IterMark<'a>)>,
}

impl<'a> ReplyBuf<'a> {
    /// An empty buffer with `data`'s capacity.
    pub(crate) fn new(data: KVVec<u8>) -> Self {
        Self {
            data,
            base: 0,
            frame_len: 0,
            got: 0,
            layout: Layout::Whole,
            payload: None,
        }
    }

    /// Bytes the buffer can take without allocating.
    pub(crate) fn capacity(&self) -> usize {
        self.data.capacity()
    }

    /// Gets ready for a frame of `frame_len` bytes starting at `base` in
    /// the buffer (what was there from `base` on is dropped). `split_head`:
    /// the bytes the owner's hook needs to decide a split, 0 if it has none
    /// or no iterator is lent.
    pub(crate) fn begin(&mut self, base: usize, frame_len: usize, split_head: usize) {
        self.data.truncate(base);
        self.base = base;
        self.frame_len = frame_len;
        self.got = 0;
        self.payload = None;
        self.layout = if split_head > 0 && split_head <= frame_len {
            Layout::Undecided { head: split_head }
        } else {
            Layout::Whole
        };
    }

    /// Whether a frame of `frame_len` bytes starting at `base` may not fit
    /// without making room first, given `lent` bytes of destination
    /// iterator a split could use.
    pub(crate) fn needs_room(&self, base: usize, frame_len: usize, lent: usize) -> bool {
        let room = self.capacity().saturating_sub(base).saturating_add(lent);
        frame_len > room
    }

    /// Replaces the storage with `fresh` (larger), keeping what is there.
    pub(crate) fn grow(&mut self, mut fresh: KVVec<u8>) {
        if fresh.capacity() <= self.capacity() {
            return;
        }
        if fresh.extend_from_slice(&self.data, GFP_NOWAIT).is_ok() {
            self.data = fresh;
        }
    }

    /// Where the split payload of the frame went (offset and length within
    /// the frame) and its mark, if the frame was split.
    pub(crate) fn payload(&self) -> Option<&(usize, usize, IterMark<'a>)> {
        self.payload.as_ref()
    }

    /// Takes the split payload's description out (to verify without the
    /// buffer's lock); [`ReplyBuf::restore_payload`] puts it back.
    pub(crate) fn payload_taken(&mut self) -> Option<(usize, usize, IterMark<'a>)> {
        self.payload.take()
    }

    /// Puts back what [`ReplyBuf::payload_taken`] took.
    pub(crate) fn restore_payload(&mut self, p: Option<(usize, usize, IterMark<'a>)>) {
        self.payload = p;
    }

    /// Where the frame being received starts in the buffer.
    pub(crate) fn base(&self) -> usize {
        self.base
    }

    /// Takes `part`, at `offset` within the frame, into the buffer or the
    /// lent iterator. False if it does not fit where it must go (the rest
    /// of the frame is then drained). Any context: never allocates.
    pub(crate) fn append(
        &mut self,
        offset: usize,
        part: &Part<'_>,
        slot: &IterSlot<'a>,
        split: SplitFn<'_>,
    ) -> bool {
        if self.got != offset {
            return false;
        }
        let len = part.len();
        let mut skip = 0usize;
        while skip < len {
            let pos = self.got;
            let left = len - skip;
            let n = match self.layout {
                Layout::Undecided { head } => {
                    let n = left.min(head - pos);
                    if !self.buffer(part, skip, n) {
                        return false;
                    }
                    if pos + n == head {
                        self.layout = self.decide(head, slot, split);
                    }
                    n
                }
                Layout::Whole => {
                    if !self.buffer(part, skip, left) {
                        return false;
                    }
                    left
                }
                Layout::Split { off, end } => {
                    if pos < off {
                        let n = left.min(off - pos);
                        if !self.buffer(part, skip, n) {
                            return false;
                        }
                        n
                    } else if pos < end {
                        let n = left.min(end - pos);
                        let copied = slot
                            .with(|it| it.is_some_and(|it| part.copy_range_to_iter(skip, n, it)));
                        if !copied {
                            return false;
                        }
                        n
                    } else {
                        // After the payload: padding, or more of the PDU;
                        // kept, since a signature covers it.
                        if !self.buffer(part, skip, left) {
                            return false;
                        }
                        left
                    }
                }
            };
            skip += n;
            self.got += n;
        }
        true
    }

    /// Asks the owner's hook about the frame whose first `head` bytes are
    /// in, and checks its answer: the payload must lie after those bytes,
    /// within the frame, and fit the lent iterator.
    fn decide(&mut self, head: usize, slot: &IterSlot<'a>, split: SplitFn<'_>) -> Layout {
        let Some(start) = self.data.get(self.base..) else {
            return Layout::Whole;
        };
        let Some((off, len)) = split(start, self.frame_len) else {
            return Layout::Whole;
        };
        let Some(end) = off.checked_add(len) else {
            return Layout::Whole;
        };
        if len == 0 || off < head || end > self.frame_len {
            return Layout::Whole;
        }
        let mark = slot.with(|it| match it {
            Some(it) if it.count() >= len => Some(it.mark()),
            _ => None,
        });
        match mark {
            Some(m) => {
                self.payload = Some((off, len, m));
                Layout::Split { off, end }
            }
            // Larger than the caller's destination: it goes whole into the
            // buffer, which then refuses it (sized for the fixed part), and
            // the request fails with EMSGSIZE.
            None => Layout::Whole,
        }
    }

    /// Copies `n` bytes of `part` from `skip` to the end of the buffer,
    /// within its capacity.
    fn buffer(&mut self, part: &Part<'_>, skip: usize, n: usize) -> bool {
        let at = self.data.len();
        let Some(end) = at.checked_add(n) else {
            return false;
        };
        if end > self.data.capacity() {
            return false;
        }
        // Within capacity: `resize` does not allocate.
        if self.data.resize(end, 0, GFP_NOWAIT).is_err() {
            return false;
        }
        match self.data.get_mut(at..end) {
            Some(dst) => part.copy_range_to(skip, dst),
            None => false,
        }
    }

    /// Whether the whole frame is in.
    pub(crate) fn complete(&self) -> bool {
        self.got == self.frame_len
    }
}
