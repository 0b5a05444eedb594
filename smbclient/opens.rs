// SPDX-License-Identifier: GPL-2.0
//! The opens smbclient made with an oplock (`smb_clnt_open_ex`), by
//! session and FileId, with their tree and oplock level: so that a break
//! for an open nobody watches is acknowledged by default, and the server
//! does not wait its break timeout (35 s on Windows and Samba, MS-SMB2
//! 3.3.2.1) before it lets the other opener in.
//!
//! The acknowledgement (MS-SMB2 2.2.24.1) accepts the level the break
//! names. A break from level II to none needs none (3.2.5.19.1), and gets
//! none. It goes through the session, signed or sealed as the session
//! requires, from smbclient's workqueue. Lease breaks need the lease's
//! owner and are not acknowledged here (smbclient requests no lease).
#![forbid(unsafe_code)]

use crate::breaks::{BreakInfo, BreakKey};
use crate::proto::header::{Command, Header, HEADER_LEN};
use crate::proto::message::{encode, FileId};
use crate::proto::oplock::OplockBreakAck;
use crate::sessions::SessionEntry;
use crate::stats::{ClntStats, STATS};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{new_mutex, Arc, Mutex};

/// SMB2_OPLOCK_LEVEL_II (MS-SMB2 2.2.13).
const LEVEL_II: u8 = 0x01;

/// An open, by the session entry it was made on and its FileId.
type Key = (usize, u64, u64);

/// What a break's acknowledgement needs.
#[derive(Clone, Copy)]
struct Open {
    tree_id: u32,
    oplock_level: u8,
}

/// The opens with an oplock, module-wide.
#[pin_data]
pub(crate) struct Opens {
    #[pin]
    tree: Mutex<RBTree<Key, Open>>,
}

fn key(owner: usize, fid: FileId) -> Key {
    (owner, fid.persistent, fid.volatile)
}

impl Opens {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            tree <- new_mutex!(RBTree::new(), "Opens::tree"),
        })
    }

    /// Records an open granted `oplock_level` on tree `tree_id` of session
    /// entry `owner`. Best effort: without memory, its breaks are only
    /// acknowledged by a watch.
    pub(crate) fn add(&self, owner: usize, fid: FileId, tree_id: u32, oplock_level: u8) {
        if oplock_level == 0 {
            return;
        }
        let open = Open {
            tree_id,
            oplock_level,
        };
        let _ = self
            .tree
            .lock()
            .try_create_and_insert(key(owner, fid), open, GFP_KERNEL);
    }

    /// Forgets an open (closed).
    pub(crate) fn remove(&self, owner: usize, fid: FileId) {
        let _ = self.tree.lock().remove(&key(owner, fid));
    }

    /// Forgets every open of session entry `owner` (its session is gone).
    pub(crate) fn forget_session(&self, owner: usize) {
        let mut t = self.tree.lock();
        loop {
            let k = t.iter().find(|(k, _)| k.0 == owner).map(|(k, _)| *k);
            match k {
                Some(k) => {
                    let _ = t.remove(&k);
                }
                None => return,
            }
        }
    }

    /// Opens recorded (for the tests).
    pub(crate) fn len(&self) -> usize {
        self.tree.lock().iter().count()
    }

    /// What to acknowledge for `info` on `owner`: the tree, or `None` if
    /// the open is not ours or the break needs no acknowledgement. Records
    /// the new level.
    fn take_break(&self, owner: usize, info: &BreakInfo) -> Option<(FileId, u32)> {
        let BreakKey::File(fid) = info.key else {
            return None;
        };
        let mut t = self.tree.lock();
        let open = t.get_mut(&key(owner, fid))?;
        let from = open.oplock_level;
        open.oplock_level = info.oplock_level;
        if from == LEVEL_II || from == 0 {
            return None;
        }
        Some((fid, open.tree_id))
    }
}

/// An acknowledgement to send, on smbclient's workqueue (a handler must
/// not wait for replies).
struct DefaultAck {
    entry: Arc<SessionEntry>,
    session_id: u64,
    tree_id: u32,
    fid: FileId,
    level: u8,
}

impl DefaultAck {
    fn run(self) {
        let session = self.entry.session();
        if session.session_id != self.session_id {
            // The session went with its connection, and the open with it.
            return;
        }
        let mut req = [0u8; HEADER_LEN + 24];
        let body = OplockBreakAck {
            oplock_level: self.level,
            file_id: self.fid,
        };
        let Ok(n) = encode(&Header::request(Command::OplockBreak), &body, &mut req) else {
            return;
        };
        let mut reply = [0u8; 128];
        // As late.rs's CLOSE: sealed whenever the session can seal.
        let seal = session.can_seal();
        match session.call(&mut req[..n], self.tree_id, false, seal, &mut reply) {
            Ok(_) => ClntStats::inc(&STATS.default_acks),
            Err(e) => pr_warn!(
                "could not acknowledge an oplock break nobody watched (error {}); the server times it out\n",
                e.to_errno()
            ),
        }
    }
}

/// A break nobody watches, for `entry`'s session (smbiod): acknowledged
/// by default if the open is one of ours that needs it. True if taken
/// care of.
pub(crate) fn ack_unwatched(entry: &Arc<SessionEntry>, info: &BreakInfo) -> bool {
    let (Some(opens), Some(q)) = (crate::OPENS.get(), crate::TASKQ.get()) else {
        return false;
    };
    let owner = Arc::as_ptr(entry) as usize;
    let Some((fid, tree_id)) = opens.take_break(owner, info) else {
        return false;
    };
    let work = DefaultAck {
        entry: entry.clone(),
        session_id: entry.session().session_id,
        tree_id,
        fid,
        level: info.oplock_level,
    };
    crate::kext::workqueue::spawn!(&q.0, "opens::DefaultAck", move || work.run()).is_ok()
}

#[kernel::macros::kunit_tests(smbclient_opens)]
mod tests {
    use super::*;

    fn brk(fid: FileId, level: u8) -> BreakInfo {
        BreakInfo {
            key: BreakKey::File(fid),
            oplock_level: level,
            current_state: 0,
            new_state: 0,
            flags: 0,
            epoch: 0,
        }
    }

    #[test]
    fn a_batch_oplock_is_acknowledged_once_then_level_ii_breaks_need_none() {
        let opens = KBox::pin_init(Opens::new(), GFP_KERNEL).unwrap();
        let a = FileId {
            persistent: 1,
            volatile: 2,
        };
        let other = FileId {
            persistent: 3,
            volatile: 4,
        };
        // No oplock: nothing to remember.
        opens.add(7, other, 5, 0);
        assert_eq!(opens.len(), 0);
        opens.add(7, a, 5, 0x09);
        assert_eq!(opens.len(), 1);
        // Batch to II: acknowledged on the open's tree.
        assert_eq!(opens.take_break(7, &brk(a, 0x01)), Some((a, 5)));
        // II to none: no acknowledgement (MS-SMB2 3.2.5.19.1).
        assert_eq!(opens.take_break(7, &brk(a, 0x00)), None);
        // Another session's, or an open not ours: none.
        assert_eq!(opens.take_break(8, &brk(a, 0x01)), None);
        assert_eq!(opens.take_break(7, &brk(other, 0x01)), None);
        opens.remove(7, a);
        assert_eq!(opens.len(), 0);
        opens.add(7, a, 5, 0x08);
        opens.add(8, other, 6, 0x08);
        opens.forget_session(7);
        assert_eq!(opens.len(), 1);
    }
}
