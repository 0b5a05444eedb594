// SPDX-License-Identifier: GPL-2.0
//! AV_PAIR lists (MS-NLMP §2.2.2.1): the CHALLENGE_MESSAGE's TargetInfo and
//! the list the client echoes inside its NTLMv2 response.
//!
//! A list is a run of `AvId: u16, AvLen: u16, Value: [u8; AvLen]` records
//! that MUST end with MsvAvEOL (AvId 0, AvLen 0) as its last item. The
//! iterator checks each record against the end of the buffer, so it always
//! advances by at least 4 bytes and stops at EOL, at the first error, or
//! (with an error) at a missing EOL. Bytes after EOL, including a second
//! EOL, are rejected.

use super::super::error::{Error, Result};

/// Length of an AV_PAIR header (AvId + AvLen).
pub const AV_PAIR_HEADER_LEN: usize = 4;

/// MsvAvFlags bit: the account authentication is constrained.
pub const AV_FLAG_ACCOUNT_CONSTRAINED: u32 = 0x0000_0001;
/// MsvAvFlags bit: the client provides a MIC (MS-NLMP §3.1.5.1.2).
pub const AV_FLAG_MIC_PRESENT: u32 = 0x0000_0002;
/// MsvAvFlags bit: the client's MsvAvTargetName came from an untrusted
/// source.
pub const AV_FLAG_UNTRUSTED_SPN_SOURCE: u32 = 0x0000_0004;

/// An AvId.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvId(pub u16);

impl AvId {
    /// MsvAvEOL: end of list.
    pub const EOL: AvId = AvId(0x0000);
    /// MsvAvNbComputerName: server NetBIOS computer name (UTF-16LE).
    pub const NB_COMPUTER_NAME: AvId = AvId(0x0001);
    /// MsvAvNbDomainName: server NetBIOS domain name (UTF-16LE).
    pub const NB_DOMAIN_NAME: AvId = AvId(0x0002);
    /// MsvAvDnsComputerName: computer FQDN (UTF-16LE).
    pub const DNS_COMPUTER_NAME: AvId = AvId(0x0003);
    /// MsvAvDnsDomainName: domain FQDN (UTF-16LE).
    pub const DNS_DOMAIN_NAME: AvId = AvId(0x0004);
    /// MsvAvDnsTreeName: forest FQDN (UTF-16LE).
    pub const DNS_TREE_NAME: AvId = AvId(0x0005);
    /// MsvAvFlags: 32-bit flags.
    pub const FLAGS: AvId = AvId(0x0006);
    /// MsvAvTimestamp: FILETIME of the server, 8 bytes.
    pub const TIMESTAMP: AvId = AvId(0x0007);
    /// MsvAvSingleHost: Single_Host_Data.
    pub const SINGLE_HOST: AvId = AvId(0x0008);
    /// MsvAvTargetName: SPN of the target (UTF-16LE).
    pub const TARGET_NAME: AvId = AvId(0x0009);
    /// MsvAvChannelBindings: MD5 of gss_channel_bindings_struct, 16 bytes.
    pub const CHANNEL_BINDINGS: AvId = AvId(0x000A);
}

/// One AV_PAIR, borrowing its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvPair<'a> {
    /// AvId.
    pub id: AvId,
    /// Value (AvLen bytes).
    pub value: &'a [u8],
}

/// Iterator over an EOL-terminated AV_PAIR list. Yields `Err` at most once,
/// then ends.
#[derive(Debug, Clone)]
pub struct AvPairs<'a> {
    rest: &'a [u8],
    done: bool,
}

impl<'a> AvPairs<'a> {
    /// Iterates over `list`, which must end with MsvAvEOL.
    pub fn new(list: &'a [u8]) -> Self {
        Self {
            rest: list,
            done: false,
        }
    }

    /// An iterator that yields nothing (an absent TargetInfo).
    pub fn empty() -> Self {
        Self {
            rest: &[],
            done: true,
        }
    }

    fn step(&mut self) -> Result<Option<AvPair<'a>>> {
        let (pair, rest) = split_pair(self.rest)?;
        if pair.id == AvId::EOL {
            if !pair.value.is_empty() || !rest.is_empty() {
                // EOL must be empty and the last item: this also catches a
                // duplicated EOL.
                return Err(Error::Malformed);
            }
            self.rest = rest;
            return Ok(None);
        }
        self.rest = rest;
        Ok(Some(pair))
    }
}

impl<'a> Iterator for AvPairs<'a> {
    type Item = Result<AvPair<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(pair)) => Some(Ok(pair)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for AvPairs<'_> {}

/// Splits the first AV_PAIR off `buf`. A missing or partial header is
/// [`Error::Truncated`] (at the end of a list: a missing EOL), a value running
/// past the end is [`Error::OutOfBounds`].
fn split_pair(buf: &[u8]) -> Result<(AvPair<'_>, &[u8])> {
    let header = buf.get(..AV_PAIR_HEADER_LEN).ok_or(Error::Truncated)?;
    let id = u16::from_le_bytes([
        header.first().copied().unwrap_or(0),
        header.get(1).copied().unwrap_or(0),
    ]);
    let len = usize::from(u16::from_le_bytes([
        header.get(2).copied().unwrap_or(0),
        header.get(3).copied().unwrap_or(0),
    ]));
    let after = buf.get(AV_PAIR_HEADER_LEN..).ok_or(Error::Truncated)?;
    let (value, rest) = after.split_at_checked(len).ok_or(Error::OutOfBounds)?;
    Ok((
        AvPair {
            id: AvId(id),
            value,
        },
        rest,
    ))
}

/// What the NTLMv2 client needs from a validated TargetInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetInfoSummary {
    /// MsvAvTimestamp, if present (FILETIME).
    pub timestamp: Option<u64>,
    /// MsvAvFlags, if present.
    pub flags: Option<u32>,
}

/// Walks a whole EOL-terminated list and checks it: well-formed records,
/// exactly one final EOL, MsvAvFlags of 4 bytes and MsvAvTimestamp of 8 bytes
/// at most once each ([`Error::Malformed`] otherwise).
pub fn validate_target_info(list: &[u8]) -> Result<TargetInfoSummary> {
    let mut summary = TargetInfoSummary::default();
    for pair in AvPairs::new(list) {
        let pair = pair?;
        match pair.id {
            AvId::FLAGS => {
                let v: [u8; 4] = pair.value.try_into().map_err(|_| Error::Malformed)?;
                if summary.flags.replace(u32::from_le_bytes(v)).is_some() {
                    return Err(Error::Malformed);
                }
            }
            AvId::TIMESTAMP => {
                let v: [u8; 8] = pair.value.try_into().map_err(|_| Error::Malformed)?;
                if summary.timestamp.replace(u64::from_le_bytes(v)).is_some() {
                    return Err(Error::Malformed);
                }
            }
            _ => {}
        }
    }
    Ok(summary)
}

/// Checks a client-supplied run of AV pairs to append to the echoed list:
/// well-formed records with no EOL, and none of MsvAvFlags or
/// MsvAvTimestamp, which the encoder manages ([`Error::Malformed`]).
pub fn validate_client_pairs(mut list: &[u8]) -> Result<()> {
    while !list.is_empty() {
        let (pair, rest) = split_pair(list)?;
        if matches!(pair.id, AvId::EOL | AvId::FLAGS | AvId::TIMESTAMP) {
            return Err(Error::Malformed);
        }
        list = rest;
    }
    Ok(())
}

/// Writes one AV_PAIR at `out[off..]` and returns the offset after it.
pub fn emit_av_pair(id: AvId, value: &[u8], out: &mut [u8], off: usize) -> Result<usize> {
    let len = u16::try_from(value.len()).map_err(|_| Error::Oversized)?;
    let value_off = off.checked_add(AV_PAIR_HEADER_LEN).ok_or(Error::Overflow)?;
    let end = value_off.checked_add(value.len()).ok_or(Error::Overflow)?;
    let dst = out.get_mut(off..end).ok_or(Error::BufferTooSmall)?;
    let (header, body) = dst
        .split_at_mut_checked(AV_PAIR_HEADER_LEN)
        .ok_or(Error::BufferTooSmall)?;
    let [i0, i1] = id.0.to_le_bytes();
    let [l0, l1] = len.to_le_bytes();
    header.copy_from_slice(&[i0, i1, l0, l1]);
    body.copy_from_slice(value);
    Ok(end)
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used
)]
mod tests {
    use super::*;

    const LIST: &[u8] = &[
        0x02, 0x00, 0x02, 0x00, b'D', 0x00, // NbDomainName "D"
        0x07, 0x00, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, // Timestamp
        0x00, 0x00, 0x00, 0x00, // EOL
    ];

    #[test]
    fn iterates_until_eol() {
        let mut pairs = AvPairs::new(LIST);
        assert_eq!(
            pairs.next(),
            Some(Ok(AvPair {
                id: AvId::NB_DOMAIN_NAME,
                value: b"D\0"
            }))
        );
        assert_eq!(
            pairs.next().map(|p| p.map(|p| p.id)),
            Some(Ok(AvId::TIMESTAMP))
        );
        assert_eq!(pairs.next(), None);
        let summary = validate_target_info(LIST).unwrap();
        assert_eq!(summary.timestamp, Some(0x0807_0605_0403_0201));
        assert_eq!(summary.flags, None);
    }

    #[test]
    fn rejects_missing_eol() {
        let list = &LIST[..LIST.len() - 4];
        assert_eq!(validate_target_info(list), Err(Error::Truncated));
        assert_eq!(
            validate_target_info(&LIST[..LIST.len() - 2]),
            Err(Error::Truncated)
        );
        assert_eq!(validate_target_info(&[]), Err(Error::Truncated));
    }

    #[test]
    fn rejects_duplicate_eol_and_trailing_bytes() {
        let mut list = [0u8; 64];
        list[..LIST.len()].copy_from_slice(LIST);
        // A second EOL.
        assert_eq!(
            validate_target_info(&list[..LIST.len() + 4]),
            Err(Error::Malformed)
        );
        // One stray byte.
        assert_eq!(
            validate_target_info(&list[..LIST.len() + 1]),
            Err(Error::Malformed)
        );
        // EOL with a non-zero length.
        assert_eq!(
            validate_target_info(&[0, 0, 1, 0, 0]),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn rejects_values_past_the_end() {
        assert_eq!(
            validate_target_info(&[0x01, 0x00, 0xFF, 0xFF, 0x41, 0x00]),
            Err(Error::OutOfBounds)
        );
    }

    #[test]
    fn rejects_bad_flags_and_timestamps() {
        assert_eq!(
            validate_target_info(&[6, 0, 2, 0, 1, 0, 0, 0, 0, 0]),
            Err(Error::Malformed)
        );
        let twice = [
            6, 0, 4, 0, 1, 0, 0, 0, //
            6, 0, 4, 0, 2, 0, 0, 0, //
            0, 0, 0, 0,
        ];
        assert_eq!(validate_target_info(&twice), Err(Error::Malformed));
    }

    #[test]
    fn yields_one_error_then_stops() {
        let mut it = AvPairs::new(&[0x01, 0x00, 0x09]);
        assert_eq!(it.next(), Some(Err(Error::Truncated)));
        assert_eq!(it.next(), None);
    }

    #[test]
    fn checks_client_pairs() {
        assert_eq!(validate_client_pairs(&[]), Ok(()));
        assert_eq!(validate_client_pairs(&[9, 0, 2, 0, b'x', 0]), Ok(()));
        assert_eq!(validate_client_pairs(&[0, 0, 0, 0]), Err(Error::Malformed));
        assert_eq!(
            validate_client_pairs(&[6, 0, 4, 0, 0, 0, 0, 0]),
            Err(Error::Malformed)
        );
        assert_eq!(
            validate_client_pairs(&[9, 0, 4, 0, 0]),
            Err(Error::OutOfBounds)
        );
    }

    #[test]
    fn emits_pairs() {
        let mut buf = [0u8; 10];
        let end = emit_av_pair(AvId::FLAGS, &[2, 0, 0, 0], &mut buf, 1).unwrap();
        assert_eq!(end, 9);
        assert_eq!(&buf[1..9], &[6, 0, 4, 0, 2, 0, 0, 0]);
        assert_eq!(
            emit_av_pair(AvId::FLAGS, &[2, 0, 0, 0], &mut buf, 3),
            Err(Error::BufferTooSmall)
        );
    }
}
