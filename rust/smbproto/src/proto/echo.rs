// SPDX-License-Identifier: GPL-2.0
//! SMB2 ECHO (MS-SMB2 §2.2.28, §2.2.29) and CANCEL (§2.2.30).
//!
//! CANCEL has no response; it carries the MessageId (and, for an async
//! request, the AsyncId with `ASYNC_COMMAND`) of the request it cancels and
//! consumes no credit.

use super::message::fixed_empty_body;

fixed_empty_body!(
    /// An ECHO request (§2.2.28): StructureSize 4, Reserved (2).
    EchoRequest, Echo, false, 4, 4
);
fixed_empty_body!(
    /// An ECHO response (§2.2.29): StructureSize 4, Reserved (2).
    EchoResponse, Echo, true, 4, 4
);
fixed_empty_body!(
    /// A CANCEL request (§2.2.30): StructureSize 4, Reserved (2).
    CancelRequest, Cancel, false, 4, 4
);

#[cfg(test)]
#[cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::arithmetic_side_effects
    )
)]
mod tests {
    use super::super::error::Error;
    use super::super::message::Message;
    use super::*;

    #[test]
    fn layouts() {
        let mut b = [0xAAu8; 70];
        assert_eq!(EchoRequest.emit(&mut b).unwrap(), 68);
        assert_eq!(&b[64..68], &[4, 0, 0, 0]);
        assert_eq!(EchoResponse::parse(&b[..68]), Ok(EchoResponse));
        assert_eq!(CancelRequest::parse(&b[..68]), Ok(CancelRequest));
        b[64] = 5;
        assert_eq!(EchoResponse::parse(&b[..68]), Err(Error::Malformed));
        assert_eq!(EchoRequest.emit(&mut b[..67]), Err(Error::BufferTooSmall));
    }
}
