// SPDX-License-Identifier: GPL-2.0
//! Where each received frame goes: the transport as the owner of its
//! connections ([`ConnOwner`]) and as the receive engine's sink.
//!
//! `place()` reads the header with the codec's fast path and decides:
//!
//! * a reply to a request that is out: into its buffer (and a split
//!   payload into its destination iterator, as its owner's hook says);
//! * an interim reply (`STATUS_PENDING`): credits and AsyncId taken, the
//!   request keeps waiting, its timer stopped;
//! * a reply whose owner left (cancelled, timed out): its credits are
//!   counted, and a successful one is kept whole for the handlers (it may
//!   hold something the session must undo, an open);
//! * a reply nobody waits for: drained, its credits counted;
//! * a server-initiated message (MessageId all ones), an encrypted frame
//!   (its MessageId is hidden), or a reply larger than its buffer: parked
//!   in softirq; smbiod reads it.
//!
//! A reply's credits are the sum of every PDU's CreditResponse in it: the
//! first header's counted at once (so waiters go as early as possible),
//! the others once the frame is whole. A request leaves the MID table when
//! its final reply is whole; one whose compound's last operation went
//! async stays until that operation's final reply continues it.
#![forbid(unsafe_code)]

use crate::conn::{Conn, ConnOwner, ConnSock};
use crate::kext::net::tcp::TcpState;
use crate::notify::MsgKind;
use crate::proto::fast_path::{peek_header, PduPeek};
use crate::proto::framing::encode_frame_length;
use crate::proto::header::{HeaderView, HEADER_LEN, UNSOLICITED_MESSAGE_ID};
use crate::proto::transform::TRANSFORM_HEADER_LEN;
use crate::rqst::{Begin, Rqst};
use crate::rx::{Bytes, Malformed, Part, Placement, RxEngine, Sink};
use crate::seal;
use crate::stats::XprtStats;
use crate::xprt::{RecvMode, State, Xprt};
use core::sync::atomic::Ordering;
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::error::{code::*, Error};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::workqueue::Queue;

/// Frames longer than this break the stream: the largest READ or WRITE a
/// server may grant (8 MiB) plus headers.
pub(crate) const MAX_FRAME: usize = (8 << 20) + 8192;

/// The longest late reply kept for the handlers (an open's CREATE response
/// with its contexts fits); a longer one is drained.
pub(crate) const MAX_LATE_FRAME: usize = 64 * 1024;

/// Sealed plaintext is placed in pieces of at most this many bytes, so
/// that no lock is held across a multi-megabyte copy.
const PLAINTEXT_PIECE: usize = 64 * 1024;

/// Where a frame goes.
pub(crate) enum Target {
    /// The reply to a request that is out.
    Reply(Arc<Rqst>),
    /// A frame smbiod hands to the handlers.
    Owned { buf: KVec<u8>, kind: Owned },
    /// An encrypted frame, opened on smbiod once whole (it may be as long
    /// as the largest READ, hence a buffer that may be virtually mapped).
    Sealed(KVVec<u8>),
}

/// What an owned frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owned {
    /// A message the server sent unasked (MessageId all ones).
    Unsolicited,
    /// A successful reply whose request's owner had left, with the header
    /// its request went out with (an async reply's header lacks fields the
    /// request had) and whether the request was signed.
    Late([u8; HEADER_LEN], bool),
}

impl ConnOwner for Xprt {
    type Target = Target;
    type Sink<'a> = ConnSink<'a>;

    fn sink<'a>(conn: ArcBorrow<'a, Conn<Self>>, may_sleep: bool) -> ConnSink<'a> {
        ConnSink {
            conn,
            may_sleep,
            opened: false,
        }
    }

    fn softirq_receive(&self) -> bool {
        self.key.recv_mode == RecvMode::Softirq
    }

    fn smbiod_only(target: &Target) -> bool {
        !matches!(target, Target::Reply(_))
    }

    fn queue(&self) -> &Queue {
        &self.globals.smbiod
    }

    fn socket(&self, generation: u64) -> Option<Arc<ConnSock<Self>>> {
        self.ctl
            .lock()
            .sock
            .clone()
            .filter(|s| s.generation() == generation)
    }

    fn state_changed(&self, _generation: u64, state: TcpState) -> bool {
        // The connect worker waits for the handshake's outcome.
        self.wake();
        matches!(state, TcpState::Closed | TcpState::CloseWait)
            && matches!(self.state(), State::Connected | State::Negotiating)
    }

    fn lost(this: &Arc<Self>, generation: u64, why: Error) {
        this.disconnect(generation, why);
    }
}

/// The transport as a receive sink for one connection.
pub(crate) struct ConnSink<'a> {
    conn: ArcBorrow<'a, Conn<Xprt>>,
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
    match buf.get_mut(offset..end) {
        Some(dst) => part.copy_to(dst),
        None => false,
    }
}

/// What the PDUs of a reply say, from `base` on: the credits of all but
/// the first, an interim last PDU (its offset and AsyncId), whether any is
/// signed, and whether each says the server does not know the session
/// (which it cannot sign or seal).
struct Chain {
    more_credits: u16,
    pending: Option<(usize, Option<u64>)>,
    signed: bool,
    unprotectable: bool,
}

fn chain_of(data: &[u8], base: usize) -> Chain {
    let mut c = Chain {
        more_credits: 0,
        pending: None,
        signed: false,
        unprotectable: true,
    };
    let mut off = base;
    let mut first = true;
    while let Some(h) = data.get(off..).and_then(|p| HeaderView::new(p).ok()) {
        if !first {
            c.more_credits = c.more_credits.saturating_add(h.credits());
        }
        c.signed |= h.is_signed();
        c.unprotectable &= crate::verify::UNSIGNABLE.contains(&h.status());
        let next = h.next_command() as usize;
        if next == 0 {
            // MS-SMB2 <206>: the last operation of a compound may answer
            // STATUS_PENDING; its final reply comes alone, later.
            if !first && h.is_interim() {
                c.pending = Some((off, h.async_id()));
            }
            break;
        }
        first = false;
        off = match off.checked_add(next) {
            Some(o) => o,
            None => break,
        };
    }
    c
}

impl ConnSink<'_> {
    fn xprt(&self) -> &Arc<Xprt> {
        &self.conn.owner
    }

    /// A request is done with the MID table: out, its credits completed.
    fn retire(&self, r: &Arc<Rqst>) {
        let xprt = self.xprt();
        if xprt.mids.remove(r) {
            let (charge, gone) = {
                let mut st = r.st.lock();
                // A request its owner left is over once its reply is in:
                // nothing (its timer included) keeps it any longer.
                let gone = st.cancelled && st.phase == crate::rqst::Phase::Sent;
                if gone {
                    st.phase = crate::rqst::Phase::Closed;
                    st.timer_at = None;
                }
                (st.charge.take(), gone)
            };
            if let Some(c) = charge {
                let _ = xprt.credits.lock().complete(&c);
            }
            if gone {
                crate::kext::workqueue::cancel_delayed_work::<Rqst, 0>(r);
            }
            xprt.wake();
        }
    }

    /// Opens an encrypted frame with its session's keys and places the
    /// message inside as if it had arrived alone (smbiod only). One that
    /// cannot be opened (a bad tag, no key) or holds no valid SMB2 message
    /// drops the connection, as MS-SMB2 3.2.5.1.1.1 says: its request is
    /// then failed and sent again on the next connection by the layer
    /// above, instead of waiting for a reply that will never be placed.
    fn open_sealed(&self, mut buf: KVVec<u8>) {
        let xprt = self.xprt();
        let generation = self.conn.generation;
        let opened = seal::open(|sid| xprt.keyring.lock().find(generation, sid), &mut buf);
        if let Err(e) = opened {
            XprtStats::inc(&xprt.stats.open_failures);
            pr_warn!(
                "transport {} to {}: an encrypted message does not open ({:?}); dropping the connection\n",
                xprt.id,
                xprt.key.addr,
                e
            );
            Conn::queue_disconnect(self.conn, EBADMSG);
            return;
        }
        XprtStats::inc(&xprt.stats.opened);
        let msg = buf.get(TRANSFORM_HEADER_LEN..).unwrap_or(&[]);
        let mut len = [0u8; 4];
        let mut inner = RxEngine::<Target>::new();
        let sink = ConnSink {
            conn: self.conn,
            may_sleep: self.may_sleep,
            opened: true,
        };
        let mut whole = encode_frame_length(msg.len(), &mut len).is_ok()
            && inner.consume(&sink, &Bytes(&len), true) == len.len();
        for piece in msg.chunks(PLAINTEXT_PIECE) {
            if !whole {
                break;
            }
            whole = inner.consume(&sink, &Bytes(piece), true) == piece.len();
        }
        if !whole || !inner.is_idle() {
            Conn::queue_disconnect(self.conn, EPROTO);
        }
    }

    fn owned(&self, frame_len: usize, kind: Owned) -> Placement<Target> {
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
        xprt.heard();
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
                            "no memory for a {} byte encrypted frame; dropping the connection\n",
                            frame_len
                        );
                        Conn::queue_disconnect(self.conn, ENOMEM);
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
            if !may_sleep {
                return Placement::Park;
            }
            return self.owned(frame_len, Owned::Unsolicited);
        }
        let rqst = xprt.mids.find(h.message_id);
        if h.is_interim() {
            // MS-SMB2 3.2.5.1.5: take the credits and the AsyncId, keep
            // waiting for the final response.
            XprtStats::inc(&xprt.stats.interim);
            if let Some(r) = &rqst {
                let async_id = match h.target {
                    crate::proto::header::HeaderTarget::Async { async_id } => Some(async_id),
                    _ => None,
                };
                if r.interim(async_id) {
                    r.kick();
                }
            }
            xprt.grant(h.credit_response);
            return Placement::Drain;
        }
        let Some(r) = rqst else {
            XprtStats::inc(&xprt.stats.unknown_mid);
            xprt.grant(h.credit_response);
            return Placement::Drain;
        };
        loop {
            match r.begin(frame_len) {
                Begin::Take => {
                    xprt.grant(h.credit_response);
                    return Placement::Target(Target::Reply(r));
                }
                Begin::NeedRoom(n) => {
                    if !may_sleep {
                        // Decide nothing yet: smbiod places it again.
                        return Placement::Park;
                    }
                    if r.reserve(n).is_err() {
                        pr_warn!(
                            "no memory for a {} byte reply; failing the request\n",
                            frame_len
                        );
                        xprt.grant(h.credit_response);
                        self.retire(&r);
                        r.fail(ENOMEM);
                        return Placement::Drain;
                    }
                }
                Begin::Late => {
                    let keep = h.status == 0 && frame_len <= MAX_LATE_FRAME;
                    if keep && !may_sleep {
                        return Placement::Park;
                    }
                    xprt.grant(h.credit_response);
                    self.retire(&r);
                    XprtStats::inc(&xprt.stats.late_replies);
                    if !keep {
                        return Placement::Drain;
                    }
                    let (hdr, signed) = {
                        let st = r.st.lock();
                        (st.hdr, st.signed)
                    };
                    return self.owned(frame_len, Owned::Late(hdr, signed));
                }
                Begin::Drain => {
                    xprt.grant(h.credit_response);
                    self.retire(&r);
                    return Placement::Drain;
                }
            }
        }
    }

    fn deliver(&self, target: &mut Target, offset: usize, part: &Part<'_>) -> bool {
        match target {
            Target::Reply(r) => {
                if r.deliver(offset, part) {
                    return true;
                }
                // The rest is drained; a task still waiting learns why
                // rather than waiting for its timeout.
                let waiting = r.is_waiting();
                self.retire(r);
                if waiting {
                    pr_warn!(
                        "transport {}: a reply does not fit its request's buffer; failing the request\n",
                        self.xprt().id
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
                let chain = r.with_reply(|b| chain_of(&b.data, b.base()));
                if chain.more_credits > 0 {
                    xprt.grant(chain.more_credits);
                }
                if let Some(p) = chain.pending {
                    XprtStats::inc(&xprt.stats.interim);
                    r.frame_done(Some(p), false, self.opened);
                    return;
                }
                self.retire(&r);
                XprtStats::inc(&xprt.stats.replies);
                if r.params.seal && !self.opened && !chain.unprotectable {
                    // MS-SMB2 3.2.5.1.1.1: a reply to an encrypted request
                    // must be encrypted; a plain one may come from anyone.
                    // Only "no such session" may come plain (the server
                    // has no keys for it; the worst a forger gets is a
                    // session set up again).
                    XprtStats::inc(&xprt.stats.unprotected_replies);
                    pr_warn!(
                        "transport {} to {}: a plain reply to an encrypted request; failing the request\n",
                        xprt.id,
                        xprt.key.addr
                    );
                    r.fail(EIO);
                    return;
                }
                let verify = !self.opened && (r.params.sign || chain.signed);
                r.frame_done(None, verify, self.opened);
            }
            Target::Owned { kind, buf } => match kind {
                Owned::Unsolicited => {
                    XprtStats::inc(&xprt.stats.unsolicited);
                    xprt.post_message(MsgKind::Unsolicited, self.conn.generation, None, buf);
                }
                Owned::Late(hdr, signed) => {
                    // Late replies are parked for smbiod (process context):
                    // verified there as their request would have been.
                    if !self.opened
                        && crate::verify::verify_late(xprt, self.conn.generation, signed, &buf)
                            .is_err()
                    {
                        return;
                    }
                    xprt.post_message(MsgKind::LateReply, self.conn.generation, Some(hdr), buf);
                }
            },
            Target::Sealed(buf) => self.open_sealed(buf),
        }
    }

    fn malformed(&self, why: Malformed) {
        let xprt = self.xprt();
        if why == Malformed::TooLong {
            XprtStats::inc(&xprt.stats.oversized);
        }
        XprtStats::inc(&xprt.stats.malformed);
        pr_warn!(
            "transport {} to {}: malformed input ({:?}); dropping the connection\n",
            xprt.id,
            xprt.key.addr,
            why
        );
    }

    fn resumed(&self) {
        XprtStats::inc(&self.xprt().stats.resumed_parses);
    }
}
