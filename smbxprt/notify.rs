// SPDX-License-Identifier: GPL-2.0
//! Telling the layers above: connection events and messages no request
//! asked for, handed to every registered handler, in order, on smbiod.
//!
//! Events are kept as generations, so that a burst of reconnects
//! coalesces: after several losses in a row a handler hears one
//! DISCONNECTED, then CONNECTED. Messages (oplock and lease breaks, late
//! replies whose owner left) wait in a bounded queue.
//!
//! A handler picks what is its own (by SessionId, FileId, LeaseKey); what
//! a late reply means (an open to close, say) is its business, not the
//! transport's.
#![forbid(unsafe_code)]

use crate::proto::header::HEADER_LEN;
use crate::stats::XprtStats;
use crate::xprt::Xprt;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::Result;
use kernel::sync::Arc;

/// What a transport tells its handlers (`include/smb/xprt.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum XprtEvent {
    Disconnected,
    Connected,
}

/// What kind of message a handler is handed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MsgKind {
    /// An oplock or lease break (MessageId all ones).
    Unsolicited,
    /// A successful reply to a request whose owner had left (cancelled,
    /// timed out), with the header its request went out with (an async
    /// reply's header has no TreeId; the request's has).
    LateReply,
}

/// An upper layer's handler.
pub(crate) trait Handler: Send + Sync {
    /// The connection was lost, or is there (again).
    fn event(&self, ev: XprtEvent, generation: u64);

    /// A message; true if the handler took care of it. `request`: a late
    /// reply's request header, else empty.
    fn message(&self, kind: MsgKind, frame: &[u8], request: &[u8]) -> bool;
}

/// At most this many messages wait for the handlers; more (a server
/// flooding breaks faster than they are handled) are dropped and counted.
const MAX_PENDING_MESSAGES: usize = 256;

/// Events and messages not yet handed to the handlers.
#[derive(Default)]
pub(crate) struct Notes {
    pub(crate) lost: u64,
    lost_told: u64,
    pub(crate) connected: u64,
    connected_told: u64,
    msgs: KVec<(MsgKind, Option<[u8; HEADER_LEN]>, KVec<u8>)>,
}

enum Note {
    Event(XprtEvent, u64),
    Msg(MsgKind, Option<[u8; HEADER_LEN]>, KVec<u8>),
}

impl Notes {
    /// The next thing to tell: a loss before a connection, events before
    /// messages.
    fn next(&mut self) -> Option<Note> {
        if self.lost != self.lost_told {
            self.lost_told = self.lost;
            return Some(Note::Event(XprtEvent::Disconnected, self.lost));
        }
        if self.connected != self.connected_told {
            self.connected_told = self.connected;
            return Some(Note::Event(XprtEvent::Connected, self.connected));
        }
        if self.msgs.is_empty() {
            return None;
        }
        let (k, t, m) = self.msgs.remove(0).ok()?;
        Some(Note::Msg(k, t, m))
    }
}

impl Xprt {
    /// Queues the notify work (any context).
    pub(crate) fn schedule_notify(self: &Arc<Self>) {
        let _ = self.globals.smbiod.enqueue::<Arc<Xprt>, 1>(self.clone());
    }

    /// Queues a message for the handlers (smbiod, process context).
    pub(crate) fn post_message(
        self: &Arc<Self>,
        kind: MsgKind,
        _generation: u64,
        request: Option<[u8; HEADER_LEN]>,
        frame: KVec<u8>,
    ) {
        {
            let mut notes = self.notes.lock();
            if notes.msgs.len() >= MAX_PENDING_MESSAGES
                || notes.msgs.push((kind, request, frame), GFP_KERNEL).is_err()
            {
                drop(notes);
                XprtStats::inc(&self.stats.messages_dropped);
                return;
            }
        }
        self.schedule_notify();
    }

    /// smbiod: tells the handlers what happened, in order, one callback at
    /// a time and without any other transport lock held.
    pub(crate) fn notify(self: &Arc<Self>) {
        loop {
            let handlers = self.handlers.lock();
            let Some(note) = self.notes.lock().next() else {
                return;
            };
            match note {
                Note::Event(ev, generation) => {
                    for h in handlers.iter() {
                        h.event(ev, generation);
                    }
                }
                Note::Msg(kind, request, frame) => {
                    let mut taken = false;
                    let request = request.as_ref().map_or(&[][..], |r| &r[..]);
                    for h in handlers.iter() {
                        taken |= h.message(kind, &frame, request);
                    }
                    if kind == MsgKind::LateReply && !taken {
                        XprtStats::inc(&self.stats.late_replies_unclaimed);
                    }
                }
            }
        }
    }

    /// Adds a handler; the returned address identifies it.
    pub(crate) fn register_handler(&self, h: KBox<dyn Handler>) -> Result<usize> {
        let id = core::ptr::from_ref::<dyn Handler>(&*h).cast::<u8>().addr();
        self.handlers.lock().push(h, GFP_KERNEL)?;
        Ok(id)
    }

    /// Removes the handler `id`, waiting for its running callback if any.
    pub(crate) fn unregister_handler(&self, id: usize) -> Option<KBox<dyn Handler>> {
        let mut handlers = self.handlers.lock();
        let i = handlers
            .iter()
            .position(|h| core::ptr::from_ref::<dyn Handler>(&**h).cast::<u8>().addr() == id)?;
        handlers.remove(i).ok()
    }
}
