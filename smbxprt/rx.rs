// SPDX-License-Identifier: GPL-2.0
//! The receive state machine: RFC 1002 length, SMB2 (or transform) header,
//! then the body, into whatever the header's MessageId says.
//!
//! It is resumable at every byte: data arrives in chunks of any size (one
//! byte, several frames, a frame split anywhere), and the engine keeps its
//! place between chunks. It is pure logic over two small traits, so KUnit
//! can drive it over every chunk boundary of recorded traffic:
//!
//! - [`Source`] is a chunk of received bytes (an skb piece in the kernel);
//! - [`Sink`] decides where a frame goes and takes its bytes (the
//!   transport's MID table in the kernel).
//!
//! ```text
//!            4 bytes          64 (52) bytes         frame_len - header
//!   Length ---------> Header ---------------> place() --+--> Body ----> complete()
//!      ^                                                |--> Drain ---> (dropped)
//!      |                                                '--> Parked  (softirq only:
//!      '---------------------------------------------------- the rest is read by
//!                                                            smbiod, which resumes)
//! ```
#![forbid(unsafe_code)]

use crate::kext::iter::KernelIter;
use crate::proto::framing::decode_frame_length;
use crate::proto::header::{HEADER_LEN, PROTOCOL_ID};
use crate::proto::transform::{TRANSFORM_HEADER_LEN, TRANSFORM_PROTOCOL_ID};

/// A chunk of received bytes.
pub(crate) trait Source {
    /// Bytes in the chunk.
    fn len(&self) -> usize;
    /// Copies `dst.len()` bytes starting at `from`; false on failure.
    fn copy_to(&self, from: usize, dst: &mut [u8]) -> bool;
    /// Copies `n` bytes starting at `from` into a destination iterator;
    /// false on failure.
    fn copy_to_iter(&self, from: usize, n: usize, iter: &mut KernelIter<'_>) -> bool;
}

/// A byte slice as a [`Source`].
pub(crate) struct Bytes<'a>(pub(crate) &'a [u8]);

impl Source for Bytes<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn copy_to(&self, from: usize, dst: &mut [u8]) -> bool {
        match from
            .checked_add(dst.len())
            .and_then(|end| self.0.get(from..end))
        {
            Some(s) => {
                dst.copy_from_slice(s);
                true
            }
            None => false,
        }
    }

    fn copy_to_iter(&self, from: usize, n: usize, iter: &mut KernelIter<'_>) -> bool {
        match from.checked_add(n).and_then(|end| self.0.get(from..end)) {
            Some(s) => n <= iter.count() && iter.copy_to(s) == Ok(n),
            None => false,
        }
    }
}

/// A part of a chunk: `len` bytes from `start`.
pub(crate) struct Part<'a> {
    src: &'a dyn Source,
    start: usize,
    len: usize,
}

impl Part<'_> {
    /// Bytes in the part.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Copies the whole part into `dst` (which must be `len()` long).
    pub(crate) fn copy_to(&self, dst: &mut [u8]) -> bool {
        dst.len() == self.len && self.copy_range_to(0, dst)
    }

    /// Copies the part's bytes `skip..skip + dst.len()` into `dst`.
    pub(crate) fn copy_range_to(&self, skip: usize, dst: &mut [u8]) -> bool {
        match skip.checked_add(dst.len()) {
            Some(end) if end <= self.len => self.src.copy_to(self.start + skip, dst),
            _ => false,
        }
    }

    /// Copies the part's bytes `skip..skip + n` into a destination
    /// iterator.
    pub(crate) fn copy_range_to_iter(
        &self,
        skip: usize,
        n: usize,
        iter: &mut KernelIter<'_>,
    ) -> bool {
        match skip.checked_add(n) {
            Some(end) if end <= self.len => self.src.copy_to_iter(self.start + skip, n, iter),
            _ => false,
        }
    }
}

/// Where a frame goes, decided from its header.
pub(crate) enum Placement<T> {
    /// Into this target (the header first, then the body).
    Target(T),
    /// Nowhere: read and discard the frame (e.g. a reply nobody waits for).
    Drain,
    /// Not here: stop, and let process context (smbiod) read the frame.
    Park,
}

/// Why a stream is unusable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// The 4-byte length is not a direct-TCP frame length.
    BadLength,
    /// The frame is shorter than the header it starts with.
    TooShort,
    /// The frame is longer than the connection allows.
    TooLong,
    /// The frame starts with an unknown protocol id.
    BadProtocol,
    /// A copy from the socket failed.
    CopyFailed,
}

/// What the engine delivers into.
pub(crate) trait Sink {
    /// A frame's destination.
    type Target;

    /// Frames longer than this are [`Malformed::TooLong`].
    fn max_frame(&self) -> usize;

    /// Decides where the frame with this header goes. `hdr` is the SMB2
    /// header (64 bytes) or the transform header (52 bytes); `frame_len`
    /// counts the whole frame after the 4-byte length. `may_sleep` says
    /// whether the caller can allocate with a sleeping allocation (process
    /// context); without it the sink may [`Placement::Park`].
    fn place(&self, hdr: &[u8], frame_len: usize, may_sleep: bool) -> Placement<Self::Target>;

    /// Appends `part` at `offset` within the frame to `target`; false if the
    /// target no longer wants it (the engine then drains the rest).
    fn deliver(&self, target: &mut Self::Target, offset: usize, part: &Part<'_>) -> bool;

    /// The frame is complete in `target`.
    fn complete(&self, target: Self::Target, frame_len: usize);

    /// The stream is broken; the connection must be dropped.
    fn malformed(&self, why: Malformed);

    /// A frame was parked for process context (statistics, wake smbiod).
    fn parked(&self) {}

    /// The engine resumed a frame in a later chunk (statistics).
    fn resumed(&self) {}
}

enum Phase<T> {
    Length,
    Header,
    Body { target: T, done: usize },
    Drain { left: usize },
    Parked,
    Broken,
}

/// The receive state of one connection.
pub(crate) struct RxEngine<T> {
    phase: Phase<T>,
    len_buf: [u8; 4],
    len_got: usize,
    hdr: [u8; HEADER_LEN],
    hdr_want: usize,
    hdr_got: usize,
    frame_len: usize,
}

impl<T> Default for RxEngine<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> RxEngine<T> {
    /// A fresh engine, expecting a frame length.
    pub(crate) const fn new() -> Self {
        Self {
            phase: Phase::Length,
            len_buf: [0; 4],
            len_got: 0,
            hdr: [0; HEADER_LEN],
            hdr_want: 0,
            hdr_got: 0,
            frame_len: 0,
        }
    }

    /// Whether a frame is parked for process context.
    pub(crate) fn is_parked(&self) -> bool {
        matches!(self.phase, Phase::Parked)
    }

    /// Whether the stream was found broken (nothing more is consumed).
    pub(crate) fn is_broken(&self) -> bool {
        matches!(self.phase, Phase::Broken)
    }

    /// The target of the frame whose body is being read, if any.
    pub(crate) fn target(&self) -> Option<&T> {
        match &self.phase {
            Phase::Body { target, .. } => Some(target),
            _ => None,
        }
    }

    /// Whether the engine is between frames.
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Length) && self.len_got == 0
    }

    fn break_stream<S: Sink<Target = T>>(&mut self, sink: &S, why: Malformed) {
        self.phase = Phase::Broken;
        sink.malformed(why);
    }

    /// Resumes a parked frame in process context: asks the sink again, now
    /// allowed to sleep. Call before feeding more data.
    pub(crate) fn unpark<S: Sink<Target = T>>(&mut self, sink: &S) {
        if !matches!(self.phase, Phase::Parked) {
            return;
        }
        self.phase = Phase::Header;
        self.place(sink, true);
    }

    fn place<S: Sink<Target = T>>(&mut self, sink: &S, may_sleep: bool) {
        let hdr = &self.hdr[..self.hdr_want];
        let hdr_src = Bytes(hdr);
        self.phase = match sink.place(hdr, self.frame_len, may_sleep) {
            Placement::Target(mut target) => {
                let part = Part {
                    src: &hdr_src,
                    start: 0,
                    len: hdr.len(),
                };
                if sink.deliver(&mut target, 0, &part) {
                    Phase::Body {
                        target,
                        done: self.hdr_want,
                    }
                } else {
                    Phase::Drain {
                        left: self.frame_len - self.hdr_want,
                    }
                }
            }
            Placement::Drain => Phase::Drain {
                left: self.frame_len - self.hdr_want,
            },
            Placement::Park => {
                sink.parked();
                Phase::Parked
            }
        };
        self.finish_if_complete(sink);
    }

    fn finish_if_complete<S: Sink<Target = T>>(&mut self, sink: &S) {
        let done = match &self.phase {
            Phase::Body { done, .. } => *done == self.frame_len,
            Phase::Drain { left } => *left == 0,
            _ => false,
        };
        if done {
            let phase = core::mem::replace(&mut self.phase, Phase::Length);
            if let Phase::Body { target, .. } = phase {
                sink.complete(target, self.frame_len);
            }
            self.len_got = 0;
        }
    }

    /// Consumes bytes from `src`, returning how many. It stops early only
    /// when a frame is parked or the stream is broken; the rest stays in
    /// the socket. `may_sleep` is as for [`Sink::place`].
    pub(crate) fn consume<S: Sink<Target = T>>(
        &mut self,
        sink: &S,
        src: &dyn Source,
        may_sleep: bool,
    ) -> usize {
        let total = src.len();
        let mut pos = 0;
        if pos < total && !self.is_idle() {
            sink.resumed();
        }
        while pos < total {
            let avail = total - pos;
            match &mut self.phase {
                Phase::Parked | Phase::Broken => break,
                Phase::Length => {
                    let n = avail.min(4 - self.len_got);
                    if !src.copy_to(pos, &mut self.len_buf[self.len_got..self.len_got + n]) {
                        self.break_stream(sink, Malformed::CopyFailed);
                        break;
                    }
                    self.len_got += n;
                    pos += n;
                    if self.len_got < 4 {
                        continue;
                    }
                    match decode_frame_length(&self.len_buf) {
                        Ok(len) if len > sink.max_frame() => {
                            self.break_stream(sink, Malformed::TooLong);
                            break;
                        }
                        Ok(len) => {
                            self.frame_len = len;
                            self.hdr_got = 0;
                            // The shorter transform header decides first.
                            self.hdr_want = TRANSFORM_HEADER_LEN.min(len);
                            self.phase = Phase::Header;
                        }
                        Err(_) => {
                            self.break_stream(sink, Malformed::BadLength);
                            break;
                        }
                    }
                }
                Phase::Header => {
                    let n = avail.min(self.hdr_want - self.hdr_got);
                    if !src.copy_to(pos, &mut self.hdr[self.hdr_got..self.hdr_got + n]) {
                        self.break_stream(sink, Malformed::CopyFailed);
                        break;
                    }
                    self.hdr_got += n;
                    pos += n;
                    if self.hdr_got < self.hdr_want {
                        continue;
                    }
                    if self.hdr_got >= 4
                        && self.hdr[..4] == PROTOCOL_ID
                        && self.hdr_want < HEADER_LEN
                    {
                        // A plain SMB2 header: read the rest of it.
                        if self.frame_len < HEADER_LEN {
                            self.break_stream(sink, Malformed::TooShort);
                            break;
                        }
                        self.hdr_want = HEADER_LEN;
                        continue;
                    }
                    let proto_ok = self.hdr_got >= 4
                        && (self.hdr[..4] == PROTOCOL_ID || self.hdr[..4] == TRANSFORM_PROTOCOL_ID);
                    if !proto_ok || self.frame_len < self.hdr_want {
                        self.break_stream(sink, Malformed::BadProtocol);
                        break;
                    }
                    self.place(sink, may_sleep);
                }
                Phase::Body { target, done } => {
                    let n = avail.min(self.frame_len - *done);
                    let part = Part {
                        src,
                        start: pos,
                        len: n,
                    };
                    if sink.deliver(target, *done, &part) {
                        *done += n;
                    } else {
                        // The target went away (its task left); drain.
                        let left = self.frame_len - *done - n;
                        self.phase = Phase::Drain { left };
                    }
                    pos += n;
                    self.finish_if_complete(sink);
                }
                Phase::Drain { left } => {
                    let n = avail.min(*left);
                    *left -= n;
                    pos += n;
                    self.finish_if_complete(sink);
                }
            }
        }
        pos
    }
}
