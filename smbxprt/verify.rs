// SPDX-License-Identifier: GPL-2.0
//! Verifying the signatures of replies (MS-SMB2 3.2.5.1.3), on smbiod.
//!
//! A reply is verified before its request completes when the request was
//! signed (its reply must then be signed too) or when the reply says it is
//! signed and its session's key is known here. Each PDU of a compound is
//! verified on its own. A READ's payload, which went from the socket
//! straight into the caller's pages, is read back from there and covered
//! too: nothing is reported as received before its signature is checked.
//!
//! Exempt, as the specification says: interim responses (they never get
//! here: they do not complete a request) and server-initiated messages
//! (MessageId all ones, never a request's); encrypted replies, whose AEAD
//! tag already authenticated them; and a few errors a server cannot sign
//! because the session is gone (they are what tells the client to set it
//! up again). A reply whose session's key is not known yet (the final
//! SESSION_SETUP response, which its session verifies itself once it has
//! derived the key) passes unless its request was signed.
//!
//! A bad signature fails the request with `EIO`, counts in
//! `bad_signatures`, and leaves the connection as it is: the next request
//! on it goes through.
#![forbid(unsafe_code)]

use crate::proto::crypto::Segments;
use crate::proto::header::HeaderView;
use crate::proto::signing;
use crate::proto::status::code;
use crate::rqst::Rqst;
use crate::smb_crypto::SmbCrypto;
use crate::stats::XprtStats;
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::Arc;

/// Statuses of replies a server sends unsigned because it no longer has
/// the session (MS-SMB2 3.3.5.2.9).
pub(crate) const UNSIGNABLE: [u32; 2] = [
    code::STATUS_USER_SESSION_DELETED,
    code::STATUS_NETWORK_SESSION_EXPIRED,
];

/// A PDU's bytes after its header, with a split payload read back from the
/// caller's iterator in its place.
struct Rest<'a> {
    before: &'a [u8],
    payload: Option<(&'a crate::kext::iter::IterMark<'static>, usize)>,
    after: &'a [u8],
}

impl Segments for Rest<'_> {
    fn total_len(&self) -> usize {
        self.before
            .len()
            .saturating_add(self.payload.map_or(0, |p| p.1))
            .saturating_add(self.after.len())
    }

    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        f(self.before);
        if let Some((mark, len)) = self.payload {
            let mut cursor = mark.reread(len);
            let mut buf = [0u8; 512];
            while cursor.count() > 0 {
                match cursor.copy_from(&mut buf) {
                    Ok(n) if n > 0 => f(buf.get(..n).unwrap_or(&[])),
                    _ => break,
                }
            }
        }
        f(self.after);
    }
}

/// Checks every signature the reply of `rqst` must carry. smbiod.
pub(crate) fn verify(rqst: &Arc<Rqst>) -> Result {
    let xprt = &rqst.xprt;
    let (generation, sealed, signed) = {
        let st = rqst.st.lock();
        (st.generation, st.sealed_reply, st.signed)
    };
    if sealed {
        return Ok(());
    }
    // The buffer is complete and nobody writes it any more: take it out so
    // that the MACs are computed without its (bottom-half) lock held.
    let (data, payload) = {
        let mut b = rqst.buf.lock();
        (core::mem::take(&mut b.data), b.payload_taken())
    };
    let r = verify_pdus(xprt, generation, signed, &data, payload.as_ref());
    let what = HeaderView::new(&data)
        .map(|h| (h.command_code(), h.status()))
        .unwrap_or((0, 0));
    let len = data.len();
    {
        let mut b = rqst.buf.lock();
        b.data = data;
        b.restore_payload(payload);
    }
    match r {
        Ok(n) => {
            XprtStats::add(&xprt.stats.verified, n);
            Ok(())
        }
        Err(why) => {
            XprtStats::inc(&xprt.stats.bad_signatures);
            pr_warn!(
                "transport {} to {}: a reply (command {:#x}, status {:#x}, {} bytes) failed its signature check ({}); failing its request\n",
                xprt.id,
                xprt.key.addr,
                what.0,
                what.1,
                len,
                why
            );
            Err(EIO)
        }
    }
}

/// A late reply (its request's owner left) before the handlers get it: as
/// strict as its request's completion would have been (`signed`: the
/// request was). Process context (smbiod).
pub(crate) fn verify_late(
    xprt: &crate::xprt::Xprt,
    generation: u64,
    signed: bool,
    frame: &[u8],
) -> Result {
    match verify_pdus(xprt, generation, signed, frame, None) {
        Ok(n) => {
            XprtStats::add(&xprt.stats.verified, n);
            Ok(())
        }
        Err(why) => {
            XprtStats::inc(&xprt.stats.bad_signatures);
            pr_warn!(
                "transport {} to {}: a late reply ({} bytes) failed its signature check ({}); dropped\n",
                xprt.id,
                xprt.key.addr,
                frame.len(),
                why
            );
            Err(EIO)
        }
    }
}

/// Verifies each PDU; the number verified, or why one failed.
fn verify_pdus(
    xprt: &crate::xprt::Xprt,
    generation: u64,
    request_signed: bool,
    data: &[u8],
    payload: Option<&(usize, usize, crate::kext::iter::IterMark<'static>)>,
) -> core::result::Result<u64, &'static str> {
    let mut off = 0usize;
    let mut n = 0u64;
    loop {
        let pdu_all = data.get(off..).ok_or("truncated")?;
        let h = HeaderView::new(pdu_all).map_err(|_| "malformed header")?;
        let next = h.next_command() as usize;
        let pdu = if next == 0 {
            pdu_all
        } else {
            pdu_all.get(..next).ok_or("bad NextCommand")?
        };
        if payload.is_some() && (off != 0 || next != 0) {
            // Splits are made only for a reply that is one PDU.
            return Err("split payload in a compound");
        }
        let must = request_signed && (h.is_signed() || !UNSIGNABLE.contains(&h.status()));
        if h.is_signed() || must {
            if !h.is_signed() {
                return Err("unsigned reply to a signed request");
            }
            let keys = xprt.keyring.lock().find(generation, h.session_id());
            match keys.as_ref().and_then(|k| k.signing()) {
                Some((alg, key)) => {
                    let (header, body) = split_at_payload(pdu, payload);
                    signing::verify(&SmbCrypto, alg, key, header, &body)
                        .map_err(|_| "bad signature")?;
                    n += 1;
                }
                None if request_signed => return Err("no key for its session"),
                // The session's key is not known here (yet): its session
                // checks it.
                None => {}
            }
        }
        if next == 0 {
            return Ok(n);
        }
        off = off.checked_add(next).ok_or("bad NextCommand")?;
    }
}

/// A PDU as the signature sees it: the first part (header included) and
/// the rest, with a split payload re-inserted at its offset.
fn split_at_payload<'a>(
    pdu: &'a [u8],
    payload: Option<&'a (usize, usize, crate::kext::iter::IterMark<'static>)>,
) -> (&'a [u8], Rest<'a>) {
    match payload {
        Some((off, len, mark)) if *off <= pdu.len() => {
            let (before, after) = pdu.split_at(*off);
            (
                before,
                Rest {
                    before: &[],
                    payload: Some((mark, *len)),
                    after,
                },
            )
        }
        _ => (
            pdu,
            Rest {
                before: &[],
                payload: None,
                after: &[],
            },
        ),
    }
}
