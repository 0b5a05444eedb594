// SPDX-License-Identifier: GPL-2.0
//! CREATE contexts (MS-SMB2 §2.2.13.2 requests, §2.2.14.2 responses).
//!
//! Each context: Next (4), NameOffset (2), NameLength (2), Reserved (2),
//! DataOffset (2), DataLength (4), then name and data. Offsets are relative
//! to the context; Next is the offset of the next context (8-aligned, 0 for
//! the last) and must strictly advance. Interpreted here: lease v2 (`RqLs`,
//! 52 bytes), durable handle v2 request/response (`DH2Q`), durable handle v2
//! reconnect (`DH2C`), query on-disk id (`QFid`) and maximal access
//! (`MxAc`). Anything else is returned raw as [`CreateContext::Other`].

use super::error::{Error, Result};
use super::message::{align8, get_guid, to_u16, to_u32, zero, FileId};
use super::wire;

/// Context names (§2.2.13.2).
pub mod context_name {
    /// SMB2_CREATE_REQUEST_LEASE(_V2) / SMB2_CREATE_RESPONSE_LEASE(_V2).
    pub const LEASE: &[u8; 4] = b"RqLs";
    /// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 / _RESPONSE_V2.
    pub const DURABLE_V2_REQUEST: &[u8; 4] = b"DH2Q";
    /// SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2.
    pub const DURABLE_V2_RECONNECT: &[u8; 4] = b"DH2C";
    /// SMB2_CREATE_QUERY_ON_DISK_ID.
    pub const QUERY_ON_DISK_ID: &[u8; 4] = b"QFid";
    /// SMB2_CREATE_QUERY_MAXIMAL_ACCESS_REQUEST / _RESPONSE.
    pub const MAXIMAL_ACCESS: &[u8; 4] = b"MxAc";
}

/// Lease state bits (§2.2.13.2.8).
pub mod lease_state {
    /// SMB2_LEASE_READ_CACHING.
    pub const READ_CACHING: u32 = 0x01;
    /// SMB2_LEASE_HANDLE_CACHING.
    pub const HANDLE_CACHING: u32 = 0x02;
    /// SMB2_LEASE_WRITE_CACHING.
    pub const WRITE_CACHING: u32 = 0x04;
}

/// Lease flags (§2.2.13.2.10, §2.2.14.2.10).
pub mod lease_flags {
    /// SMB2_LEASE_FLAG_BREAK_IN_PROGRESS (response).
    pub const BREAK_IN_PROGRESS: u32 = 0x02;
    /// SMB2_LEASE_FLAG_PARENT_LEASE_KEY_SET.
    pub const PARENT_LEASE_KEY_SET: u32 = 0x04;
}

/// Durable handle v2 flag SMB2_DHANDLE_FLAG_PERSISTENT (§2.2.13.2.11).
pub const DHANDLE_FLAG_PERSISTENT: u32 = 0x02;

/// Size of a context header.
pub const CREATE_CONTEXT_HEADER_LEN: usize = 16;

/// SMB2_CREATE_REQUEST_LEASE_V2 / SMB2_CREATE_RESPONSE_LEASE_V2
/// (§2.2.13.2.10, §2.2.14.2.11): 52 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LeaseV2 {
    /// LeaseKey.
    pub lease_key: [u8; 16],
    /// LeaseState (see [`lease_state`]).
    pub lease_state: u32,
    /// LeaseFlags (see [`lease_flags`]).
    pub lease_flags: u32,
    /// LeaseDuration (reserved, 0).
    pub lease_duration: u64,
    /// ParentLeaseKey.
    pub parent_lease_key: [u8; 16],
    /// Epoch.
    pub epoch: u16,
}

impl LeaseV2 {
    /// Encoded size.
    pub const LEN: usize = 52;

    fn parse(d: &[u8]) -> Result<Self> {
        Ok(Self {
            lease_key: get_guid(d, 0)?,
            lease_state: wire::get_u32(d, 16)?,
            lease_flags: wire::get_u32(d, 20)?,
            lease_duration: wire::get_u64(d, 24)?,
            parent_lease_key: get_guid(d, 32)?,
            epoch: wire::get_u16(d, 48)?,
        })
    }

    fn emit(&self, d: &mut [u8]) -> Result<()> {
        wire::put_bytes(d, 0, &self.lease_key)?;
        wire::put_u32(d, 16, self.lease_state)?;
        wire::put_u32(d, 20, self.lease_flags)?;
        wire::put_u64(d, 24, self.lease_duration)?;
        wire::put_bytes(d, 32, &self.parent_lease_key)?;
        wire::put_u16(d, 48, self.epoch)?;
        wire::put_u16(d, 50, 0)
    }
}

/// SMB2_CREATE_DURABLE_HANDLE_REQUEST_V2 (§2.2.13.2.11): 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DurableV2Request {
    /// Timeout in milliseconds (0: server default).
    pub timeout: u32,
    /// Flags ([`DHANDLE_FLAG_PERSISTENT`]).
    pub flags: u32,
    /// CreateGuid identifying the open for replay and reconnect.
    pub create_guid: [u8; 16],
}

/// SMB2_CREATE_DURABLE_HANDLE_RECONNECT_V2 (§2.2.13.2.12): 36 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DurableV2Reconnect {
    /// FileId of the open being reclaimed.
    pub file_id: FileId,
    /// CreateGuid of the original open.
    pub create_guid: [u8; 16],
    /// Flags ([`DHANDLE_FLAG_PERSISTENT`]).
    pub flags: u32,
}

/// SMB2_CREATE_DURABLE_HANDLE_RESPONSE_V2 (§2.2.14.2.12): 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DurableV2Response {
    /// Timeout the server will keep the handle, in milliseconds.
    pub timeout: u32,
    /// Flags.
    pub flags: u32,
}

/// SMB2_CREATE_QUERY_ON_DISK_ID response (§2.2.14.2.9): 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnDiskId {
    /// DiskFileId (the file's 64-bit index number is in the first 8 bytes).
    pub disk_file_id: [u8; 16],
    /// VolumeId.
    pub volume_id: u64,
}

/// SMB2_CREATE_QUERY_MAXIMAL_ACCESS_RESPONSE (§2.2.14.2.5): 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MaximalAccessResponse {
    /// QueryStatus (NTSTATUS).
    pub query_status: u32,
    /// MaximalAccess mask.
    pub maximal_access: u32,
}

/// One create context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateContext<'a> {
    /// `RqLs`, lease v2 (request or response).
    LeaseV2(LeaseV2),
    /// `DH2Q` in a request.
    DurableV2Request(DurableV2Request),
    /// `DH2Q` in a response.
    DurableV2Response(DurableV2Response),
    /// `DH2C` in a request.
    DurableV2Reconnect(DurableV2Reconnect),
    /// `QFid` in a request (no data).
    QueryOnDiskId,
    /// `QFid` in a response.
    OnDiskId(OnDiskId),
    /// `MxAc` in a request, with an optional Timestamp (§2.2.13.2.5).
    MaximalAccessRequest {
        /// Timestamp, if given.
        timestamp: Option<u64>,
    },
    /// `MxAc` in a response.
    MaximalAccessResponse(MaximalAccessResponse),
    /// Any other context (or a `RqLs` of another size), raw.
    Other {
        /// Name bytes.
        name: &'a [u8],
        /// Data bytes.
        data: &'a [u8],
    },
}

impl<'a> CreateContext<'a> {
    /// The context name.
    pub fn name(&self) -> &'a [u8] {
        match self {
            Self::LeaseV2(_) => context_name::LEASE,
            Self::DurableV2Request(_) | Self::DurableV2Response(_) => {
                context_name::DURABLE_V2_REQUEST
            }
            Self::DurableV2Reconnect(_) => context_name::DURABLE_V2_RECONNECT,
            Self::QueryOnDiskId | Self::OnDiskId(_) => context_name::QUERY_ON_DISK_ID,
            Self::MaximalAccessRequest { .. } | Self::MaximalAccessResponse(_) => {
                context_name::MAXIMAL_ACCESS
            }
            Self::Other { name, .. } => name,
        }
    }

    /// Length of the data.
    pub fn data_len(&self) -> usize {
        match self {
            Self::LeaseV2(_) => LeaseV2::LEN,
            Self::DurableV2Request(_) | Self::OnDiskId(_) => 32,
            Self::DurableV2Response(_) | Self::MaximalAccessResponse(_) => 8,
            Self::DurableV2Reconnect(_) => 36,
            Self::QueryOnDiskId | Self::MaximalAccessRequest { timestamp: None } => 0,
            Self::MaximalAccessRequest { timestamp: Some(_) } => 8,
            Self::Other { data, .. } => data.len(),
        }
    }

    /// Decodes a context given its name and data; `response` selects the
    /// response layouts. `Malformed` if a known context has the wrong size
    /// (a lease of another size is returned as `Other`).
    pub fn parse(name: &'a [u8], data: &'a [u8], response: bool) -> Result<Self> {
        let fixed = |n: usize| {
            if data.len() == n {
                Ok(())
            } else {
                Err(Error::Malformed)
            }
        };
        if name == context_name::LEASE {
            if data.len() != LeaseV2::LEN {
                return Ok(Self::Other { name, data });
            }
            return Ok(Self::LeaseV2(LeaseV2::parse(data)?));
        }
        if name == context_name::DURABLE_V2_REQUEST {
            return if response {
                fixed(8)?;
                Ok(Self::DurableV2Response(DurableV2Response {
                    timeout: wire::get_u32(data, 0)?,
                    flags: wire::get_u32(data, 4)?,
                }))
            } else {
                fixed(32)?;
                Ok(Self::DurableV2Request(DurableV2Request {
                    timeout: wire::get_u32(data, 0)?,
                    flags: wire::get_u32(data, 4)?,
                    create_guid: get_guid(data, 16)?,
                }))
            };
        }
        if name == context_name::DURABLE_V2_RECONNECT && !response {
            fixed(36)?;
            return Ok(Self::DurableV2Reconnect(DurableV2Reconnect {
                file_id: FileId::read(data, 0)?,
                create_guid: get_guid(data, 16)?,
                flags: wire::get_u32(data, 32)?,
            }));
        }
        if name == context_name::QUERY_ON_DISK_ID {
            return if response {
                fixed(32)?;
                Ok(Self::OnDiskId(OnDiskId {
                    disk_file_id: get_guid(data, 0)?,
                    volume_id: wire::get_u64(data, 16)?,
                }))
            } else {
                fixed(0)?;
                Ok(Self::QueryOnDiskId)
            };
        }
        if name == context_name::MAXIMAL_ACCESS {
            return if response {
                fixed(8)?;
                Ok(Self::MaximalAccessResponse(MaximalAccessResponse {
                    query_status: wire::get_u32(data, 0)?,
                    maximal_access: wire::get_u32(data, 4)?,
                }))
            } else {
                match data.len() {
                    0 => Ok(Self::MaximalAccessRequest { timestamp: None }),
                    8 => Ok(Self::MaximalAccessRequest {
                        timestamp: Some(wire::get_u64(data, 0)?),
                    }),
                    _ => Err(Error::Malformed),
                }
            };
        }
        Ok(Self::Other { name, data })
    }

    fn emit_data(&self, d: &mut [u8]) -> Result<()> {
        match self {
            Self::LeaseV2(l) => l.emit(d),
            Self::DurableV2Request(r) => {
                wire::put_u32(d, 0, r.timeout)?;
                wire::put_u32(d, 4, r.flags)?;
                wire::put_u64(d, 8, 0)?;
                wire::put_bytes(d, 16, &r.create_guid)
            }
            Self::DurableV2Response(r) => {
                wire::put_u32(d, 0, r.timeout)?;
                wire::put_u32(d, 4, r.flags)
            }
            Self::DurableV2Reconnect(r) => {
                r.file_id.write(d, 0)?;
                wire::put_bytes(d, 16, &r.create_guid)?;
                wire::put_u32(d, 32, r.flags)
            }
            Self::QueryOnDiskId | Self::MaximalAccessRequest { timestamp: None } => Ok(()),
            Self::OnDiskId(r) => {
                wire::put_bytes(d, 0, &r.disk_file_id)?;
                wire::put_u64(d, 16, r.volume_id)?;
                wire::put_u64(d, 24, 0)
            }
            Self::MaximalAccessRequest { timestamp: Some(t) } => wire::put_u64(d, 0, *t),
            Self::MaximalAccessResponse(r) => {
                wire::put_u32(d, 0, r.query_status)?;
                wire::put_u32(d, 4, r.maximal_access)
            }
            Self::Other { data, .. } => wire::put_bytes(d, 0, data),
        }
    }

    /// Writes the context (header, name, padding, data) at `buf[off..]`
    /// with Next = 0; returns its unpadded length.
    pub fn emit(&self, buf: &mut [u8], off: usize) -> Result<usize> {
        let name = self.name();
        let dlen = self.data_len();
        let name_end = CREATE_CONTEXT_HEADER_LEN
            .checked_add(name.len())
            .ok_or(Error::Overflow)?;
        let data_off = if dlen > 0 { align8(name_end)? } else { 0 };
        let total = if dlen > 0 {
            data_off.checked_add(dlen).ok_or(Error::Overflow)?
        } else {
            name_end
        };
        let end = off.checked_add(total).ok_or(Error::Overflow)?;
        let c = buf.get_mut(off..end).ok_or(Error::BufferTooSmall)?;
        c.fill(0);
        wire::put_u16(c, 4, to_u16(CREATE_CONTEXT_HEADER_LEN)?)?;
        wire::put_u16(c, 6, to_u16(name.len())?)?;
        wire::put_u16(c, 10, to_u16(data_off)?)?;
        wire::put_u32(c, 12, to_u32(dlen)?)?;
        wire::put_bytes(c, CREATE_CONTEXT_HEADER_LEN, name)?;
        if dlen > 0 {
            self.emit_data(c.get_mut(data_off..).ok_or(Error::BufferTooSmall)?)?;
        }
        Ok(total)
    }
}

/// Iterator over a chain of create contexts in `list` (the
/// CreateContextsOffset/Length region).
///
/// Errors (then stops): `Truncated` for a cut-off header; `Misaligned` for
/// a Next or DataOffset not a multiple of 8; `OutOfBounds` for a Next that
/// does not advance past the header or leaves the list, or a name or data
/// outside its context; `Overflow` on offset arithmetic overflow;
/// `Malformed` for a known context of the wrong size.
#[derive(Debug, Clone)]
pub struct CreateContextIter<'a> {
    list: &'a [u8],
    pos: usize,
    response: bool,
    done: bool,
}

impl<'a> CreateContextIter<'a> {
    /// Iterates over the contexts in `list`; `response` selects response
    /// layouts.
    pub fn new(list: &'a [u8], response: bool) -> Self {
        Self {
            list,
            pos: 0,
            response,
            done: list.is_empty(),
        }
    }

    fn step(&mut self) -> Result<CreateContext<'a>> {
        let rest = self.list.get(self.pos..).ok_or(Error::OutOfBounds)?;
        if rest.len() < CREATE_CONTEXT_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let next = super::message::usize_from(wire::get_u32(rest, 0)?)?;
        let ctx = if next == 0 {
            self.done = true;
            rest
        } else {
            if next % 8 != 0 {
                return Err(Error::Misaligned);
            }
            if next < CREATE_CONTEXT_HEADER_LEN || next >= rest.len() {
                return Err(Error::OutOfBounds);
            }
            self.pos = self.pos.checked_add(next).ok_or(Error::Overflow)?;
            rest.get(..next).ok_or(Error::OutOfBounds)?
        };
        let name_off = usize::from(wire::get_u16(ctx, 4)?);
        let name_len = usize::from(wire::get_u16(ctx, 6)?);
        let data_off = usize::from(wire::get_u16(ctx, 10)?);
        let data_len = super::message::usize_from(wire::get_u32(ctx, 12)?)?;
        if name_off < CREATE_CONTEXT_HEADER_LEN {
            return Err(Error::OutOfBounds);
        }
        let name = wire::slice(ctx, name_off, name_len)?;
        let data = if data_len == 0 {
            &[][..]
        } else {
            if data_off % 8 != 0 {
                return Err(Error::Misaligned);
            }
            if data_off < CREATE_CONTEXT_HEADER_LEN {
                return Err(Error::OutOfBounds);
            }
            wire::slice(ctx, data_off, data_len)?
        };
        CreateContext::parse(name, data, self.response)
    }
}

impl<'a> Iterator for CreateContextIter<'a> {
    type Item = Result<CreateContext<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.step();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// The create contexts of a CREATE request or response: received bytes or
/// contexts to send. Equal when they yield equal contexts.
#[derive(Debug, Clone, Copy)]
pub enum CreateContexts<'a> {
    /// Received and validated: the context list and its direction.
    Wire {
        /// The CreateContextsOffset/Length region.
        list: &'a [u8],
        /// True in a response.
        response: bool,
    },
    /// To send.
    List(&'a [CreateContext<'a>]),
}

impl<'a> CreateContexts<'a> {
    /// No contexts.
    pub const NONE: CreateContexts<'static> = CreateContexts::List(&[]);

    /// Iterates over the contexts.
    pub fn iter(&self) -> CreateContextsIter<'a> {
        match self {
            Self::Wire { list, response } => {
                CreateContextsIter::Wire(CreateContextIter::new(list, *response))
            }
            Self::List(l) => CreateContextsIter::List(l.iter()),
        }
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Wire { list, .. } => list.is_empty(),
            Self::List(l) => l.is_empty(),
        }
    }

    /// The first context called `name`.
    pub fn find(&self, name: &[u8]) -> Option<CreateContext<'a>> {
        self.iter()
            .filter_map(|c| c.ok())
            .find(|c| c.name() == name)
    }

    /// Lays the contexts out from `off` (8-aligned), linking Next and
    /// padding each to 8 bytes; returns the total length (0 if none).
    pub fn emit(&self, buf: &mut [u8], off: usize) -> Result<usize> {
        if off % 8 != 0 {
            return Err(Error::Misaligned);
        }
        let mut pos = off;
        let mut prev: Option<usize> = None;
        for c in self.iter() {
            let c = c?;
            if let Some(p) = prev {
                let aligned = align8(pos)?;
                zero(buf, pos, aligned)?;
                wire::put_u32(
                    buf,
                    p,
                    to_u32(aligned.checked_sub(p).ok_or(Error::Overflow)?)?,
                )?;
                pos = aligned;
            }
            let len = c.emit(buf, pos)?;
            prev = Some(pos);
            pos = pos.checked_add(len).ok_or(Error::Overflow)?;
        }
        pos.checked_sub(off).ok_or(Error::Overflow)
    }
}

impl PartialEq for CreateContexts<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for CreateContexts<'_> {}

/// Iterator behind [`CreateContexts::iter`].
#[derive(Debug, Clone)]
pub enum CreateContextsIter<'a> {
    /// Over received bytes.
    Wire(CreateContextIter<'a>),
    /// Over given contexts.
    List(core::slice::Iter<'a, CreateContext<'a>>),
}

impl<'a> Iterator for CreateContextsIter<'a> {
    type Item = Result<CreateContext<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Wire(it) => it.next(),
            Self::List(it) => it.next().map(|c| Ok(*c)),
        }
    }
}

/// Validates the context list at header-relative (`offset`, `length`) of
/// `pdu` (8-aligned, at or after `min_off`) and returns it.
pub(super) fn contexts_at(
    pdu: &[u8],
    min_off: usize,
    offset: usize,
    length: usize,
    response: bool,
) -> Result<CreateContexts<'_>> {
    if length == 0 {
        return Ok(CreateContexts::Wire {
            list: &[],
            response,
        });
    }
    if offset % 8 != 0 {
        return Err(Error::Misaligned);
    }
    if offset < min_off {
        return Err(Error::OutOfBounds);
    }
    let list = wire::slice(pdu, offset, length)?;
    for c in CreateContextIter::new(list, response) {
        c?;
    }
    Ok(CreateContexts::Wire { list, response })
}
