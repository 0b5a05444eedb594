// SPDX-License-Identifier: GPL-2.0
//! SMB2 IOCTL request and response (MS-SMB2 §2.2.31, §2.2.32) and the
//! FSCTL payloads the client uses: VALIDATE_NEGOTIATE_INFO (§2.2.31.4,
//! §2.2.32.6), SRV_REQUEST_RESUME_KEY (§2.2.32.3) and SRV_COPYCHUNK /
//! SRV_COPYCHUNK_WRITE (§2.2.31.1, §2.2.32.1).

use super::error::{Error, Result};
use super::header::Command;
use super::message::{
    align8, check_body, get_guid, region, start_body, to_u16, to_u32, usize_from, zero, FileId,
    Message, U16List, WireElement, WireList, BODY,
};
use super::wire;

/// FSCTL / IOCTL codes (§2.2.31).
pub mod ctl_code {
    /// FSCTL_DFS_GET_REFERRALS.
    pub const FSCTL_DFS_GET_REFERRALS: u32 = 0x0006_0194;
    /// FSCTL_PIPE_TRANSCEIVE.
    pub const FSCTL_PIPE_TRANSCEIVE: u32 = 0x0011_C017;
    /// FSCTL_SRV_COPYCHUNK.
    pub const FSCTL_SRV_COPYCHUNK: u32 = 0x0014_40F2;
    /// FSCTL_SRV_COPYCHUNK_WRITE.
    pub const FSCTL_SRV_COPYCHUNK_WRITE: u32 = 0x0014_80F2;
    /// FSCTL_SRV_REQUEST_RESUME_KEY.
    pub const FSCTL_SRV_REQUEST_RESUME_KEY: u32 = 0x0014_0078;
    /// FSCTL_VALIDATE_NEGOTIATE_INFO.
    pub const FSCTL_VALIDATE_NEGOTIATE_INFO: u32 = 0x0014_0204;
}

/// IOCTL Flags: SMB2_0_IOCTL_IS_FSCTL (§2.2.31).
pub const IOCTL_IS_FSCTL: u32 = 0x0000_0001;

const REQ_SS: u16 = 57;
const REQ_FIXED: usize = 56;
const REQ_CTL_CODE: usize = BODY + 4;
const REQ_FILE_ID: usize = BODY + 8;
const REQ_INPUT_OFFSET: usize = BODY + 24;
const REQ_INPUT_COUNT: usize = BODY + 28;
const REQ_MAX_INPUT: usize = BODY + 32;
const REQ_OUTPUT_OFFSET: usize = BODY + 36;
const REQ_OUTPUT_COUNT: usize = BODY + 40;
const REQ_MAX_OUTPUT: usize = BODY + 44;
const REQ_FLAGS: usize = BODY + 48;
const REQ_BUFFER: usize = BODY + REQ_FIXED;

/// An IOCTL request (§2.2.31).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoctlRequest<'a> {
    /// CtlCode (see [`ctl_code`]).
    pub ctl_code: u32,
    /// FileId (all ones for FSCTLs not tied to an open).
    pub file_id: FileId,
    /// Input buffer.
    pub input: &'a [u8],
    /// MaxInputResponse.
    pub max_input_response: u32,
    /// Output buffer sent to the server (normally empty).
    pub output: &'a [u8],
    /// MaxOutputResponse.
    pub max_output_response: u32,
    /// Flags ([`IOCTL_IS_FSCTL`]).
    pub flags: u32,
}

fn put_buffers(
    pdu: &mut [u8],
    start: usize,
    empty_offset: usize,
    input: &[u8],
    output: &[u8],
    fields: [usize; 4],
) -> Result<usize> {
    let [in_off, in_cnt, out_off, out_cnt] = fields;
    let in_end = start.checked_add(input.len()).ok_or(Error::Overflow)?;
    wire::put_bytes(pdu, start, input)?;
    let out_start = if output.is_empty() {
        in_end
    } else {
        align8(in_end)?
    };
    zero(pdu, in_end, out_start)?;
    wire::put_bytes(pdu, out_start, output)?;
    let mut end = out_start.checked_add(output.len()).ok_or(Error::Overflow)?;
    if end == start {
        // The Buffer holds at least one byte (odd StructureSize).
        end = end.checked_add(1).ok_or(Error::Overflow)?;
        zero(pdu, start, end)?;
    }
    let off = |len: usize, at: usize| if len == 0 { empty_offset } else { at };
    wire::put_u32(pdu, in_off, to_u32(off(input.len(), start))?)?;
    wire::put_u32(pdu, in_cnt, to_u32(input.len())?)?;
    wire::put_u32(pdu, out_off, to_u32(off(output.len(), out_start))?)?;
    wire::put_u32(pdu, out_cnt, to_u32(output.len())?)?;
    Ok(end)
}

fn get_buffer(pdu: &[u8], min: usize, off_field: usize, cnt_field: usize) -> Result<&[u8]> {
    let off = usize_from(wire::get_u32(pdu, off_field)?)?;
    let cnt = usize_from(wire::get_u32(pdu, cnt_field)?)?;
    region(pdu, min, off, cnt)
}

impl<'a> Message<'a> for IoctlRequest<'a> {
    const COMMAND: Command = Command::Ioctl;
    const IS_RESPONSE: bool = false;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, REQ_SS, REQ_FIXED)?;
        Ok(Self {
            ctl_code: wire::get_u32(pdu, REQ_CTL_CODE)?,
            file_id: FileId::read(pdu, REQ_FILE_ID)?,
            input: get_buffer(pdu, REQ_BUFFER, REQ_INPUT_OFFSET, REQ_INPUT_COUNT)?,
            max_input_response: wire::get_u32(pdu, REQ_MAX_INPUT)?,
            output: get_buffer(pdu, REQ_BUFFER, REQ_OUTPUT_OFFSET, REQ_OUTPUT_COUNT)?,
            max_output_response: wire::get_u32(pdu, REQ_MAX_OUTPUT)?,
            flags: wire::get_u32(pdu, REQ_FLAGS)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        start_body(pdu, REQ_SS, REQ_FIXED)?;
        wire::put_u32(pdu, REQ_CTL_CODE, self.ctl_code)?;
        self.file_id.write(pdu, REQ_FILE_ID)?;
        wire::put_u32(pdu, REQ_MAX_INPUT, self.max_input_response)?;
        wire::put_u32(pdu, REQ_MAX_OUTPUT, self.max_output_response)?;
        wire::put_u32(pdu, REQ_FLAGS, self.flags)?;
        put_buffers(
            pdu,
            REQ_BUFFER,
            0,
            self.input,
            self.output,
            [
                REQ_INPUT_OFFSET,
                REQ_INPUT_COUNT,
                REQ_OUTPUT_OFFSET,
                REQ_OUTPUT_COUNT,
            ],
        )
    }
}

const RSP_SS: u16 = 49;
const RSP_FIXED: usize = 48;
const RSP_CTL_CODE: usize = BODY + 4;
const RSP_FILE_ID: usize = BODY + 8;
const RSP_INPUT_OFFSET: usize = BODY + 24;
const RSP_INPUT_COUNT: usize = BODY + 28;
const RSP_OUTPUT_OFFSET: usize = BODY + 32;
const RSP_OUTPUT_COUNT: usize = BODY + 36;
const RSP_FLAGS: usize = BODY + 40;
const RSP_BUFFER: usize = BODY + RSP_FIXED;

/// An IOCTL response (§2.2.32).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoctlResponse<'a> {
    /// CtlCode.
    pub ctl_code: u32,
    /// FileId.
    pub file_id: FileId,
    /// Input buffer echoed back (normally empty).
    pub input: &'a [u8],
    /// Output buffer.
    pub output: &'a [u8],
    /// Flags.
    pub flags: u32,
}

impl<'a> Message<'a> for IoctlResponse<'a> {
    const COMMAND: Command = Command::Ioctl;
    const IS_RESPONSE: bool = true;

    fn parse(pdu: &'a [u8]) -> Result<Self> {
        check_body(pdu, RSP_SS, RSP_FIXED)?;
        Ok(Self {
            ctl_code: wire::get_u32(pdu, RSP_CTL_CODE)?,
            file_id: FileId::read(pdu, RSP_FILE_ID)?,
            input: get_buffer(pdu, RSP_BUFFER, RSP_INPUT_OFFSET, RSP_INPUT_COUNT)?,
            output: get_buffer(pdu, RSP_BUFFER, RSP_OUTPUT_OFFSET, RSP_OUTPUT_COUNT)?,
            flags: wire::get_u32(pdu, RSP_FLAGS)?,
        })
    }

    fn emit(&self, pdu: &mut [u8]) -> Result<usize> {
        start_body(pdu, RSP_SS, RSP_FIXED)?;
        wire::put_u32(pdu, RSP_CTL_CODE, self.ctl_code)?;
        self.file_id.write(pdu, RSP_FILE_ID)?;
        wire::put_u32(pdu, RSP_FLAGS, self.flags)?;
        put_buffers(
            pdu,
            RSP_BUFFER,
            RSP_BUFFER,
            self.input,
            self.output,
            [
                RSP_INPUT_OFFSET,
                RSP_INPUT_COUNT,
                RSP_OUTPUT_OFFSET,
                RSP_OUTPUT_COUNT,
            ],
        )
    }
}

/// VALIDATE_NEGOTIATE_INFO request (§2.2.31.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateNegotiateInfoRequest<'a> {
    /// Capabilities sent in NEGOTIATE.
    pub capabilities: u32,
    /// ClientGuid.
    pub guid: [u8; 16],
    /// SecurityMode sent in NEGOTIATE.
    pub security_mode: u16,
    /// Dialects sent in NEGOTIATE.
    pub dialects: U16List<'a>,
}

impl<'a> ValidateNegotiateInfoRequest<'a> {
    /// Decodes the IOCTL input. `Oversized` if DialectCount runs past it.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let count = usize::from(wire::get_u16(data, 22)?);
        let len = count.checked_mul(2).ok_or(Error::Overflow)?;
        let dialects = wire::slice(data, 24, len).map_err(|_| Error::Oversized)?;
        Ok(Self {
            capabilities: wire::get_u32(data, 0)?,
            guid: get_guid(data, 4)?,
            security_mode: wire::get_u16(data, 20)?,
            dialects: U16List::from_wire(dialects)?,
        })
    }

    /// Encodes into `out`; returns the length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize> {
        wire::put_u32(out, 0, self.capabilities)?;
        wire::put_bytes(out, 4, &self.guid)?;
        wire::put_u16(out, 20, self.security_mode)?;
        wire::put_u16(out, 22, to_u16(self.dialects.len())?)?;
        let n = self.dialects.write_to(out, 24)?;
        n.checked_add(24).ok_or(Error::Overflow)
    }
}

/// VALIDATE_NEGOTIATE_INFO response (§2.2.32.6): 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ValidateNegotiateInfoResponse {
    /// Server capabilities.
    pub capabilities: u32,
    /// ServerGuid.
    pub guid: [u8; 16],
    /// Server SecurityMode.
    pub security_mode: u16,
    /// Negotiated dialect.
    pub dialect: u16,
}

impl ValidateNegotiateInfoResponse {
    /// Encoded size.
    pub const LEN: usize = 24;

    /// Decodes the IOCTL output.
    pub fn parse(data: &[u8]) -> Result<Self> {
        Ok(Self {
            capabilities: wire::get_u32(data, 0)?,
            guid: get_guid(data, 4)?,
            security_mode: wire::get_u16(data, 20)?,
            dialect: wire::get_u16(data, 22)?,
        })
    }

    /// Encodes into `out`; returns 24.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize> {
        wire::put_u32(out, 0, self.capabilities)?;
        wire::put_bytes(out, 4, &self.guid)?;
        wire::put_u16(out, 20, self.security_mode)?;
        wire::put_u16(out, 22, self.dialect)?;
        Ok(Self::LEN)
    }
}

/// SRV_REQUEST_RESUME_KEY response (§2.2.32.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResumeKeyResponse<'a> {
    /// ResumeKey to use as SourceKey in a copychunk request.
    pub resume_key: [u8; 24],
    /// Context (ContextLength bytes).
    pub context: &'a [u8],
}

impl<'a> ResumeKeyResponse<'a> {
    /// Decodes the IOCTL output. `Oversized` if ContextLength runs past it.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let mut resume_key = [0u8; 24];
        resume_key.copy_from_slice(wire::slice(data, 0, 24).map_err(|_| Error::Truncated)?);
        let len = usize_from(wire::get_u32(data, 24)?)?;
        let context = wire::slice(data, 28, len).map_err(|_| Error::Oversized)?;
        Ok(Self {
            resume_key,
            context,
        })
    }

    /// Encodes into `out`; returns the length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize> {
        wire::put_bytes(out, 0, &self.resume_key)?;
        wire::put_u32(out, 24, to_u32(self.context.len())?)?;
        wire::put_bytes(out, 28, self.context)?;
        self.context.len().checked_add(28).ok_or(Error::Overflow)
    }
}

/// One SRV_COPYCHUNK element (§2.2.31.1.1): SourceOffset (8),
/// TargetOffset (8), Length (4), Reserved (4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyChunk {
    /// Offset in the source file.
    pub source_offset: u64,
    /// Offset in the target file.
    pub target_offset: u64,
    /// Bytes to copy.
    pub length: u32,
}

impl WireElement for CopyChunk {
    const SIZE: usize = 24;
    fn read(b: &[u8]) -> Result<Self> {
        Ok(Self {
            source_offset: wire::get_u64(b, 0)?,
            target_offset: wire::get_u64(b, 8)?,
            length: wire::get_u32(b, 16)?,
        })
    }
    fn write(&self, b: &mut [u8]) -> Result<()> {
        wire::put_u64(b, 0, self.source_offset)?;
        wire::put_u64(b, 8, self.target_offset)?;
        wire::put_u32(b, 16, self.length)?;
        wire::put_u32(b, 20, 0)
    }
}

/// SRV_COPYCHUNK_COPY request (§2.2.31.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyChunkRequest<'a> {
    /// SourceKey from FSCTL_SRV_REQUEST_RESUME_KEY.
    pub source_key: [u8; 24],
    /// Chunks.
    pub chunks: WireList<'a, CopyChunk>,
}

impl<'a> CopyChunkRequest<'a> {
    /// Decodes the IOCTL input. `Oversized` if ChunkCount runs past it.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let mut source_key = [0u8; 24];
        source_key.copy_from_slice(wire::slice(data, 0, 24).map_err(|_| Error::Truncated)?);
        let count = usize_from(wire::get_u32(data, 24)?)?;
        wire::get_u32(data, 28)?;
        let len = count.checked_mul(CopyChunk::SIZE).ok_or(Error::Oversized)?;
        let chunks = wire::slice(data, 32, len).map_err(|_| Error::Oversized)?;
        Ok(Self {
            source_key,
            chunks: WireList::from_wire(chunks)?,
        })
    }

    /// Encodes into `out`; returns the length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize> {
        wire::put_bytes(out, 0, &self.source_key)?;
        wire::put_u32(out, 24, to_u32(self.chunks.len())?)?;
        wire::put_u32(out, 28, 0)?;
        let n = self.chunks.write_to(out, 32)?;
        n.checked_add(32).ok_or(Error::Overflow)
    }
}

/// SRV_COPYCHUNK_RESPONSE (§2.2.32.1): 12 bytes. On
/// STATUS_INVALID_PARAMETER the fields carry the server's limits instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyChunkResponse {
    /// ChunksWritten (or max chunk count).
    pub chunks_written: u32,
    /// ChunkBytesWritten (or max chunk size).
    pub chunk_bytes_written: u32,
    /// TotalBytesWritten (or max total bytes).
    pub total_bytes_written: u32,
}

impl CopyChunkResponse {
    /// Encoded size.
    pub const LEN: usize = 12;

    /// Decodes the IOCTL output.
    pub fn parse(data: &[u8]) -> Result<Self> {
        Ok(Self {
            chunks_written: wire::get_u32(data, 0)?,
            chunk_bytes_written: wire::get_u32(data, 4)?,
            total_bytes_written: wire::get_u32(data, 8)?,
        })
    }

    /// Encodes into `out`; returns 12.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize> {
        wire::put_u32(out, 0, self.chunks_written)?;
        wire::put_u32(out, 4, self.chunk_bytes_written)?;
        wire::put_u32(out, 8, self.total_bytes_written)?;
        Ok(Self::LEN)
    }
}

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
    use super::*;

    #[test]
    fn validate_negotiate_request_layout() {
        let v = ValidateNegotiateInfoRequest {
            capabilities: 0x44,
            guid: [3; 16],
            security_mode: 1,
            dialects: U16List::Values(&[0x0300, 0x0302]),
        };
        let mut input = [0u8; 64];
        let n = v.emit(&mut input).unwrap();
        assert_eq!(n, 28);
        // §2.2.31.4: Capabilities, Guid, SecurityMode at 20, DialectCount at 22, Dialects at 24.
        assert_eq!(&input[20..28], &[1, 0, 2, 0, 0, 3, 2, 3]);
        assert_eq!(ValidateNegotiateInfoRequest::parse(&input[..n]).unwrap(), v);
        let r = IoctlRequest {
            ctl_code: ctl_code::FSCTL_VALIDATE_NEGOTIATE_INFO,
            file_id: FileId::COMPOUND,
            input: &input[..n],
            max_input_response: 0,
            output: &[],
            max_output_response: 24,
            flags: IOCTL_IS_FSCTL,
        };
        let mut b = [0xEEu8; 256];
        let len = r.emit(&mut b).unwrap();
        // §2.2.31: SS 57, CtlCode at body 4, InputOffset 0x78 at 24, InputCount at 28,
        // OutputOffset 0 (no output), MaxOutputResponse at 44, Flags at 48.
        assert_eq!(&b[64..72], &[57, 0, 0, 0, 0x04, 0x02, 0x14, 0x00]);
        assert_eq!(&b[88..96], &[0x78, 0, 0, 0, 28, 0, 0, 0]);
        assert_eq!(&b[100..104], &[0, 0, 0, 0]);
        assert_eq!(&b[108..116], &[24, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(len, 120 + 28);
        assert_eq!(IoctlRequest::parse(&b[..len]).unwrap(), r);
        // Dialect count past the input.
        input[22] = 9;
        assert_eq!(
            ValidateNegotiateInfoRequest::parse(&input[..n]),
            Err(Error::Oversized)
        );
    }

    #[test]
    fn response_layout_and_payloads() {
        let vr = ValidateNegotiateInfoResponse {
            capabilities: 1,
            guid: [5; 16],
            security_mode: 1,
            dialect: 0x0302,
        };
        let mut out = [0u8; 24];
        vr.emit(&mut out).unwrap();
        let r = IoctlResponse {
            ctl_code: ctl_code::FSCTL_VALIDATE_NEGOTIATE_INFO,
            file_id: FileId::COMPOUND,
            input: &[],
            output: &out,
            flags: 0,
        };
        let mut b = [0u8; 200];
        let n = r.emit(&mut b).unwrap();
        // §2.2.32: SS 49, InputOffset 0x70, OutputOffset 0x70 at body 32, count 24.
        assert_eq!(&b[64..66], &[49, 0]);
        assert_eq!(&b[88..92], &[0x70, 0, 0, 0]);
        assert_eq!(&b[96..104], &[0x70, 0, 0, 0, 24, 0, 0, 0]);
        let p = IoctlResponse::parse(&b[..n]).unwrap();
        assert_eq!(p, r);
        assert_eq!(ValidateNegotiateInfoResponse::parse(p.output).unwrap(), vr);
        // Output past the PDU; offset into the fixed part.
        b[100] = 25;
        assert_eq!(IoctlResponse::parse(&b[..n]), Err(Error::OutOfBounds));
        b[100] = 24;
        b[96] = 0x20;
        assert_eq!(IoctlResponse::parse(&b[..n]), Err(Error::OutOfBounds));
        b[96..100].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(IoctlResponse::parse(&b[..n]).is_err());
    }

    #[test]
    fn copychunk_payloads() {
        let chunks = [CopyChunk {
            source_offset: 0,
            target_offset: 4096,
            length: 1 << 20,
        }];
        let c = CopyChunkRequest {
            source_key: [9; 24],
            chunks: WireList::Values(&chunks),
        };
        let mut d = [0u8; 64];
        let n = c.emit(&mut d).unwrap();
        // §2.2.31.1: SourceKey (24), ChunkCount at 24, chunks at 32.
        assert_eq!(n, 56);
        assert_eq!(&d[24..28], &[1, 0, 0, 0]);
        assert_eq!(&d[40..48], &[0, 0x10, 0, 0, 0, 0, 0, 0]);
        assert_eq!(CopyChunkRequest::parse(&d[..n]).unwrap(), c);
        d[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(CopyChunkRequest::parse(&d[..n]), Err(Error::Oversized));

        let k = ResumeKeyResponse {
            resume_key: [1; 24],
            context: &[],
        };
        let n = k.emit(&mut d).unwrap();
        assert_eq!(n, 28);
        assert_eq!(ResumeKeyResponse::parse(&d[..n]).unwrap(), k);
        d[24] = 1;
        assert_eq!(ResumeKeyResponse::parse(&d[..n]), Err(Error::Oversized));

        let r = CopyChunkResponse {
            chunks_written: 1,
            chunk_bytes_written: 0,
            total_bytes_written: 1 << 20,
        };
        r.emit(&mut d).unwrap();
        assert_eq!(CopyChunkResponse::parse(&d[..12]).unwrap(), r);
        assert_eq!(CopyChunkResponse::parse(&d[..11]), Err(Error::Truncated));
    }
}
