// SPDX-License-Identifier: GPL-2.0
//! SMB 3.1.1 negotiate contexts (MS-SMB2 §2.2.3.1, §2.2.4.1).
//!
//! Each context: ContextType (2), DataLength (2), Reserved (4), Data; the
//! next context starts at the next 8-byte boundary (header-relative). The
//! list is decoded by [`NegotiateContextIter`]; contexts this codec does
//! not interpret come back as [`NegotiateContext::Other`] so callers can skip
//! them.

use super::error::{Error, Result};
use super::message::{align8, to_u16, zero, U16List};
use super::wire;

/// ContextType values (§2.2.3.1).
pub mod context_type {
    /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES.
    pub const PREAUTH_INTEGRITY_CAPABILITIES: u16 = 0x0001;
    /// SMB2_ENCRYPTION_CAPABILITIES.
    pub const ENCRYPTION_CAPABILITIES: u16 = 0x0002;
    /// SMB2_COMPRESSION_CAPABILITIES (not interpreted).
    pub const COMPRESSION_CAPABILITIES: u16 = 0x0003;
    /// SMB2_NETNAME_NEGOTIATE_CONTEXT_ID (not interpreted).
    pub const NETNAME_NEGOTIATE_CONTEXT_ID: u16 = 0x0005;
    /// SMB2_TRANSPORT_CAPABILITIES (not interpreted).
    pub const TRANSPORT_CAPABILITIES: u16 = 0x0006;
    /// SMB2_RDMA_TRANSFORM_CAPABILITIES (not interpreted).
    pub const RDMA_TRANSFORM_CAPABILITIES: u16 = 0x0007;
    /// SMB2_SIGNING_CAPABILITIES.
    pub const SIGNING_CAPABILITIES: u16 = 0x0008;
}

/// HashAlgorithm SHA-512 (§2.2.3.1.1), the only one defined.
pub const HASH_SHA512: u16 = 0x0001;

/// Cipher ids (§2.2.3.1.2).
pub mod cipher {
    /// AES-128-CCM.
    pub const AES_128_CCM: u16 = 0x0001;
    /// AES-128-GCM.
    pub const AES_128_GCM: u16 = 0x0002;
    /// AES-256-CCM.
    pub const AES_256_CCM: u16 = 0x0003;
    /// AES-256-GCM.
    pub const AES_256_GCM: u16 = 0x0004;
}

/// Signing algorithm ids (§2.2.3.1.7).
pub mod signing_algorithm {
    /// HMAC-SHA256.
    pub const HMAC_SHA256: u16 = 0x0000;
    /// AES-CMAC.
    pub const AES_CMAC: u16 = 0x0001;
    /// AES-GMAC.
    pub const AES_GMAC: u16 = 0x0002;
}

/// Size of a context's header (ContextType, DataLength, Reserved).
pub const CONTEXT_HEADER_LEN: usize = 8;

/// One negotiate context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NegotiateContext<'a> {
    /// SMB2_PREAUTH_INTEGRITY_CAPABILITIES (§2.2.3.1.1): HashAlgorithmCount
    /// (2), SaltLength (2), HashAlgorithms, Salt.
    PreauthIntegrity {
        /// Hash algorithm ids (SHA-512 = 1).
        hash_algorithms: U16List<'a>,
        /// Salt.
        salt: &'a [u8],
    },
    /// SMB2_ENCRYPTION_CAPABILITIES (§2.2.3.1.2): CipherCount (2), Ciphers.
    Encryption {
        /// Cipher ids in preference order (one in a response).
        ciphers: U16List<'a>,
    },
    /// SMB2_SIGNING_CAPABILITIES (§2.2.3.1.7): SigningAlgorithmCount (2),
    /// SigningAlgorithms.
    Signing {
        /// Signing algorithm ids in preference order (one in a response).
        algorithms: U16List<'a>,
    },
    /// Any other context, kept raw.
    Other {
        /// ContextType.
        context_type: u16,
        /// Data.
        data: &'a [u8],
    },
}

impl<'a> NegotiateContext<'a> {
    /// The ContextType.
    pub fn context_type(&self) -> u16 {
        match self {
            Self::PreauthIntegrity { .. } => context_type::PREAUTH_INTEGRITY_CAPABILITIES,
            Self::Encryption { .. } => context_type::ENCRYPTION_CAPABILITIES,
            Self::Signing { .. } => context_type::SIGNING_CAPABILITIES,
            Self::Other { context_type, .. } => *context_type,
        }
    }

    /// Decodes the Data of a context of type `ctype`.
    ///
    /// `Malformed` if a count is zero or the counts do not add up to exactly
    /// DataLength.
    pub fn parse(ctype: u16, data: &'a [u8]) -> Result<Self> {
        match ctype {
            context_type::PREAUTH_INTEGRITY_CAPABILITIES => {
                let count = usize::from(wire::get_u16(data, 0).map_err(|_| Error::Malformed)?);
                let salt_len = usize::from(wire::get_u16(data, 2).map_err(|_| Error::Malformed)?);
                let algs_len = count.checked_mul(2).ok_or(Error::Overflow)?;
                let want = algs_len
                    .checked_add(4)
                    .and_then(|v| v.checked_add(salt_len))
                    .ok_or(Error::Overflow)?;
                if count == 0 || want != data.len() {
                    return Err(Error::Malformed);
                }
                let algs = wire::slice(data, 4, algs_len)?;
                let salt = wire::slice(
                    data,
                    4usize.checked_add(algs_len).ok_or(Error::Overflow)?,
                    salt_len,
                )?;
                Ok(Self::PreauthIntegrity {
                    hash_algorithms: U16List::from_wire(algs)?,
                    salt,
                })
            }
            context_type::ENCRYPTION_CAPABILITIES => Ok(Self::Encryption {
                ciphers: parse_counted_u16s(data)?,
            }),
            context_type::SIGNING_CAPABILITIES => Ok(Self::Signing {
                algorithms: parse_counted_u16s(data)?,
            }),
            other => Ok(Self::Other {
                context_type: other,
                data,
            }),
        }
    }

    /// Length of the context's Data.
    pub fn data_len(&self) -> Result<usize> {
        let n = match self {
            Self::PreauthIntegrity {
                hash_algorithms,
                salt,
            } => hash_algorithms
                .wire_len()?
                .checked_add(4)
                .and_then(|v| v.checked_add(salt.len())),
            Self::Encryption { ciphers: l } | Self::Signing { algorithms: l } => {
                l.wire_len()?.checked_add(2)
            }
            Self::Other { data, .. } => Some(data.len()),
        };
        n.ok_or(Error::Overflow)
    }

    /// Writes the context (header and data, unpadded) at `buf[off..]`;
    /// returns the offset just past it.
    pub fn emit(&self, buf: &mut [u8], off: usize) -> Result<usize> {
        let len = self.data_len()?;
        wire::put_u16(buf, off, self.context_type())?;
        wire::put_u16(buf, add(off, 2)?, to_u16(len)?)?;
        wire::put_u32(buf, add(off, 4)?, 0)?;
        let d = add(off, CONTEXT_HEADER_LEN)?;
        match self {
            Self::PreauthIntegrity {
                hash_algorithms,
                salt,
            } => {
                wire::put_u16(buf, d, to_u16(hash_algorithms.len())?)?;
                wire::put_u16(buf, add(d, 2)?, to_u16(salt.len())?)?;
                let n = hash_algorithms.write_to(buf, add(d, 4)?)?;
                wire::put_bytes(buf, add(add(d, 4)?, n)?, salt)?;
            }
            Self::Encryption { ciphers: l } | Self::Signing { algorithms: l } => {
                wire::put_u16(buf, d, to_u16(l.len())?)?;
                l.write_to(buf, add(d, 2)?)?;
            }
            Self::Other { data, .. } => wire::put_bytes(buf, d, data)?,
        }
        add(d, len)
    }
}

fn add(a: usize, b: usize) -> Result<usize> {
    a.checked_add(b).ok_or(Error::Overflow)
}

/// Count (2) followed by exactly `count` u16 values, count > 0.
fn parse_counted_u16s(data: &[u8]) -> Result<U16List<'_>> {
    let count = usize::from(wire::get_u16(data, 0).map_err(|_| Error::Malformed)?);
    let len = count.checked_mul(2).ok_or(Error::Overflow)?;
    if count == 0 || len.checked_add(2) != Some(data.len()) {
        return Err(Error::Malformed);
    }
    U16List::from_wire(wire::slice(data, 2, len)?)
}

/// Writes `contexts` starting at `buf[off..]` (`off` must be 8-aligned),
/// padding between them with zeros; returns the end of the last one.
pub fn emit_negotiate_contexts(
    contexts: &[NegotiateContext<'_>],
    buf: &mut [u8],
    off: usize,
) -> Result<usize> {
    if off % 8 != 0 {
        return Err(Error::Misaligned);
    }
    let mut pos = off;
    for (i, c) in contexts.iter().enumerate() {
        if i > 0 {
            let aligned = align8(pos)?;
            zero(buf, pos, aligned)?;
            pos = aligned;
        }
        pos = c.emit(buf, pos)?;
    }
    Ok(pos)
}

/// Iterator over `count` negotiate contexts laid out from the start of
/// `list` (which must begin 8-byte aligned relative to the header).
///
/// Errors (then stops): `Truncated` if a context header is cut off or
/// fewer contexts than announced are present; `Oversized` if DataLength
/// runs past the buffer; `Malformed` on inconsistent known contexts.
#[derive(Debug, Clone)]
pub struct NegotiateContextIter<'a> {
    list: &'a [u8],
    pos: usize,
    left: u16,
}

impl<'a> NegotiateContextIter<'a> {
    /// Iterates over `count` contexts in `list`.
    pub fn new(list: &'a [u8], count: u16) -> Self {
        Self {
            list,
            pos: 0,
            left: count,
        }
    }

    fn step(&mut self) -> Result<NegotiateContext<'a>> {
        let ctype = wire::get_u16(self.list, self.pos)?;
        let len = usize::from(wire::get_u16(self.list, add(self.pos, 2)?)?);
        if self.list.len() < add(self.pos, CONTEXT_HEADER_LEN)? {
            return Err(Error::Truncated);
        }
        let start = add(self.pos, CONTEXT_HEADER_LEN)?;
        let data = wire::slice(self.list, start, len).map_err(|_| Error::Oversized)?;
        self.pos = align8(add(start, len)?)?;
        NegotiateContext::parse(ctype, data)
    }
}

impl<'a> Iterator for NegotiateContextIter<'a> {
    type Item = Result<NegotiateContext<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let r = self.step();
        self.left = if r.is_ok() {
            self.left.saturating_sub(1)
        } else {
            0
        };
        Some(r)
    }
}

/// The negotiate contexts of a NEGOTIATE request or response: decoded from
/// the wire, or given by an encoder. Equal when they yield equal contexts.
#[derive(Debug, Clone, Copy)]
pub enum NegotiateContexts<'a> {
    /// Received: the list region (from NegotiateContextOffset to the end of
    /// the PDU) and NegotiateContextCount, already validated.
    Wire {
        /// Bytes from the first context to the end of the PDU.
        list: &'a [u8],
        /// NegotiateContextCount.
        count: u16,
    },
    /// To send.
    List(&'a [NegotiateContext<'a>]),
}

impl<'a> NegotiateContexts<'a> {
    /// No contexts.
    pub const NONE: NegotiateContexts<'static> = NegotiateContexts::List(&[]);

    /// Number of contexts.
    pub fn len(&self) -> usize {
        match self {
            Self::Wire { count, .. } => usize::from(*count),
            Self::List(l) => l.len(),
        }
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the contexts.
    pub fn iter(&self) -> NegotiateContextsIter<'a> {
        match self {
            Self::Wire { list, count } => {
                NegotiateContextsIter::Wire(NegotiateContextIter::new(list, *count))
            }
            Self::List(l) => NegotiateContextsIter::List(l.iter()),
        }
    }

    /// The first context of type `ctype`, if any.
    pub fn find(&self, ctype: u16) -> Option<NegotiateContext<'a>> {
        self.iter()
            .filter_map(|c| c.ok())
            .find(|c| c.context_type() == ctype)
    }

    /// Writes the contexts from `off` (8-aligned); returns the end.
    pub fn emit(&self, buf: &mut [u8], off: usize) -> Result<usize> {
        if off % 8 != 0 {
            return Err(Error::Misaligned);
        }
        let mut pos = off;
        for (i, c) in self.iter().enumerate() {
            if i > 0 {
                let aligned = align8(pos)?;
                zero(buf, pos, aligned)?;
                pos = aligned;
            }
            pos = c?.emit(buf, pos)?;
        }
        Ok(pos)
    }
}

impl PartialEq for NegotiateContexts<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for NegotiateContexts<'_> {}

/// Iterator behind [`NegotiateContexts::iter`].
#[derive(Debug, Clone)]
pub enum NegotiateContextsIter<'a> {
    /// Over received bytes.
    Wire(NegotiateContextIter<'a>),
    /// Over given contexts.
    List(core::slice::Iter<'a, NegotiateContext<'a>>),
}

impl<'a> Iterator for NegotiateContextsIter<'a> {
    type Item = Result<NegotiateContext<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Wire(it) => it.next(),
            Self::List(it) => it.next().map(|c| Ok(*c)),
        }
    }
}

/// Validates the context list at header-relative `offset` in `pdu` (which
/// must be 8-aligned and at or after `min_off`) and returns it.
pub(super) fn contexts_at(
    pdu: &[u8],
    min_off: usize,
    offset: usize,
    count: u16,
) -> Result<NegotiateContexts<'_>> {
    if count == 0 {
        return Ok(NegotiateContexts::Wire {
            list: &[],
            count: 0,
        });
    }
    if offset % 8 != 0 {
        return Err(Error::Misaligned);
    }
    if offset < min_off {
        return Err(Error::OutOfBounds);
    }
    let list = pdu.get(offset..).ok_or(Error::OutOfBounds)?;
    for c in NegotiateContextIter::new(list, count) {
        c?;
    }
    Ok(NegotiateContexts::Wire { list, count })
}
