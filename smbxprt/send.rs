// SPDX-License-Identifier: GPL-2.0
//! The send path: a charged request's PDUs get their MessageIds and credit
//! fields, are signed or sealed with their session's keys, are entered in
//! the MID table, and go out as one frame, the payload (a WRITE's pages)
//! right after the parts, under the transmit lock.
//!
//! What can be done before the transmit lock is done before it: signing
//! and sealing (they need only the MessageIds), allocating the MID table's
//! nodes and the sealed buffer. Under the lock nothing is allocated and
//! nothing but the socket can fail; waiting for the lock is killable.
//!
//! A frame half on the wire cannot be taken back: the stream would be out
//! of step. So a caught signal never shortens a send (once one interrupts
//! it, every signal but SIGKILL is blocked for the rest of the frame, and
//! `interrupted_sends` counts it); a fatal signal before anything went out
//! abandons the request cleanly, and one in the middle of the frame resets
//! the connection, as sunrpc's transmit does.
#![forbid(unsafe_code)]

use crate::conn::ConnSock;
use crate::kext::iter::KernelIter;
use crate::kext::net::tcp::{KvecArray, SendIter};
use crate::kext::sync::signal::{signal_pending, SignalsBlocked};
use crate::kext::sync::wait::fatal_signal_pending;
use crate::keys::KeySet;
use crate::mid::MidNodes;
use crate::proto::crypto::Segments;
use crate::proto::echo::CancelRequest;
use crate::proto::framing::encode_frame_length;
use crate::proto::header::{
    flags::{ASYNC_COMMAND, RELATED_OPERATIONS, SIGNED},
    stamp_credits, Header, HeaderTarget, HeaderView, HEADER_LEN,
};
use crate::proto::message::encode;
use crate::proto::signing;
use crate::rqst::{Phase, Rqst};
use crate::smb_crypto::SmbCrypto;
use crate::stats::XprtStats;
use crate::xprt::Xprt;
use kernel::error::{code::*, Error, Result};
use kernel::sync::Arc;
use kernel::time::{Instant, Monotonic};

/// The most parts a request may have (the frame length goes in front):
/// `SMB_XPRT_MAX_IOV` of `include/smb/xprt.h`.
pub(crate) const MAX_PARTS: usize = 16;

pub(crate) use crate::mid::MAX_PDUS;

/// The PDUs of a request: for each, the part it begins at and its credit
/// charge. A fixed array: the send path allocates nothing but the request.
#[derive(Default)]
pub(crate) struct Pdus {
    at: [(usize, u16); MAX_PDUS],
    n: usize,
}

impl core::ops::Deref for Pdus {
    type Target = [(usize, u16)];

    fn deref(&self) -> &Self::Target {
        self.at.get(..self.n).unwrap_or(&[])
    }
}

/// Where the PDUs of a request (a compound chain, or one PDU) begin, as
/// part indices, with their credit charges, and the total charge.
///
/// Each PDU must begin at the start of a part with its 64-byte header there;
/// NextCommand (MS-SMB2 §2.2.1) must lead exactly to the next such part. A
/// PDU's CreditCharge as the caller set it (a multi-credit READ or WRITE) is
/// kept, 0 meaning 1.
pub(crate) fn pdu_layout(parts: &[&mut [u8]]) -> Result<(Pdus, u16)> {
    let mut pdus = Pdus::default();
    let mut total: u16 = 0;
    let mut part = 0usize;
    loop {
        let h = HeaderView::new(parts.get(part).ok_or(EINVAL)?).map_err(|_| EINVAL)?;
        let pdu_charge = h.credit_charge().max(1);
        total = total.checked_add(pdu_charge).ok_or(EINVAL)?;
        let slot = pdus.at.get_mut(pdus.n).ok_or(EINVAL)?;
        *slot = (part, pdu_charge);
        pdus.n += 1;
        let next = h.next_command() as usize;
        if next == 0 {
            break;
        }
        // Find the part that starts `next` bytes after this PDU's start.
        let mut skipped = 0usize;
        let mut p = part;
        while skipped < next {
            skipped = skipped
                .checked_add(parts.get(p).ok_or(EINVAL)?.len())
                .ok_or(EINVAL)?;
            p += 1;
        }
        if skipped != next {
            return Err(EINVAL);
        }
        part = p;
    }
    Ok((pdus, total))
}

/// Writes each PDU's MessageId, CreditCharge and CreditRequest, the
/// MessageIds consecutive from `first_mid`; returns each PDU's MessageId.
/// The first PDU asks for the window's refill (`refill`), the others for
/// one each, so that a compound never shrinks the window.
fn stamp(
    parts: &mut [&mut [u8]],
    pdus: &[(usize, u16)],
    first_mid: u64,
    refill: u16,
) -> Result<[u64; MAX_PDUS]> {
    let mut mids = [0u64; MAX_PDUS];
    let mut mid = first_mid;
    for (i, ((part, charge), out)) in pdus.iter().zip(mids.iter_mut()).enumerate() {
        let hdr = parts.get_mut(*part).ok_or(EINVAL)?;
        let request = if i == 0 { refill } else { 1 };
        stamp_credits(hdr, mid, *charge, request).map_err(|_| EINVAL)?;
        *out = mid;
        mid = mid.checked_add(u64::from(*charge)).ok_or(EINVAL)?;
    }
    Ok(mids)
}

/// What follows a PDU's first part, for its MAC: the PDU's other parts,
/// then the payload, read through a small buffer from a duplicate cursor
/// (kernel memory only).
struct PduTail<'a, 'b> {
    parts: &'a [&'a mut [u8]],
    data: Option<&'a KernelIter<'b>>,
}

impl Segments for PduTail<'_, '_> {
    fn total_len(&self) -> usize {
        self.parts
            .iter()
            .fold(0usize, |n, p| n.saturating_add(p.len()))
            .saturating_add(self.data.map_or(0, |d| d.count()))
    }

    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        for p in self.parts {
            f(p);
        }
        if let Some(mut cursor) = self.data.and_then(|d| d.duplicate().ok()) {
            let mut buf = [0u8; 512];
            while cursor.count() > 0 {
                match cursor.copy_from(&mut buf) {
                    Ok(n) if n > 0 => f(buf.get(..n).unwrap_or(&[])),
                    // A short copy of kernel memory cannot happen; stop
                    // rather than spin (the signature then fails to verify).
                    _ => break,
                }
            }
        }
    }
}

/// Signs every PDU of a request on its own (MS-SMB2 3.2.4.1.1), setting
/// SMB2_FLAGS_SIGNED; the payload ends the last PDU.
fn sign_pdus(
    keys: &KeySet,
    parts: &mut [&mut [u8]],
    pdus: &[(usize, u16)],
    payload: Option<&KernelIter<'_>>,
) -> Result {
    let (alg, key) = keys.signing().ok_or(ENOKEY)?;
    for (i, (start, _)) in pdus.iter().enumerate() {
        let end = pdus.get(i + 1).map_or(parts.len(), |(p, _)| *p);
        let last = i + 1 == pdus.len();
        let (_, rest) = parts.split_at_mut(*start);
        let (mine, _) = rest.split_at_mut(end - start);
        let (first, others) = mine.split_first_mut().ok_or(EINVAL)?;
        let tail = PduTail {
            parts: others,
            data: if last { payload } else { None },
        };
        signing::sign(&SmbCrypto, alg, key, first, &tail).map_err(|_| EINVAL)?;
    }
    Ok(())
}

/// How a send went wrong.
enum SendError {
    /// Nothing went out: the request may be abandoned cleanly.
    NotSent(Error),
    /// Some bytes went out: the stream is out of step.
    Broken(Error),
}

impl Xprt {
    /// Sends a charged request: `parts` (the first begins with an SMB2
    /// header) and `payload` (sent after them, as the end of the last
    /// PDU). On success the request is in the MID table and its owner
    /// will be woken with the result. On failure nothing was sent, the
    /// charge was given back, and the request is `Idle` again (`EINTR`: a
    /// fatal signal; `ENOTCONN`: the connection changed; `ENOKEY`: no keys
    /// for its session on this connection; `EINVAL`: a malformed request).
    /// Process context.
    pub(crate) fn transmit(
        &self,
        rqst: &Arc<Rqst>,
        sock: &ConnSock<Xprt>,
        parts: &mut [&mut [u8]],
        payload: Option<&mut KernelIter<'_>>,
    ) -> Result {
        let r = self.transmit_inner(rqst, sock, parts, payload);
        if r.is_err() {
            let charge = {
                let mut st = rqst.st.lock();
                if st.phase == Phase::Charged {
                    st.phase = Phase::Idle;
                }
                st.charge.take()
            };
            if let Some(c) = charge {
                self.uncharge(&c);
            }
        }
        r
    }

    fn transmit_inner(
        &self,
        rqst: &Arc<Rqst>,
        sock: &ConnSock<Xprt>,
        parts: &mut [&mut [u8]],
        mut payload: Option<&mut KernelIter<'_>>,
    ) -> Result {
        let (charge, generation) = {
            let st = rqst.st.lock();
            match (st.phase, st.charge) {
                (Phase::Charged, Some(c)) => (c, st.generation),
                _ => return Err(EINVAL),
            }
        };
        if sock.generation() != generation {
            return Err(ENOTCONN);
        }
        if parts.is_empty() || parts.len() > MAX_PARTS {
            return Err(EINVAL);
        }
        let (pdus, count) = pdu_layout(parts)?;
        if count != charge.count {
            return Err(EINVAL);
        }
        let refill = self.credits.lock().credits_to_request();
        let mids = stamp(parts, &pdus, charge.first_message_id, refill)?;
        let first = HeaderView::new(parts.first().ok_or(EINVAL)?).map_err(|_| EINVAL)?;
        // The SessionId header field selects the keys (MS-SMB2 3.2.4.1.1).
        let session_id = first.session_id();
        let mut hdr = [0u8; HEADER_LEN];
        hdr.copy_from_slice(
            parts
                .first()
                .and_then(|p| p.get(..HEADER_LEN))
                .ok_or(EINVAL)?,
        );

        // Keys, signature and encryption: before the lock.
        let params = rqst.params;
        let keys = if params.seal || params.sign {
            Some(
                self.keyring
                    .lock()
                    .find(generation, session_id)
                    .ok_or(ENOKEY)?,
            )
        } else {
            None
        };
        let payload_len = payload.as_deref().map_or(0, |p| p.count());
        let sealed = match (&keys, params.seal) {
            (Some(k), true) => {
                // A WRITE's payload included: the reserve covers the
                // largest one the connection takes.
                let len = crate::seal::sealed_len(parts, payload.as_deref())?;
                let max = || {
                    self.negotiated()
                        .map_or(0, |n| n.max_write_size as usize)
                        .saturating_add(crate::bounce::HEADROOM)
                };
                let mut b = self.bounce.get(len, max)?;
                crate::seal::seal_into(k, parts, payload.as_deref(), &mut b)?;
                if b.is_lent() {
                    XprtStats::inc(&self.stats.seal_reserve_uses);
                }
                Some(b)
            }
            _ => None,
        };
        if let (Some(k), None, true) = (&keys, &sealed, params.sign) {
            sign_pdus(k, parts, &pdus, payload.as_deref())?;
        }
        let mut frame = [0u8; 4];
        let total = match &sealed {
            Some(buf) => buf.len(),
            None => parts
                .iter()
                .try_fold(payload_len, |acc, p| acc.checked_add(p.len()))
                .ok_or(EINVAL)?,
        };
        encode_frame_length(total, &mut frame).map_err(|_| EINVAL)?;
        let nodes = MidNodes::new(pdus.len())?;
        {
            let mut st = rqst.st.lock();
            st.hdr = hdr;
            st.signed = params.sign && sealed.is_none();
            st.pdu_mids = mids;
            st.nr_pdus = pdus.len();
        }

        let _xmit = self.xmit.lock_killable()?;
        // Under the lock from here: nothing allocates.
        let n = self
            .mids
            .insert(rqst, mids.get(..pdus.len()).unwrap_or(&[]), nodes)?;
        XprtStats::max(&self.stats.in_flight_peak, n as u64);
        {
            let mut st = rqst.st.lock();
            st.phase = Phase::Sent;
            st.sent_at = Some(Instant::<Monotonic>::now());
        }
        let mut slices: [&[u8]; MAX_PARTS + 1] = [&[]; MAX_PARTS + 1];
        slices[0] = &frame[..];
        let nr = match &sealed {
            Some(buf) => {
                slices[1] = &buf[..];
                1
            }
            None => {
                for (s, p) in slices[1..].iter_mut().zip(parts.iter()) {
                    *s = &p[..];
                }
                parts.len()
            }
        };
        let mut kvecs = KvecArray::<{ MAX_PARTS + 1 }>::default();
        let mut iter = kvecs.iter(&slices[..=nr])?;
        let data = if sealed.is_some() {
            // The payload went into the sealed buffer.
            if let Some(p) = payload.as_deref_mut() {
                p.advance(payload_len);
            }
            XprtStats::inc(&self.stats.sealed);
            None
        } else {
            payload.filter(|_| payload_len > 0)
        };
        match self.send_frame(sock, &mut iter, data) {
            Ok(n) => {
                XprtStats::add(&self.stats.bytes_sent, n as u64);
                XprtStats::inc(&self.stats.requests);
                Ok(())
            }
            Err(SendError::NotSent(e)) => {
                // Nothing of it went out: as if it had never been sent
                // (ENOTCONN: charge and send again; EINTR: the caller was
                // killed).
                self.mids.remove(rqst);
                let mut st = rqst.st.lock();
                st.phase = Phase::Charged;
                st.timer_at = None;
                Err(if e == EINTR { EINTR } else { ENOTCONN })
            }
            Err(SendError::Broken(e)) => {
                // Some bytes may be on the wire: the stream is no longer in
                // a known state, so the connection must go; the request
                // fails with it (it is out: the owner is told through its
                // result).
                // A caller killed mid-frame gets EINTR: the server never
                // sees an incomplete frame, so the request did not run.
                self.mids.remove(rqst);
                sock.request_disconnect(e);
                rqst.fail(if e == EINTR { EINTR } else { ECONNRESET });
                Ok(())
            }
        }
    }

    /// Sends a frame: the parts, then the payload, back to back (the
    /// caller holds the transmit lock). Resumes after a caught signal,
    /// with signals blocked for the rest; gives up on a fatal one.
    fn send_frame(
        &self,
        sock: &ConnSock<Xprt>,
        head: &mut SendIter<'_>,
        mut payload: Option<&mut KernelIter<'_>>,
    ) -> core::result::Result<usize, SendError> {
        let mut sent = 0usize;
        let mut blocked: Option<SignalsBlocked> = None;
        let more = payload.as_deref().is_some_and(|p| p.count() > 0);
        // Each round sends what is left of the parts, then of the payload.
        loop {
            let r = if head.remaining() > 0 {
                let want = head.remaining();
                sock.socket().send(head, more).map(|n| (n, n == want))
            } else if let Some(p) = payload.as_deref_mut().filter(|p| p.count() > 0) {
                let want = p.count();
                sock.socket()
                    .send_iter(p, want, false)
                    .map(|n| (n, n == want))
            } else {
                return Ok(sent);
            };
            match r {
                Ok((n, _)) => sent = sent.saturating_add(n),
                Err(e) if e == ERESTARTSYS || e == EINTR || e == EAGAIN => {}
                Err(e) if sent == 0 => return Err(SendError::NotSent(e)),
                Err(e) => return Err(SendError::Broken(e)),
            }
            if matches!(r, Ok((_, true))) {
                continue;
            }
            // Cut short (or interrupted before any byte).
            if fatal_signal_pending() {
                return Err(if sent == 0 {
                    SendError::NotSent(EINTR)
                } else {
                    SendError::Broken(EINTR)
                });
            }
            if blocked.is_none() && signal_pending() {
                XprtStats::inc(&self.stats.interrupted_sends);
                blocked = Some(SignalsBlocked::enter());
            }
        }
    }

    /// Sends an SMB2 CANCEL (MS-SMB2 2.2.30, 3.2.4.24) for a request that
    /// is out and whose owner left: on the connection it went out on only
    /// (a MessageId means nothing on another), no credit charged and no
    /// MessageId taken (it reuses the request's), no reply expected; async
    /// with the AsyncId once an interim reply gave one, signed or sealed as
    /// the request was. Best effort: a failure only means the server keeps
    /// working on the request. Process context: the owner that cancels
    /// (so that nothing it sends next overtakes the CANCEL), or smbiod.
    /// False if it could not go out now (a fatal signal while waiting for
    /// the transmit lock, or nothing sent): smbiod tries again.
    pub(crate) fn send_cancel(&self, rqst: &Rqst) -> bool {
        let (hdr, generation, async_id, signed, mid) = {
            let st = rqst.st.lock();
            if st.phase != Phase::Sent {
                return true;
            }
            (
                st.hdr,
                st.generation,
                st.async_id,
                st.signed,
                st.pdu_mids[0],
            )
        };
        let Some(sock) = self.ctl.lock().sock.clone() else {
            return true;
        };
        if sock.generation() != generation {
            return true;
        }
        let Ok(mut h) = Header::parse(&hdr) else {
            return true;
        };
        h.credit_charge = 0;
        h.credits = 0;
        h.next_command = 0;
        h.flags &= !(SIGNED | RELATED_OPERATIONS | ASYNC_COMMAND);
        h.signature = [0; 16];
        h.message_id = mid;
        if let Some(async_id) = async_id {
            h.target = HeaderTarget::Async { async_id };
        }
        let mut buf = [0u8; HEADER_LEN + 4];
        if encode(&h, &CancelRequest, &mut buf).is_err() {
            return true;
        }
        let keys = (rqst.params.seal || signed)
            .then(|| self.keyring.lock().find(generation, h.session_id))
            .flatten();
        let sealed = match (&keys, rqst.params.seal) {
            (Some(k), true) => match crate::seal::seal(k, &[&mut buf[..]], None) {
                Ok(b) => Some(b),
                // No memory now: smbiod tries again.
                Err(_) => return false,
            },
            (None, true) => return true,
            _ => None,
        };
        if let (Some(k), None, true) = (&keys, &sealed, signed) {
            let mut parts = [&mut buf[..]];
            if sign_pdus(k, &mut parts, &[(0, 0)], None).is_err() {
                return true;
            }
        }
        let msg: &[u8] = match &sealed {
            Some(b) => b,
            None => &buf,
        };
        let mut frame = [0u8; 4];
        if encode_frame_length(msg.len(), &mut frame).is_err() {
            return true;
        }
        let mut kvecs = KvecArray::<2>::default();
        let Ok(mut iter) = kvecs.iter(&[&frame[..], msg]) else {
            return true;
        };
        // smbiod takes no signals: this waits only for the current sender.
        let Ok(_xmit) = self.xmit.lock_killable() else {
            return false;
        };
        match self.send_frame(&sock, &mut iter, None) {
            Ok(n) => {
                XprtStats::inc(&self.stats.cancels);
                XprtStats::add(&self.stats.bytes_sent, n as u64);
                true
            }
            Err(SendError::NotSent(_)) => false,
            Err(SendError::Broken(e)) => {
                sock.request_disconnect(e);
                true
            }
        }
    }
}

#[kernel::macros::kunit_tests(smbxprt_send)]
mod tests {
    use super::pdu_layout;
    use crate::proto::echo::EchoRequest;
    use crate::proto::header::{Command, Header, HEADER_LEN};
    use crate::proto::message::encode;
    use kernel::error::code::EINVAL;

    /// An ECHO request (68 bytes) with NextCommand and CreditCharge set.
    fn echo(next: u32, charge: u16) -> [u8; 72] {
        let mut b = [0u8; 72];
        let mut h = Header::request(Command::Echo);
        h.next_command = next;
        h.credit_charge = charge;
        encode(&h, &EchoRequest, &mut b).unwrap();
        b
    }

    #[test]
    fn single_pdu() {
        let mut a = echo(0, 0);
        let parts: [&mut [u8]; 1] = [&mut a[..68]];
        let (pdus, total) = pdu_layout(&parts).unwrap();
        assert_eq!(&pdus[..], &[(0, 1)]);
        assert_eq!(total, 1);
    }

    #[test]
    fn compound_of_three_with_a_multi_credit_pdu() {
        // MS-SMB2 3.2.4.1.4: each NextCommand is 8-byte aligned and points
        // at the next header; the last one is 0.
        let mut a = echo(72, 1);
        let mut b = echo(72, 4);
        let mut c = echo(0, 1);
        let parts: [&mut [u8]; 3] = [&mut a[..], &mut b[..], &mut c[..68]];
        let (pdus, total) = pdu_layout(&parts).unwrap();
        assert_eq!(&pdus[..], &[(0, 1), (1, 4), (2, 1)]);
        assert_eq!(total, 6);
    }

    #[test]
    fn a_pdu_may_span_parts() {
        // Header and body of the first PDU in two parts (a WRITE's payload
        // would be the second).
        let mut a = echo(72, 1);
        let mut c = echo(0, 1);
        let (head, tail) = a.split_at_mut(HEADER_LEN);
        let parts: [&mut [u8]; 3] = [head, tail, &mut c[..68]];
        let (pdus, _) = pdu_layout(&parts).unwrap();
        assert_eq!(&pdus[..], &[(0, 1), (2, 1)]);
    }

    #[test]
    fn chains_that_do_not_fit_are_refused() {
        // NextCommand into the middle of a part.
        let mut a = echo(40, 1);
        let mut c = echo(0, 1);
        let parts: [&mut [u8]; 2] = [&mut a[..], &mut c[..68]];
        assert_eq!(pdu_layout(&parts).err(), Some(EINVAL));
        // NextCommand past the end.
        let mut a = echo(72, 1);
        let parts: [&mut [u8]; 1] = [&mut a[..]];
        assert_eq!(pdu_layout(&parts).err(), Some(EINVAL));
        // No header at all.
        let mut short = [0u8; 10];
        let parts: [&mut [u8]; 1] = [&mut short[..]];
        assert_eq!(pdu_layout(&parts).err(), Some(EINVAL));
    }
}
