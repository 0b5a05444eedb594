// SPDX-License-Identifier: GPL-2.0
//! Tasks: one request, or a compound of several (MS-SMB2 3.2.4.1.4), on a
//! handle. The caller lays out each operation's request (the first 64
//! bytes are the header, which is filled in here: command, credit charge,
//! SessionId, TreeId, NextCommand and the related flag) and gives each a
//! reply buffer; the reply frame is split back into them.
#![forbid(unsafe_code)]

use crate::clnt::Clnt;
use crate::proto::header::{flags::RELATED_OPERATIONS, Command, Header, HEADER_LEN};
use crate::session::Session;
use crate::smb_xprt::{CallData, Signer};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Error, Result};

/// Most operations in one compound.
pub(crate) const MAX_OPS: usize = 3;

/// One operation of a task.
pub(crate) struct Op<'a> {
    pub(crate) command: u16,
    /// CreditCharge (0: 1).
    pub(crate) credit_charge: u16,
    /// The request PDU: 64 bytes of header space, then the body.
    pub(crate) req: &'a mut [u8],
    /// Receives the reply PDU (header included); truncated if longer.
    pub(crate) rsp: &'a mut [u8],
    /// Out: the reply PDU's length (maybe more than `rsp` holds).
    pub(crate) rsp_len: usize,
    /// Out: the reply's NT status.
    pub(crate) status: u32,
}

/// A task's phases. Every task goes Queued → Running → Done exactly once;
/// a task that cannot start goes Queued → Done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    Queued,
    Running,
    /// Finished with 0 or an errno.
    Done(i32),
}

impl Phase {
    /// Queued → Running; anything else is a bug the caller reports.
    pub(crate) fn start(&mut self) -> Result {
        match *self {
            Phase::Queued => {
                *self = Phase::Running;
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }

    /// → Done(`result`), once.
    pub(crate) fn finish(&mut self, result: Result) -> Result {
        match *self {
            Phase::Done(_) => Err(EINVAL),
            _ => {
                *self = Phase::Done(match result {
                    Ok(()) => 0,
                    Err(e) => e.to_errno(),
                });
                Ok(())
            }
        }
    }
}

/// Whether a failed task is sent again (by the transport, on the next
/// connection) rather than failed: only when it is replayable and the
/// failure is the connection's. Anything the server answered (an NT
/// status) is the caller's to handle.
pub(crate) fn reissue(replayable: bool, err: Error) -> bool {
    replayable
        && [ECONNRESET, ECONNABORTED, ENOTCONN, EPIPE]
            .iter()
            .any(|e| e.to_errno() == err.to_errno())
}

/// Padding after a PDU so that the next one starts 8-byte aligned.
fn pad_of(len: usize) -> usize {
    (8 - len % 8) % 8
}

impl Clnt {
    /// Runs `ops` (one request or a related compound) synchronously.
    /// Fails only if nothing came back; each operation's status is in
    /// `op.status`.
    pub(crate) fn run_ops(
        &self,
        ops: &mut [Op<'_>],
        flags: u32,
        timeout_ms: Option<u32>,
        data: CallData<'_, '_>,
        make: &dyn Fn(&Session) -> Signer,
    ) -> Result {
        let mut pads: [[u8; 8]; MAX_OPS] = [[0; 8]; MAX_OPS];
        let rsp_total = emit_headers(ops)?;
        let mut parts: [&mut [u8]; 2 * MAX_OPS] = Default::default();
        let nr = request_parts(ops, &mut pads, &mut parts);
        let mut reply = KVec::from_elem(0u8, rsp_total, GFP_KERNEL)?;
        // SessionId and TreeId are stamped by the handle, which sends the
        // compound again if a reconnect took the session with it.
        let len = self.call(&mut parts[..nr], flags, &mut reply, timeout_ms, data, make)?;
        split_reply(&reply[..len], ops)
    }
}

/// Writes each operation's header (command, credit charge, NextCommand
/// and the related flag; SessionId and TreeId are stamped per attempt)
/// and returns how large a buffer the whole reply may need.
pub(crate) fn emit_headers(ops: &mut [Op<'_>]) -> Result<usize> {
    let n = ops.len();
    if n == 0 || n > MAX_OPS {
        return Err(EINVAL);
    }
    let mut rsp_total = 0usize;
    for (i, op) in ops.iter_mut().enumerate() {
        if op.req.len() < HEADER_LEN {
            return Err(EINVAL);
        }
        let command = Command::from_u16(op.command).ok_or(EINVAL)?;
        let mut h = Header::request(command);
        h.credit_charge = op.credit_charge.max(1);
        if i > 0 {
            h.flags |= RELATED_OPERATIONS;
        }
        if i + 1 < n {
            let len = op.req.len();
            h.next_command = u32::try_from(len + pad_of(len)).map_err(|_| EINVAL)?;
        }
        h.emit(op.req).map_err(|_| EINVAL)?;
        rsp_total = rsp_total
            .checked_add(op.rsp.len().max(HEADER_LEN + 16))
            .and_then(|t| t.checked_add(8))
            .ok_or(EINVAL)?;
    }
    Ok(rsp_total)
}

/// The parts of a (compound) request, into `out`: each operation's request,
/// then the padding (from `pads`) that 8-byte aligns the next one; none
/// after the last. Returns how many parts there are.
pub(crate) fn request_parts<'a>(
    ops: &'a mut [Op<'_>],
    pads: &'a mut [[u8; 8]; MAX_OPS],
    out: &mut [&'a mut [u8]; 2 * MAX_OPS],
) -> usize {
    let n = ops.len();
    let mut nr = 0;
    for (i, (op, pad)) in ops.iter_mut().zip(pads.iter_mut()).enumerate() {
        let p = if i + 1 < n { pad_of(op.req.len()) } else { 0 };
        out[nr] = &mut *op.req;
        nr += 1;
        if p > 0 {
            out[nr] = &mut pad[..p];
            nr += 1;
        }
    }
    nr
}

/// Splits a (compound) reply frame into the operations' buffers, by
/// NextCommand.
pub(crate) fn split_reply(mut frame: &[u8], ops: &mut [Op<'_>]) -> Result {
    for (i, op) in ops.iter_mut().enumerate() {
        let h = Header::parse(frame).map_err(|_| EPROTO)?;
        let this = if h.next_command == 0 {
            frame.len()
        } else {
            h.next_command as usize
        };
        let pdu = frame.get(..this).ok_or(EPROTO)?;
        let keep = pdu.len().min(op.rsp.len());
        op.rsp[..keep].copy_from_slice(&pdu[..keep]);
        op.rsp_len = pdu.len();
        op.status = h.status;
        if h.next_command == 0 {
            // A server may answer a compound it could not run with one
            // error reply: the rest did not run.
            for rest in ops.iter_mut().skip(i + 1) {
                rest.rsp_len = 0;
                rest.status = crate::proto::status::code::STATUS_CANCELLED;
            }
            return Ok(());
        }
        frame = frame.get(this..).ok_or(EPROTO)?;
    }
    Ok(())
}

#[kernel::macros::kunit_tests(smbclient_task)]
mod tests {
    use super::*;

    #[test]
    fn phases_go_queued_running_done_once() {
        let mut p = Phase::Queued;
        assert!(p.start().is_ok());
        assert_eq!(p, Phase::Running);
        assert!(p.start().is_err());
        assert!(p.finish(Err(EIO)).is_ok());
        assert_eq!(p, Phase::Done(EIO.to_errno()));
        assert!(p.finish(Ok(())).is_err());
        assert_eq!(p, Phase::Done(EIO.to_errno()));
    }

    #[test]
    fn a_task_that_cannot_start_is_done_at_once() {
        let mut p = Phase::Queued;
        assert!(p.finish(Err(ENOTCONN)).is_ok());
        assert!(p.start().is_err());
    }

    #[test]
    fn only_replayable_tasks_are_reissued_and_only_for_connection_loss() {
        assert!(reissue(true, ECONNRESET));
        assert!(reissue(true, ENOTCONN));
        assert!(!reissue(false, ECONNRESET));
        // The server answered, or the caller gave up: never resent.
        assert!(!reissue(true, EACCES));
        assert!(!reissue(true, EINTR));
        assert!(!reissue(true, ETIMEDOUT));
    }

    #[test]
    fn attempts_go_again_for_enokey_or_a_replayable_request_on_a_stale_session() {
        let replayable = crate::bindings::SMB_XPRT_CALL_REPLAYABLE;
        // Refused before anything was sent: any request, up to 3 attempts.
        assert!(Clnt::again(0, 1, &Err(ENOKEY), &[]));
        assert!(Clnt::again(0, 2, &Err(ENOKEY), &[]));
        assert!(!Clnt::again(0, 3, &Err(ENOKEY), &[]));
        // The transport's own failures are final here.
        assert!(!Clnt::again(replayable, 1, &Err(EIO), &[]));
        assert!(!Clnt::again(replayable, 1, &Err(ETIMEDOUT), &[]));
        let mut reply = [0u8; HEADER_LEN];
        for (status, stale) in [
            (0xC000_0203u32, true), // STATUS_USER_SESSION_DELETED
            (0xC000_00C9, true),    // STATUS_NETWORK_NAME_DELETED
            (0xC000_0022, false),   // STATUS_ACCESS_DENIED
            (0, false),
        ] {
            let mut h = Header::request(Command::Read);
            h.flags = crate::proto::header::flags::SERVER_TO_REDIR;
            h.status = status;
            h.emit(&mut reply).unwrap();
            let ok = Ok(HEADER_LEN);
            assert_eq!(Clnt::again(replayable, 1, &ok, &reply), stale);
            // Only a replayable request is sent again, at most 3 times.
            assert!(!Clnt::again(0, 1, &ok, &reply));
            assert!(!Clnt::again(replayable, 3, &ok, &reply));
        }
    }

    #[test]
    fn compound_replies_split_by_next_command() {
        // Two PDUs: a 72-byte one padded to 80, then a 70-byte one.
        let mut frame = [0u8; 150];
        for (off, next, status) in [(0usize, 80u32, 0u32), (80, 0, 0xC000_0034)] {
            let mut h = Header::request(Command::Create);
            h.flags = crate::proto::header::flags::SERVER_TO_REDIR;
            h.next_command = next;
            h.status = status;
            h.emit(&mut frame[off..]).unwrap();
        }
        let (mut r1, mut r2) = ([0u8; 128], [0u8; 64]);
        let (mut q1, mut q2) = ([0u8; 64], [0u8; 64]);
        let mut ops = [
            Op {
                command: 5,
                credit_charge: 1,
                req: &mut q1,
                rsp: &mut r1,
                rsp_len: 0,
                status: 1,
            },
            Op {
                command: 6,
                credit_charge: 1,
                req: &mut q2,
                rsp: &mut r2,
                rsp_len: 0,
                status: 1,
            },
        ];
        split_reply(&frame, &mut ops).unwrap();
        assert_eq!(ops[0].rsp_len, 80);
        assert_eq!(ops[0].status, 0);
        // The second reply is longer than its buffer: its length says so.
        assert_eq!(ops[1].rsp_len, 70);
        assert_eq!(ops[1].status, 0xC000_0034);
        assert_eq!(pad_of(72), 0);
        assert_eq!(pad_of(73), 7);
    }
}
