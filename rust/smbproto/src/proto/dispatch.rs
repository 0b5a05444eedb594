// SPDX-License-Identifier: GPL-2.0
//! Decoding any response (or request) PDU by its command, and whole
//! compound chains (MS-SMB2 §3.2.5.1: choosing between a command's own
//! body and the ERROR body).

use super::close::{CloseRequest, CloseResponse, FlushRequest, FlushResponse};
use super::compound::CompoundIter;
use super::create::{CreateRequest, CreateResponse};
use super::echo::{CancelRequest, EchoRequest, EchoResponse};
use super::error::{Error, Result};
use super::error_resp::ErrorResponse;
use super::file_io::{ReadRequest, ReadResponse, WriteRequest, WriteResponse};
use super::framing::{message_kind, MessageKind};
use super::header::{Command, Header};
use super::info::{QueryInfoRequest, QueryInfoResponse, SetInfoRequest, SetInfoResponse};
use super::info_class::{
    FileAllInformation, FileBasicInformation, FileDispositionInformation, FileEndOfFileInformation,
    FileFsAttributeInformation, FileFsFullSizeInformation, FileFsVolumeInformation,
    FileRenameInformation, FileStandardInformation, InfoClass,
};
use super::ioctl::{
    ctl_code, CopyChunkRequest, CopyChunkResponse, IoctlRequest, IoctlResponse, ResumeKeyResponse,
    ValidateNegotiateInfoRequest, ValidateNegotiateInfoResponse,
};
use super::lock::{LockRequest, LockResponse};
use super::message::{structure_size, Message};
use super::negotiate::{NegotiateRequest, NegotiateResponse};
use super::oplock::{BreakMessage, LeaseBreakAck, OplockBreakAck};
use super::query_dir::{
    FileIdBothDirectoryInformation, FileIdFullDirectoryInformation, QueryDirectoryRequest,
    QueryDirectoryResponse,
};
use super::session::{LogoffRequest, LogoffResponse, SessionSetupRequest, SessionSetupResponse};
use super::status::NtStatus;
use super::transform::transform_payload;
use super::tree::{
    TreeConnectRequest, TreeConnectResponse, TreeDisconnectRequest, TreeDisconnectResponse,
};

/// A decoded response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response<'a> {
    /// ERROR response (§2.2.2), for any command.
    Error(ErrorResponse<'a>),
    /// NEGOTIATE.
    Negotiate(NegotiateResponse<'a>),
    /// SESSION_SETUP.
    SessionSetup(SessionSetupResponse<'a>),
    /// LOGOFF.
    Logoff(LogoffResponse),
    /// TREE_CONNECT.
    TreeConnect(TreeConnectResponse),
    /// TREE_DISCONNECT.
    TreeDisconnect(TreeDisconnectResponse),
    /// CREATE.
    Create(CreateResponse<'a>),
    /// CLOSE.
    Close(CloseResponse),
    /// FLUSH.
    Flush(FlushResponse),
    /// READ (data via [`ReadResponse::payload`]).
    Read(ReadResponse),
    /// WRITE.
    Write(WriteResponse),
    /// LOCK.
    Lock(LockResponse),
    /// IOCTL.
    Ioctl(IoctlResponse<'a>),
    /// ECHO.
    Echo(EchoResponse),
    /// QUERY_DIRECTORY.
    QueryDirectory(QueryDirectoryResponse<'a>),
    /// QUERY_INFO.
    QueryInfo(QueryInfoResponse<'a>),
    /// SET_INFO.
    SetInfo(SetInfoResponse),
    /// OPLOCK_BREAK: oplock/lease break notification or response.
    Break(BreakMessage),
}

/// True if a response with this command, status and body StructureSize
/// carries an ERROR body rather than the command's own (§3.2.5.1):
/// interim STATUS_PENDING responses and failures do, except
/// STATUS_MORE_PROCESSING_REQUIRED for SESSION_SETUP, STATUS_BUFFER_OVERFLOW
/// for READ, IOCTL and QUERY_INFO, and IOCTL failures that still carry an
/// IOCTL body (copychunk limits on STATUS_INVALID_PARAMETER).
pub fn body_is_error(command: Command, status: NtStatus, structure_size: u16) -> bool {
    if status == NtStatus::Pending {
        return true;
    }
    if status.is_success() {
        return false;
    }
    match (command, status) {
        (Command::SessionSetup, NtStatus::MoreProcessingRequired) => false,
        (Command::Read | Command::Ioctl | Command::QueryInfo, NtStatus::BufferOverflow) => false,
        (Command::Ioctl, _) => structure_size != 49,
        _ => true,
    }
}

/// Decodes one response PDU (header first, limited to this PDU).
///
/// `Malformed` if it is a request; `Unsupported` for CHANGE_NOTIFY,
/// SERVER_TO_CLIENT_NOTIFICATION and CANCEL (which has no response).
pub fn decode_response(pdu: &[u8]) -> Result<(Header, Response<'_>)> {
    let h = Header::parse(pdu)?;
    if !h.is_response() {
        return Err(Error::Malformed);
    }
    let ss = structure_size(pdu)?;
    if body_is_error(h.command, h.nt_status(), ss) {
        return Ok((h, Response::Error(ErrorResponse::parse_pdu(pdu)?)));
    }
    let r = match h.command {
        Command::Negotiate => Response::Negotiate(NegotiateResponse::parse(pdu)?),
        Command::SessionSetup => Response::SessionSetup(SessionSetupResponse::parse(pdu)?),
        Command::Logoff => Response::Logoff(LogoffResponse::parse(pdu)?),
        Command::TreeConnect => Response::TreeConnect(TreeConnectResponse::parse(pdu)?),
        Command::TreeDisconnect => Response::TreeDisconnect(TreeDisconnectResponse::parse(pdu)?),
        Command::Create => Response::Create(CreateResponse::parse(pdu)?),
        Command::Close => Response::Close(CloseResponse::parse(pdu)?),
        Command::Flush => Response::Flush(FlushResponse::parse(pdu)?),
        Command::Read => Response::Read(ReadResponse::parse(pdu)?),
        Command::Write => Response::Write(WriteResponse::parse(pdu)?),
        Command::Lock => Response::Lock(LockResponse::parse(pdu)?),
        Command::Ioctl => Response::Ioctl(IoctlResponse::parse(pdu)?),
        Command::Echo => Response::Echo(EchoResponse::parse(pdu)?),
        Command::QueryDirectory => Response::QueryDirectory(QueryDirectoryResponse::parse(pdu)?),
        Command::QueryInfo => Response::QueryInfo(QueryInfoResponse::parse(pdu)?),
        Command::SetInfo => Response::SetInfo(SetInfoResponse::parse(pdu)?),
        Command::OplockBreak => Response::Break(BreakMessage::parse(pdu)?),
        Command::Cancel | Command::ChangeNotify | Command::ServerToClientNotification => {
            return Err(Error::Unsupported)
        }
    };
    Ok((h, r))
}

/// Iterator decoding every response PDU of a (possibly compound) message.
#[derive(Debug, Clone)]
pub struct ResponseIter<'a> {
    pdus: CompoundIter<'a>,
}

impl<'a> ResponseIter<'a> {
    /// Walks the chain in `msg` (a plain SMB2 message, after the frame
    /// header and after decryption).
    pub fn new(msg: &'a [u8]) -> Self {
        Self {
            pdus: CompoundIter::new(msg),
        }
    }
}

impl<'a> Iterator for ResponseIter<'a> {
    type Item = Result<(Header, Response<'a>)>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.pdus.next()?.and_then(decode_response))
    }
}

/// Walks the parts of a response whose layout the PDU alone does not fix
/// (directory entries, information classes, FSCTL outputs), trying each
/// candidate; only their structural soundness is exercised, so results are
/// ignored.
fn exercise_class_dependent(r: &Response<'_>) {
    match r {
        Response::QueryDirectory(q) => {
            q.entries::<FileIdBothDirectoryInformation<'_>>()
                .for_each(drop);
            q.entries::<FileIdFullDirectoryInformation<'_>>()
                .for_each(drop);
        }
        Response::QueryInfo(q) => {
            let b = q.output;
            let _ = FileAllInformation::parse(b);
            let _ = FileBasicInformation::parse(b);
            let _ = FileStandardInformation::parse(b);
            let _ = FileEndOfFileInformation::parse(b);
            let _ = FileRenameInformation::parse(b);
            let _ = FileDispositionInformation::parse(b);
            let _ = FileFsFullSizeInformation::parse(b);
            let _ = FileFsAttributeInformation::parse(b);
            let _ = FileFsVolumeInformation::parse(b);
        }
        Response::Ioctl(i) => match i.ctl_code {
            ctl_code::FSCTL_VALIDATE_NEGOTIATE_INFO => {
                let _ = ValidateNegotiateInfoResponse::parse(i.output);
            }
            ctl_code::FSCTL_SRV_REQUEST_RESUME_KEY => {
                let _ = ResumeKeyResponse::parse(i.output);
            }
            ctl_code::FSCTL_SRV_COPYCHUNK | ctl_code::FSCTL_SRV_COPYCHUNK_WRITE => {
                let _ = CopyChunkResponse::parse(i.output);
            }
            _ => {}
        },
        _ => {}
    }
}

/// Decodes a whole received message (after the 4-byte frame header): every
/// PDU of a compound chain through its command's decoder, including the
/// nested context and entry lists. For a transform header only the header
/// and the payload length are checked (decryption needs keys). Returns the
/// number of PDUs decoded; the first error stops it. Entry point for
/// fuzzing.
pub fn decode_response_any(msg: &[u8]) -> Result<usize> {
    match message_kind(msg)? {
        MessageKind::Transform => {
            transform_payload(msg)?;
            Ok(0)
        }
        MessageKind::Smb2 => {
            let mut n = 0usize;
            for r in ResponseIter::new(msg) {
                let (_, body) = r?;
                exercise_class_dependent(&body);
                n = n.checked_add(1).ok_or(Error::Overflow)?;
            }
            Ok(n)
        }
    }
}

/// A decoded request body (for a test server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// NEGOTIATE.
    Negotiate(NegotiateRequest<'a>),
    /// SESSION_SETUP.
    SessionSetup(SessionSetupRequest<'a>),
    /// LOGOFF.
    Logoff(LogoffRequest),
    /// TREE_CONNECT.
    TreeConnect(TreeConnectRequest<'a>),
    /// TREE_DISCONNECT.
    TreeDisconnect(TreeDisconnectRequest),
    /// CREATE.
    Create(CreateRequest<'a>),
    /// CLOSE.
    Close(CloseRequest),
    /// FLUSH.
    Flush(FlushRequest),
    /// READ.
    Read(ReadRequest),
    /// WRITE (data via [`WriteRequest::payload`]).
    Write(WriteRequest),
    /// LOCK.
    Lock(LockRequest<'a>),
    /// IOCTL.
    Ioctl(IoctlRequest<'a>),
    /// CANCEL.
    Cancel(CancelRequest),
    /// ECHO.
    Echo(EchoRequest),
    /// QUERY_DIRECTORY.
    QueryDirectory(QueryDirectoryRequest<'a>),
    /// QUERY_INFO.
    QueryInfo(QueryInfoRequest<'a>),
    /// SET_INFO.
    SetInfo(SetInfoRequest<'a>),
    /// Oplock break acknowledgment.
    OplockBreakAck(OplockBreakAck),
    /// Lease break acknowledgment.
    LeaseBreakAck(LeaseBreakAck),
}

/// Decodes one request PDU. `Malformed` if it is a response;
/// `Unsupported` for commands this codec does not encode.
pub fn decode_request(pdu: &[u8]) -> Result<(Header, Request<'_>)> {
    let h = Header::parse(pdu)?;
    if h.is_response() {
        return Err(Error::Malformed);
    }
    let r = match h.command {
        Command::Negotiate => Request::Negotiate(NegotiateRequest::parse(pdu)?),
        Command::SessionSetup => Request::SessionSetup(SessionSetupRequest::parse(pdu)?),
        Command::Logoff => Request::Logoff(LogoffRequest::parse(pdu)?),
        Command::TreeConnect => Request::TreeConnect(TreeConnectRequest::parse(pdu)?),
        Command::TreeDisconnect => Request::TreeDisconnect(TreeDisconnectRequest::parse(pdu)?),
        Command::Create => Request::Create(CreateRequest::parse(pdu)?),
        Command::Close => Request::Close(CloseRequest::parse(pdu)?),
        Command::Flush => Request::Flush(FlushRequest::parse(pdu)?),
        Command::Read => Request::Read(ReadRequest::parse(pdu)?),
        Command::Write => Request::Write(WriteRequest::parse(pdu)?),
        Command::Lock => Request::Lock(LockRequest::parse(pdu)?),
        Command::Ioctl => {
            let i = IoctlRequest::parse(pdu)?;
            match i.ctl_code {
                ctl_code::FSCTL_VALIDATE_NEGOTIATE_INFO => {
                    ValidateNegotiateInfoRequest::parse(i.input)?;
                }
                ctl_code::FSCTL_SRV_COPYCHUNK | ctl_code::FSCTL_SRV_COPYCHUNK_WRITE => {
                    CopyChunkRequest::parse(i.input)?;
                }
                _ => {}
            }
            Request::Ioctl(i)
        }
        Command::Cancel => Request::Cancel(CancelRequest::parse(pdu)?),
        Command::Echo => Request::Echo(EchoRequest::parse(pdu)?),
        Command::QueryDirectory => Request::QueryDirectory(QueryDirectoryRequest::parse(pdu)?),
        Command::QueryInfo => Request::QueryInfo(QueryInfoRequest::parse(pdu)?),
        Command::SetInfo => Request::SetInfo(SetInfoRequest::parse(pdu)?),
        Command::OplockBreak => match structure_size(pdu)? {
            24 => Request::OplockBreakAck(OplockBreakAck::parse(pdu)?),
            36 => Request::LeaseBreakAck(LeaseBreakAck::parse(pdu)?),
            _ => return Err(Error::Malformed),
        },
        Command::ChangeNotify | Command::ServerToClientNotification => {
            return Err(Error::Unsupported)
        }
    };
    Ok((h, r))
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
    use super::super::compound::CompoundBuilder;
    use super::super::header::{flags, HeaderTarget};
    use super::super::message::{encode, FileId};
    use super::super::status::code;
    use super::*;

    fn rsp_header(cmd: Command, status: u32) -> Header {
        let mut h = Header::request(cmd);
        h.flags = flags::SERVER_TO_REDIR;
        h.status = status;
        h
    }

    #[test]
    fn compound_create_query_close() {
        let mut buf = [0u8; 1024];
        let mut cb = CompoundBuilder::new(&mut buf, true);
        let create = CreateResponse {
            oplock_level: 0,
            flags: 0,
            create_action: 1,
            creation_time: 0,
            last_access_time: 0,
            last_write_time: 0,
            change_time: 0,
            allocation_size: 0,
            end_of_file: 0,
            file_attributes: 0x10,
            file_id: FileId {
                persistent: 1,
                volatile: 2,
            },
            contexts: super::super::create_ctx::CreateContexts::NONE,
        };
        cb.push_with(|b| encode(&rsp_header(Command::Create, 0), &create, b))
            .unwrap();
        cb.push_with(|b| {
            encode(
                &rsp_header(Command::QueryInfo, 0),
                &QueryInfoResponse { output: &[0; 40] },
                b,
            )
        })
        .unwrap();
        cb.push_with(|b| {
            encode(
                &rsp_header(Command::Close, code::STATUS_FILE_CLOSED),
                &ErrorResponse {
                    error_context_count: 0,
                    error_data: &[],
                },
                b,
            )
        })
        .unwrap();
        let n = cb.finish().unwrap();
        assert_eq!(decode_response_any(&buf[..n]), Ok(3));
        let v: std::vec::Vec<_> = ResponseIter::new(&buf[..n]).map(|r| r.unwrap().1).collect();
        assert!(matches!(v[0], Response::Create(c) if c.file_id.volatile == 2));
        assert!(matches!(v[1], Response::QueryInfo(q) if q.output.len() == 40));
        assert!(matches!(v[2], Response::Error(_)));
    }

    extern crate std;

    #[test]
    fn error_body_selection() {
        // Interim response: async header, STATUS_PENDING, ERROR body.
        let mut h = rsp_header(Command::Read, code::STATUS_PENDING);
        h.target = HeaderTarget::Async { async_id: 5 };
        let mut b = [0u8; 128];
        let n = encode(
            &h,
            &ErrorResponse {
                error_context_count: 0,
                error_data: &[],
            },
            &mut b,
        )
        .unwrap();
        assert!(matches!(
            decode_response(&b[..n]).unwrap().1,
            Response::Error(_)
        ));
        // MORE_PROCESSING_REQUIRED keeps the SESSION_SETUP body.
        let n = encode(
            &rsp_header(Command::SessionSetup, code::STATUS_MORE_PROCESSING_REQUIRED),
            &SessionSetupResponse {
                session_flags: 0,
                security_buffer: b"TLMSSP",
            },
            &mut b,
        )
        .unwrap();
        assert!(matches!(
            decode_response(&b[..n]).unwrap().1,
            Response::SessionSetup(_)
        ));
        assert!(body_is_error(Command::Create, NtStatus::AccessDenied, 9));
        assert!(!body_is_error(
            Command::Ioctl,
            NtStatus::InvalidParameter,
            49
        ));
        assert!(!body_is_error(
            Command::QueryInfo,
            NtStatus::BufferOverflow,
            9
        ));
        assert!(body_is_error(
            Command::QueryDirectory,
            NtStatus::NoMoreFiles,
            9
        ));
    }

    #[test]
    fn requests_and_responses_are_not_confused() {
        let mut b = [0u8; 128];
        let n = encode(&Header::request(Command::Echo), &EchoRequest, &mut b).unwrap();
        assert_eq!(decode_response(&b[..n]), Err(Error::Malformed));
        assert!(matches!(
            decode_request(&b[..n]).unwrap().1,
            Request::Echo(_)
        ));
        assert_eq!(
            decode_response_any(&[0xFC, b'S', b'M', b'B', 0]),
            Err(Error::Unsupported)
        );
    }
}
