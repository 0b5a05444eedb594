// SPDX-License-Identifier: GPL-2.0
//! The requests in flight on a transport, found by MessageId.
//!
//! Each request is entered under the first MessageId of every PDU it holds
//! (one for a single request, one per operation of a compound), so that
//! a reply finds it by whichever MessageId it carries: the final reply to a
//! compound's last operation that went async names that operation's
//! MessageId, not the compound's first (MS-SMB2 3.2.5.1.5 and <206>).
//!
//! The table has no limit of its own on how many requests are out or how
//! far apart their MessageIds are: the server's credits are the only limit.
//! A request is entered before anything of it is sent, so a reply can never
//! overtake its entry, and leaves when its (final) reply has been placed or
//! the connection is gone.
//!
//! The lock is a bottom-half spinlock (the receive path looks requests up
//! in softirq); it is held only to find, insert or remove, never while
//! copying data. Tree nodes are allocated before it is taken.
#![forbid(unsafe_code)]

use crate::kext::sync::bh::SpinLockBh;
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::Arc;

/// The most PDUs a request (a compound) may hold.
pub(crate) const MAX_PDUS: usize = 8;

/// What the table holds: something with MessageIds that can be failed.
pub(crate) trait InTable: Send + Sync + Sized {
    /// The first MessageId of each of its PDUs (the first `n`).
    fn pdu_mids(&self) -> ([u64; MAX_PDUS], usize);

    /// The connection went with it still in the table. Process context.
    fn lost(this: &Arc<Self>, err: Error);
}

/// The tree (one node per PDU MessageId) and the number of requests.
struct MidMap<T: InTable> {
    tree: RBTree<u64, Arc<T>>,
    requests: usize,
}

/// Nodes for one request's entries, allocated before the table is locked.
pub(crate) struct MidNodes<T: InTable> {
    nodes: KVec<RBTreeNodeReservation<u64, Arc<T>>>,
}

impl<T: InTable> MidNodes<T> {
    /// Nodes for `n` MessageIds. Process context (allocates).
    pub(crate) fn new(n: usize) -> Result<Self> {
        if n == 0 || n > MAX_PDUS {
            return Err(EINVAL);
        }
        let mut nodes = KVec::with_capacity(n, GFP_KERNEL)?;
        for _ in 0..n {
            nodes.push(RBTreeNodeReservation::new(GFP_KERNEL)?, GFP_KERNEL)?;
        }
        Ok(Self { nodes })
    }
}

/// Requests in flight on a transport, by MessageId.
#[pin_data]
pub(crate) struct MidTable<T: InTable> {
    #[pin]
    map: SpinLockBh<MidMap<T>>,
}

impl<T: InTable> MidTable<T> {
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            map <- crate::new_spinlock_bh!(MidMap { tree: RBTree::new(), requests: 0 }, "MidTable::map"),
        })
    }

    /// Enters `rqst` under each of `mids`, with `nodes` made for as many;
    /// returns how many requests are then in flight. `EEXIST` if one of the
    /// MessageIds is taken (never, with a correct credit window).
    pub(crate) fn insert(
        &self,
        rqst: &Arc<T>,
        mids: &[u64],
        mut nodes: MidNodes<T>,
    ) -> Result<usize> {
        if mids.len() != nodes.nodes.len() {
            return Err(EINVAL);
        }
        let mut map = self.map.lock();
        if mids.iter().any(|m| map.tree.get(m).is_some()) {
            return Err(EEXIST);
        }
        for m in mids {
            let Some(node) = nodes.nodes.pop() else {
                break;
            };
            map.tree.insert(node.into_node(*m, rqst.clone()));
        }
        map.requests += 1;
        Ok(map.requests)
    }

    /// The request a reply with this MessageId answers, if it is out. Any
    /// context.
    pub(crate) fn find(&self, mid: u64) -> Option<Arc<T>> {
        self.map.lock().tree.get(&mid).cloned()
    }

    /// Takes `rqst` out of the table (all its entries); false if it was not
    /// there. Any context: the nodes are freed after the lock is dropped.
    pub(crate) fn remove(&self, rqst: &Arc<T>) -> bool {
        let (mids, n) = rqst.pdu_mids();
        let mut gone: [Option<Arc<T>>; MAX_PDUS] = Default::default();
        let mut found = false;
        {
            let mut map = self.map.lock();
            for (m, slot) in mids.iter().take(n).zip(gone.iter_mut()) {
                let ours = map.tree.get(m).is_some_and(|r| Arc::ptr_eq(r, rqst));
                if ours {
                    *slot = map.tree.remove(m);
                    found = true;
                }
            }
            if found {
                map.requests = map.requests.saturating_sub(1);
            }
        }
        drop(gone);
        found
    }

    /// Takes every request out and fails it with `err` (the connection is
    /// gone). Returns how many there were. Process context.
    pub(crate) fn fail_all(&self, err: Error) -> usize {
        let old = {
            let mut map = self.map.lock();
            map.requests = 0;
            core::mem::replace(&mut map.tree, RBTree::new())
        };
        // A compound's entries are under consecutive MessageIds: count it
        // once.
        let mut n = 0;
        let mut prev: Option<&Arc<T>> = None;
        for r in old.values() {
            if !prev.is_some_and(|p| Arc::ptr_eq(p, r)) {
                n += 1;
                T::lost(r, err);
            }
            prev = Some(r);
        }
        n
    }

    /// Requests in flight.
    pub(crate) fn len(&self) -> usize {
        self.map.lock().requests
    }

    /// Whether no request is out.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
