// SPDX-License-Identifier: GPL-2.0
//! The operations of a task (MS-SMB2 3.2.4.1.4): their headers chained by
//! NextCommand, the parts that go out, and the reply frame split back into
//! them; and what a task leaves its caller.
#![forbid(unsafe_code)]

use crate::kext::iter::KernelIter;
use crate::proto::header::{flags, header_flags, Command, Header, HeaderView, HEADER_LEN};
use crate::proto::status::code;
use kernel::alloc::{KVVec, KVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;

/// Most operations in one compound.
pub(crate) const MAX_OPS: usize = 5;

/// One operation of a task.
pub(crate) struct TaskOp {
    pub(crate) command: u16,
    /// CreditCharge (0: 1).
    pub(crate) credit_charge: u16,
    /// The request PDU: 64 bytes of header space, then the body.
    pub(crate) req: KVec<u8>,
    /// Room for its reply PDU (header included).
    pub(crate) rsp_room: usize,
    /// The caller asked for this one to be signed (SMB2_FLAGS_SIGNED in
    /// its header), whatever the session does with the others.
    pub(crate) signs: bool,
    /// Out: where its reply PDU is in the task's reply, and its length
    /// (maybe more than was kept), and its NT status.
    pub(crate) rsp_at: usize,
    pub(crate) rsp_len: usize,
    pub(crate) status: u32,
}

impl TaskOp {
    /// An operation with request `req` (header space included).
    pub(crate) fn new(command: u16, credit_charge: u16, req: KVec<u8>, rsp_room: usize) -> Self {
        Self {
            command,
            credit_charge,
            req,
            rsp_room,
            signs: false,
            rsp_at: 0,
            rsp_len: 0,
            status: 0,
        }
    }
}

/// A single READ response's payload range (MS-SMB2 2.2.20): from its own
/// DataOffset and DataLength. Only a reply that is one PDU is split.
pub(crate) fn read_split(head: &[u8], frame_len: usize) -> Option<(u32, u32)> {
    let h = HeaderView::new(head).ok()?;
    if h.command() != Some(Command::Read) || h.next_command() != 0 {
        return None;
    }
    // STATUS_BUFFER_OVERFLOW: a pipe message that did not fit still
    // carries data (MS-SMB2 3.3.4.4).
    if !matches!(
        h.status(),
        code::STATUS_SUCCESS | code::STATUS_BUFFER_OVERFLOW
    ) {
        return None;
    }
    let (off, len) = crate::proto::file_io::read_response_data_span(head, frame_len).ok()?;
    Some((u32::try_from(off).ok()?, u32::try_from(len).ok()?))
}

/// Padding after a PDU so that the next one starts 8-byte aligned.
pub(crate) fn pad_of(len: usize) -> usize {
    (8 - len % 8) % 8
}

/// Writes each operation's header (command, credit charge, NextCommand and
/// the related flag; SessionId and TreeId are stamped per attempt).
pub(crate) fn emit_headers(ops: &mut [TaskOp]) -> Result {
    let n = ops.len();
    if n == 0 || n > MAX_OPS {
        return Err(EINVAL);
    }
    for (i, op) in ops.iter_mut().enumerate() {
        if op.req.len() < HEADER_LEN {
            return Err(EINVAL);
        }
        let command = Command::from_u16(op.command).ok_or(EINVAL)?;
        // Whether the caller asked for this one to be signed (a request a
        // session signs even if it does not sign everything).
        let asked = header_flags(&op.req).is_ok_and(|f| f & flags::SIGNED != 0);
        let mut h = Header::request(command);
        h.credit_charge = op.credit_charge.max(1);
        if i > 0 {
            h.flags |= flags::RELATED_OPERATIONS;
        }
        if asked {
            h.flags |= flags::SIGNED;
        }
        if i + 1 < n {
            let len = op.req.len();
            h.next_command = u32::try_from(len + pad_of(len)).map_err(|_| EINVAL)?;
        }
        h.emit(&mut op.req).map_err(|_| EINVAL)?;
        op.signs = asked;
    }
    Ok(())
}

/// The parts of a (compound) request: each operation's request, then the
/// padding that 8-byte aligns the next one; none after the last. Returns
/// how many parts there are.
pub(crate) fn request_parts<'a>(
    ops: &'a mut [TaskOp],
    pads: &'a mut [[u8; 8]; MAX_OPS],
    out: &mut [&'a mut [u8]; 2 * MAX_OPS],
) -> usize {
    let n = ops.len();
    let mut nr = 0;
    for (i, (op, pad)) in ops.iter_mut().zip(pads.iter_mut()).enumerate() {
        let p = if i + 1 < n { pad_of(op.req.len()) } else { 0 };
        out[nr] = &mut op.req[..];
        nr += 1;
        if p > 0 {
            out[nr] = &mut pad[..p];
            nr += 1;
        }
    }
    nr
}

/// Splits a (compound) reply frame into the operations, by NextCommand:
/// each gets its PDU's place in the reply and its status.
pub(crate) fn split_reply(frame: &[u8], ops: &mut [TaskOp]) -> Result {
    let mut at = 0usize;
    let n = ops.len();
    for i in 0..n {
        let rest = frame.get(at..).ok_or(EPROTO)?;
        let h = HeaderView::new(rest).map_err(|_| EPROTO)?;
        let next = h.next_command() as usize;
        let this = if next == 0 { rest.len() } else { next };
        if this > rest.len() {
            return Err(EPROTO);
        }
        let op = ops.get_mut(i).ok_or(EPROTO)?;
        op.rsp_at = at;
        op.rsp_len = this;
        op.status = h.status();
        if next == 0 {
            // A server may answer a compound it could not run with one
            // error reply: the rest did not run.
            for rest in ops.iter_mut().skip(i + 1) {
                rest.rsp_at = 0;
                rest.rsp_len = 0;
                rest.status = code::STATUS_CANCELLED;
            }
            return Ok(());
        }
        at = at.checked_add(next).ok_or(EPROTO)?;
    }
    Ok(())
}

/// What a task's caller takes back: its result, the operations with their
/// statuses and the reply (if it succeeded), and the iterators.
pub(crate) struct TaskResult {
    pub(crate) result: Result,
    pub(crate) ops: KVec<TaskOp>,
    pub(crate) reply: KVVec<u8>,
    pub(crate) send: Option<KernelIter<'static>>,
    pub(crate) recv: Option<KernelIter<'static>>,
}

impl TaskResult {
    /// The reply PDU of operation `i` (as much as was kept).
    pub(crate) fn rsp(&self, i: usize) -> &[u8] {
        let Some(op) = self.ops.get(i) else {
            return &[];
        };
        let end = op.rsp_at.saturating_add(op.rsp_len).min(self.reply.len());
        self.reply.get(op.rsp_at..end).unwrap_or(&[])
    }
}

#[kernel::macros::kunit_tests(smbclient_compound)]
mod tests {
    use super::*;

    fn op(command: Command, len: usize) -> TaskOp {
        TaskOp::new(
            command.to_u16(),
            1,
            KVec::from_elem(0u8, len, GFP_KERNEL).unwrap(),
            128,
        )
    }

    #[test]
    fn headers_chain_a_compound() {
        let mut ops = KVec::new();
        ops.push(op(Command::Create, 73), GFP_KERNEL).unwrap();
        ops.push(op(Command::Read, 113), GFP_KERNEL).unwrap();
        ops.push(op(Command::Close, 88), GFP_KERNEL).unwrap();
        emit_headers(&mut ops).unwrap();
        let h0 = Header::parse(&ops[0].req).unwrap();
        let h1 = Header::parse(&ops[1].req).unwrap();
        let h2 = Header::parse(&ops[2].req).unwrap();
        // NextCommand leads to the next 8-byte aligned PDU; the last is 0.
        assert_eq!(h0.next_command, 80);
        assert_eq!(h1.next_command, 120);
        assert_eq!(h2.next_command, 0);
        assert_eq!(h0.flags & flags::RELATED_OPERATIONS, 0);
        assert_ne!(h1.flags & flags::RELATED_OPERATIONS, 0);
        assert_ne!(h2.flags & flags::RELATED_OPERATIONS, 0);
        assert_eq!(pad_of(72), 0);
        assert_eq!(pad_of(73), 7);
    }

    #[test]
    fn compound_replies_split_by_next_command() {
        // Two PDUs: a 72-byte one padded to 80, then a 70-byte one.
        let mut frame = [0u8; 150];
        for (off, next, status) in [(0usize, 80u32, 0u32), (80, 0, 0xC000_0034)] {
            let mut h = Header::request(Command::Create);
            h.flags = flags::SERVER_TO_REDIR;
            h.next_command = next;
            h.status = status;
            h.emit(&mut frame[off..]).unwrap();
        }
        let mut ops = KVec::new();
        ops.push(op(Command::Create, 64), GFP_KERNEL).unwrap();
        ops.push(op(Command::Close, 64), GFP_KERNEL).unwrap();
        ops.push(op(Command::Close, 64), GFP_KERNEL).unwrap();
        split_reply(&frame, &mut ops).unwrap();
        assert_eq!((ops[0].rsp_at, ops[0].rsp_len, ops[0].status), (0, 80, 0));
        assert_eq!((ops[1].rsp_at, ops[1].rsp_len), (80, 70));
        assert_eq!(ops[1].status, 0xC000_0034);
        // The server answered two of three: the third did not run.
        assert_eq!(ops[2].status, code::STATUS_CANCELLED);
    }

    #[test]
    fn only_a_lone_successful_read_reply_is_split() {
        // A READ response: header, fixed part with DataOffset 80 and
        // DataLength 4096.
        let mut head = [0u8; 80];
        let mut h = Header::request(Command::Read);
        h.flags = flags::SERVER_TO_REDIR;
        h.emit(&mut head).unwrap();
        head[64..66].copy_from_slice(&17u16.to_le_bytes());
        head[66] = 80;
        head[68..72].copy_from_slice(&4096u32.to_le_bytes());
        assert_eq!(read_split(&head, 80 + 4096), Some((80, 4096)));
        // Not past the frame's end.
        assert_eq!(read_split(&head, 80 + 100), None);
        // Not an error, not another command, not part of a compound.
        let mut bad = head;
        bad[8..12].copy_from_slice(&0xC000_0022u32.to_le_bytes());
        assert_eq!(read_split(&bad, 80 + 4096), None);
        let mut bad = head;
        bad[12..14].copy_from_slice(&Command::Write.to_u16().to_le_bytes());
        assert_eq!(read_split(&bad, 80 + 4096), None);
        let mut bad = head;
        bad[20..24].copy_from_slice(&96u32.to_le_bytes());
        assert_eq!(read_split(&bad, 80 + 4096), None);
    }
}
