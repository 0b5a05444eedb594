// SPDX-License-Identifier: GPL-2.0
//! Late replies: a successful reply to a request whose task had left
//! (killed, or timed out) before it came. The transport hands them to the
//! session's handler; what one means is this layer's business. A CREATE's
//! is an open on the server that nobody holds: it is closed here, through
//! its session, signed or sealed as the session requires (a server that
//! checks signatures would refuse a plain CLOSE, and the open would last
//! until the session ends).
#![forbid(unsafe_code)]

use crate::proto::close::CloseRequest;
use crate::proto::create::CreateResponse;
use crate::proto::header::{Command, Header, HeaderView, HEADER_LEN};
use crate::proto::message::{encode, FileId, Message};
use crate::sessions::SessionEntry;
use crate::stats::{ClntStats, STATS};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A CLOSE to send for a late CREATE, on smbclient's workqueue (a handler
/// must not wait for replies).
struct LateClose {
    entry: Arc<SessionEntry>,
    session_id: u64,
    tree_id: u32,
    fid: FileId,
}

impl LateClose {
    fn run(self) {
        let session = self.entry.session();
        if session.session_id != self.session_id {
            // The session went with its connection, and the open with it.
            return;
        }
        let mut req = [0u8; HEADER_LEN + 24];
        let body = CloseRequest {
            flags: 0,
            file_id: self.fid,
        };
        let Ok(n) = encode(&Header::request(Command::Close), &body, &mut req) else {
            return;
        };
        let mut reply = [0u8; 128];
        // Its tree may require encryption, which only the handles know:
        // sealed whenever the session can seal (always allowed, MS-SMB2
        // 3.2.4.1.8), signed as the session signs otherwise.
        let seal = session.can_seal();
        match session.call(&mut req[..n], self.tree_id, false, seal, &mut reply) {
            Ok(_) => {
                ClntStats::inc(&STATS.late_closes);
                pr_debug!(
                    "closed FileId {:#x}:{:#x}, opened for a task that left\n",
                    self.fid.persistent,
                    self.fid.volatile
                );
            }
            Err(e) => pr_warn!(
                "could not close an open whose task left (error {}); the server keeps it until the session ends\n",
                e.to_errno()
            ),
        }
    }
}

/// A late reply for `entry`'s session (smbiod); true if it was taken care
/// of.
pub(crate) fn late_reply(entry: &Arc<SessionEntry>, frame: &[u8], request: &[u8]) -> bool {
    let Ok(h) = HeaderView::new(frame) else {
        return false;
    };
    // The TreeId the CREATE went to (an async reply's header has none).
    let Some(tree_id) = HeaderView::new(request).ok().and_then(|r| r.tree_id()) else {
        return false;
    };
    if h.command() != Some(Command::Create) || h.status() != 0 {
        return false;
    }
    if h.session_id() != entry.session().session_id {
        return false;
    }
    let Ok(rsp) = CreateResponse::parse(frame) else {
        return false;
    };
    let work = LateClose {
        entry: entry.clone(),
        session_id: h.session_id(),
        tree_id,
        fid: rsp.file_id,
    };
    let Some(q) = crate::TASKQ.get() else {
        return false;
    };
    crate::kext::workqueue::spawn!(&q.0, "late::LateClose", move || work.run()).is_ok()
}
