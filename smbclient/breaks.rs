// SPDX-License-Identifier: GPL-2.0
//! Oplock and lease breaks (MS-SMB2 2.2.23, 3.2.5.19): the server tells the
//! client, in a message it did not ask for, that another open wants the
//! file. The transport hands such messages to every session handler on the
//! connection; here they are routed to the one owner that registered the
//! open's FileId or the lease's LeaseKey, and delivered on smbclient's
//! workqueue, where the owner may send (and wait for) its acknowledgement.
//!
//! A watch that is removed never fires afterwards, and removing it waits
//! for a callback in progress: the owner may free its context right after.
#![forbid(unsafe_code)]

use crate::proto::header::{Command, Header, HEADER_LEN};
use crate::proto::message::FileId;
use crate::proto::oplock::BreakMessage;
use crate::sessions::SessionEntry;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};
use kernel::workqueue::{impl_has_work, new_work, Work, WorkItem};

/// What a watch is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BreakKey {
    /// An open's oplock.
    File(FileId),
    /// A lease.
    Lease([u8; 16]),
}

/// One break, as the owner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BreakInfo {
    pub(crate) key: BreakKey,
    /// Oplock: the level to break to (MS-SMB2 2.2.23.1).
    pub(crate) oplock_level: u8,
    /// Lease: current and new state, flags, epoch (2.2.23.2).
    pub(crate) current_state: u32,
    pub(crate) new_state: u32,
    pub(crate) flags: u32,
    pub(crate) epoch: u16,
}

/// Parses a server-initiated OPLOCK_BREAK frame; `None` for anything else
/// (lease break responses, other commands, malformed frames).
pub(crate) fn parse(frame: &[u8]) -> Option<BreakInfo> {
    let h = Header::parse(frame).ok()?;
    if h.command != Command::OplockBreak || frame.len() < HEADER_LEN {
        return None;
    }
    match BreakMessage::parse(frame).ok()? {
        BreakMessage::Oplock(o) => Some(BreakInfo {
            key: BreakKey::File(o.file_id),
            oplock_level: o.oplock_level,
            current_state: 0,
            new_state: 0,
            flags: 0,
            epoch: 0,
        }),
        BreakMessage::LeaseNotification(l) => Some(BreakInfo {
            key: BreakKey::Lease(l.lease_key),
            oplock_level: 0,
            current_state: l.current_lease_state,
            new_state: l.new_lease_state,
            flags: l.flags,
            epoch: l.new_epoch,
        }),
        BreakMessage::LeaseResponse(_) => None,
    }
}

/// Where a watch's breaks go (the C ABI's callback table and context).
pub(crate) trait BreakSink: Send + Sync {
    fn deliver(&self, info: &BreakInfo);
}

/// At most this many breaks wait for one watch's callback; more (a
/// server repeating itself) are dropped.
const MAX_PENDING: usize = 8;

/// A registered interest in one open's or lease's breaks.
#[pin_data]
pub(crate) struct Watch {
    /// The session entry it belongs to (its address, for matching only).
    owner: usize,
    pub(crate) key: BreakKey,
    sink: KBox<dyn BreakSink>,
    /// True until removed; held while the callback runs.
    #[pin]
    live: Mutex<bool>,
    /// Breaks routed here, not yet delivered.
    #[pin]
    pending: Mutex<KVec<BreakInfo>>,
    /// Delivers them, on smbclient's workqueue.
    #[pin]
    work: Work<Watch>,
}

impl_has_work! {
    impl HasWork<Self> for Watch { self.work }
}

impl WorkItem for Watch {
    type Pointer = Arc<Watch>;

    fn run(this: Arc<Watch>) {
        loop {
            let next = {
                let mut p = this.pending.lock();
                if p.is_empty() {
                    None
                } else {
                    Some(p.remove(0))
                }
            };
            match next {
                Some(Ok(info)) => this.fire(&info),
                _ => return,
            }
        }
    }
}

impl Watch {
    /// Calls the owner, unless the watch was removed meanwhile.
    pub(crate) fn fire(&self, info: &BreakInfo) {
        let live = self.live.lock();
        if *live {
            self.sink.deliver(info);
        }
    }

    /// Keeps `info` for the work item; false if too many wait already (or
    /// no memory).
    pub(crate) fn post(&self, info: BreakInfo) -> bool {
        let mut p = self.pending.lock();
        p.len() < MAX_PENDING && p.push(info, GFP_KERNEL).is_ok()
    }
}

/// Every watch of the module.
#[pin_data]
pub(crate) struct Watches {
    #[pin]
    list: Mutex<KVec<Arc<Watch>>>,
}

impl Watches {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            list <- new_mutex!(KVec::new(), "Watches::list"),
        })
    }

    /// Registers `sink` for `key` on the session entry `owner`. `EEXIST`
    /// if that key is watched there already.
    pub(crate) fn add(
        &self,
        owner: usize,
        key: BreakKey,
        sink: KBox<dyn BreakSink>,
    ) -> Result<Arc<Watch>> {
        let w = Arc::pin_init(
            pin_init!(Watch {
                owner,
                key,
                sink,
                live <- new_mutex!(true, "Watch::live"),
                pending <- new_mutex!(KVec::new(), "Watch::pending"),
                work <- new_work!("Watch::work"),
            }),
            GFP_KERNEL,
        )?;
        let mut list = self.list.lock();
        if list.iter().any(|x| x.owner == owner && x.key == key) {
            return Err(EEXIST);
        }
        list.push(w.clone(), GFP_KERNEL)?;
        Ok(w)
    }

    /// Removes `w`; waits for its callback if one is running. Must not be
    /// called from that callback.
    pub(crate) fn remove(&self, w: &Arc<Watch>) {
        {
            let mut list = self.list.lock();
            if let Some(i) = list.iter().position(|x| Arc::ptr_eq(x, w)) {
                let _ = list.remove(i);
            }
        }
        *w.live.lock() = false;
    }

    /// The watch a break for session entry `owner` belongs to.
    pub(crate) fn route(&self, owner: usize, info: &BreakInfo) -> Option<Arc<Watch>> {
        self.list
            .lock()
            .iter()
            .find(|x| x.owner == owner && x.key == info.key)
            .cloned()
    }

    /// Watches registered (for the tests).
    pub(crate) fn len(&self) -> usize {
        self.list.lock().len()
    }
}

/// A server-initiated message for the session entry `entry` (on smbiod):
/// a break goes to the owner that watches its FileId or LeaseKey, on
/// smbclient's workqueue (the owner may wait for replies there: its
/// acknowledgement's); one nobody watches is acknowledged by default if
/// smbclient made the open (`opens.rs`). Returns whether it was a break
/// taken care of.
pub(crate) fn dispatch(entry: &Arc<SessionEntry>, frame: &[u8]) -> bool {
    let Some(info) = parse(frame) else {
        return false;
    };
    let (Some(watches), Some(q)) = (crate::WATCHES.get(), crate::TASKQ.get()) else {
        return false;
    };
    let owner = Arc::as_ptr(entry) as usize;
    let Some(w) = watches.route(owner, &info) else {
        // Acknowledged by default if it is one of our opens.
        if crate::opens::ack_unwatched(entry, &info) {
            return true;
        }
        pr_debug!(
            "a break nobody watches ({:?}); the server times it out\n",
            info.key
        );
        return false;
    };
    if !w.post(info) {
        pr_warn!(
            "dropping a break ({:?}): too many wait for their owner\n",
            info.key
        );
        return true;
    }
    // A no-op if the watch's work is queued already: it delivers all.
    let _ = q.0.enqueue::<Arc<Watch>, 0>(w);
    true
}

#[kernel::macros::kunit_tests(smbclient_breaks)]
mod tests {
    use super::*;
    use crate::proto::message::encode;
    use crate::proto::oplock::{LeaseBreakNotification, OplockBreak};
    use core::sync::atomic::{AtomicU32, Ordering};

    struct Count(Arc<AtomicU32>);

    impl BreakSink for Count {
        fn deliver(&self, _info: &BreakInfo) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn oplock_frame(fid: FileId, level: u8) -> [u8; 88] {
        let mut b = [0u8; 88];
        let mut h = Header::request(Command::OplockBreak);
        h.flags |= crate::proto::header::flags::SERVER_TO_REDIR;
        h.message_id = u64::MAX;
        encode(
            &h,
            &OplockBreak {
                oplock_level: level,
                file_id: fid,
            },
            &mut b,
        )
        .unwrap();
        b
    }

    #[test]
    fn an_oplock_break_goes_to_the_watch_of_its_file_on_its_session() {
        let ws = KBox::pin_init(Watches::new(), GFP_KERNEL).unwrap();
        let (a, b) = (
            FileId {
                persistent: 1,
                volatile: 2,
            },
            FileId {
                persistent: 3,
                volatile: 4,
            },
        );
        let hits = Arc::new(AtomicU32::new(0), GFP_KERNEL).unwrap();
        let other = Arc::new(AtomicU32::new(0), GFP_KERNEL).unwrap();
        let wa = ws
            .add(
                10,
                BreakKey::File(a),
                KBox::new(Count(hits.clone()), GFP_KERNEL).unwrap(),
            )
            .unwrap();
        let _wb = ws
            .add(
                10,
                BreakKey::File(b),
                KBox::new(Count(other.clone()), GFP_KERNEL).unwrap(),
            )
            .unwrap();
        let info = parse(&oplock_frame(a, 1)).unwrap();
        assert_eq!(info.key, BreakKey::File(a));
        assert_eq!(info.oplock_level, 1);
        // Another session entry on the connection does not get it.
        assert!(ws.route(11, &info).is_none());
        let w = ws.route(10, &info).unwrap();
        assert!(Arc::ptr_eq(&w, &wa));
        w.fire(&info);
        assert_eq!(hits.load(Ordering::Relaxed), 1);
        assert_eq!(other.load(Ordering::Relaxed), 0);
        // The same key twice on one session is refused.
        assert!(ws
            .add(
                10,
                BreakKey::File(a),
                KBox::new(Count(hits.clone()), GFP_KERNEL).unwrap()
            )
            .is_err());
    }

    #[test]
    fn a_lease_break_goes_by_lease_key_and_a_removed_watch_never_fires() {
        let ws = KBox::pin_init(Watches::new(), GFP_KERNEL).unwrap();
        let key = [7u8; 16];
        let hits = Arc::new(AtomicU32::new(0), GFP_KERNEL).unwrap();
        let w = ws
            .add(
                5,
                BreakKey::Lease(key),
                KBox::new(Count(hits.clone()), GFP_KERNEL).unwrap(),
            )
            .unwrap();
        let mut f = [0u8; HEADER_LEN + 44];
        let mut h = Header::request(Command::OplockBreak);
        h.flags |= crate::proto::header::flags::SERVER_TO_REDIR;
        encode(
            &h,
            &LeaseBreakNotification {
                new_epoch: 3,
                flags: 1,
                lease_key: key,
                current_lease_state: 7,
                new_lease_state: 1,
                ..Default::default()
            },
            &mut f,
        )
        .unwrap();
        let info = parse(&f).unwrap();
        assert_eq!(info.key, BreakKey::Lease(key));
        assert_eq!(
            (info.current_state, info.new_state, info.flags, info.epoch),
            (7, 1, 1, 3)
        );
        let found = ws.route(5, &info).unwrap();
        ws.remove(&w);
        assert_eq!(ws.len(), 0);
        // A break that was routed before the removal is not delivered.
        found.fire(&info);
        assert_eq!(hits.load(Ordering::Relaxed), 0);
        assert!(ws.route(5, &info).is_none());
    }

    #[test]
    fn other_messages_are_not_breaks() {
        let mut b = [0u8; HEADER_LEN + 4];
        encode(
            &Header::request(Command::Echo),
            &crate::proto::echo::EchoRequest,
            &mut b,
        )
        .unwrap();
        assert!(parse(&b).is_none());
        assert!(parse(&b[..10]).is_none());
    }
}
