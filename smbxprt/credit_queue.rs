// SPDX-License-Identifier: GPL-2.0
//! The credit window with its waiters in line.
//!
//! Credits are handed out in arrival order: a task that finds too few
//! credits (or the MessageId window full) takes a ticket, and while any
//! ticket is out, an ordinary charge succeeds only for the oldest one. A
//! task that just got a reply (and with it the credit that lets the next
//! request go) therefore cannot overtake tasks that were already waiting,
//! which is what starves some callers of a busy mount in cifs.ko, whose
//! waiters race for each credit.
//!
//! Priority charges (NEGOTIATE, ECHO, break acknowledgements) skip the line:
//! they draw on the reserve that ordinary charges leave alone.
#![forbid(unsafe_code)]

use crate::proto::credits::{ChargeClass, CreditWindow};
use core::ops::{Deref, DerefMut};
use kernel::rbtree::{RBTree, RBTreeNodeReservation};

/// The window of one connection.
pub(crate) type Window = CreditWindow<8>;

/// A place in line; tickets are handed out in increasing order.
pub(crate) type Ticket = u64;

/// A tree node for one ticket, allocated before the credit lock is taken.
pub(crate) type TicketNode = RBTreeNodeReservation<Ticket, ()>;

/// The credit window and the tasks waiting for it, under one lock.
pub(crate) struct Credits {
    window: Window,
    line: RBTree<Ticket, ()>,
    next_ticket: Ticket,
}

impl Credits {
    pub(crate) fn new(max_credits: u32, reserve: u32) -> Self {
        Self {
            window: Window::new(max_credits, reserve),
            line: RBTree::new(),
            next_ticket: 0,
        }
    }

    /// True if a charge of `class` holding `ticket` (`None`: not in line)
    /// may be taken now as far as the order goes: priority charges always,
    /// ordinary ones when nobody waits or when `ticket` is the oldest.
    pub(crate) fn is_turn(&self, class: ChargeClass, ticket: Option<Ticket>) -> bool {
        if class == ChargeClass::Priority {
            return true;
        }
        self.line
            .iter()
            .next()
            .is_none_or(|(head, ())| ticket == Some(*head))
    }

    /// True if a charge of `count` credits by `ticket` would succeed now
    /// (its turn, and the window allows it).
    pub(crate) fn would_charge(
        &self,
        count: u16,
        class: ChargeClass,
        ticket: Option<Ticket>,
    ) -> bool {
        self.is_turn(class, ticket) && self.window.clone().charge(count, class).is_ok()
    }

    /// Joins the line at its end.
    pub(crate) fn join(&mut self, node: TicketNode) -> Ticket {
        let t = self.next_ticket;
        self.next_ticket = self.next_ticket.wrapping_add(1);
        self.line.insert(node.into_node(t, ()));
        t
    }

    /// Leaves the line (served, or gave up). The next in line may go.
    pub(crate) fn leave(&mut self, ticket: Ticket) {
        self.line.remove(&ticket);
    }

    /// How many tasks wait in line.
    pub(crate) fn waiting(&self) -> usize {
        self.line.iter().count()
    }
}

impl Deref for Credits {
    type Target = Window;

    fn deref(&self) -> &Window {
        &self.window
    }
}

impl DerefMut for Credits {
    fn deref_mut(&mut self) -> &mut Window {
        &mut self.window
    }
}

#[kernel::macros::kunit_tests(smbxprt_credits)]
mod tests {
    use super::*;
    use kernel::alloc::flags::GFP_KERNEL;

    fn node() -> TicketNode {
        RBTreeNodeReservation::new(GFP_KERNEL).unwrap()
    }

    /// One credit is granted per reply, as a stingy server does.
    fn one_reply(c: &mut Credits, charge: &crate::proto::credits::Charge) {
        c.complete(charge).unwrap();
        c.grant(1);
    }

    #[test]
    fn nobody_waiting_anyone_may_charge() {
        let c = Credits::new(16, 2);
        assert!(c.is_turn(ChargeClass::Normal, None));
        assert!(c.would_charge(1, ChargeClass::Normal, None));
        assert_eq!(c.waiting(), 0);
    }

    #[test]
    fn waiters_are_served_in_arrival_order() {
        // One credit: A takes it, then B, C and D find none and line up.
        let mut c = Credits::new(16, 2);
        let a = c.charge(1, ChargeClass::Normal).unwrap();
        assert!(!c.would_charge(1, ChargeClass::Normal, None));
        let tb = c.join(node());
        let tc = c.join(node());
        let td = c.join(node());
        assert_eq!(c.waiting(), 3);
        // A's reply grants one credit. A, back with its next request, is
        // not in line and may not take it; neither may C or D: B's turn.
        one_reply(&mut c, &a);
        assert!(c.available() >= 1);
        assert!(!c.would_charge(1, ChargeClass::Normal, None));
        assert!(!c.would_charge(1, ChargeClass::Normal, Some(tc)));
        assert!(!c.would_charge(1, ChargeClass::Normal, Some(td)));
        assert!(c.would_charge(1, ChargeClass::Normal, Some(tb)));
        let b = c.charge(1, ChargeClass::Normal).unwrap();
        c.leave(tb);
        // A lines up again, behind C and D.
        let ta = c.join(node());
        one_reply(&mut c, &b);
        assert!(!c.would_charge(1, ChargeClass::Normal, Some(ta)));
        assert!(c.would_charge(1, ChargeClass::Normal, Some(tc)));
        let cc = c.charge(1, ChargeClass::Normal).unwrap();
        c.leave(tc);
        one_reply(&mut c, &cc);
        assert!(!c.would_charge(1, ChargeClass::Normal, Some(ta)));
        assert!(c.would_charge(1, ChargeClass::Normal, Some(td)));
        // D gives up (killed): A is next.
        c.leave(td);
        assert!(c.would_charge(1, ChargeClass::Normal, Some(ta)));
        c.leave(ta);
        assert_eq!(c.waiting(), 0);
        assert!(c.would_charge(1, ChargeClass::Normal, None));
    }

    #[test]
    fn priority_charges_skip_the_line() {
        let mut c = Credits::new(16, 2);
        c.grant(7);
        assert_eq!(c.available(), 8);
        let _t = c.join(node());
        // Ordinary charges wait their turn; an ECHO does not.
        assert!(!c.would_charge(1, ChargeClass::Normal, None));
        assert!(c.is_turn(ChargeClass::Priority, None));
        assert!(c.would_charge(1, ChargeClass::Priority, None));
    }

    #[test]
    fn the_head_waits_for_enough_credits() {
        // A large READ at the head needs 4 credits: it keeps its place while
        // they accumulate, and a later 1-credit request does not overtake.
        let mut c = Credits::new(16, 2);
        let first = c.charge(1, ChargeClass::Normal).unwrap();
        let big = c.join(node());
        let small = c.join(node());
        one_reply(&mut c, &first);
        assert!(!c.would_charge(4, ChargeClass::Normal, Some(big)));
        assert!(!c.would_charge(1, ChargeClass::Normal, Some(small)));
        c.grant(6);
        assert!(c.would_charge(4, ChargeClass::Normal, Some(big)));
        let _ = c.charge(4, ChargeClass::Normal).unwrap();
        c.leave(big);
        assert!(c.would_charge(1, ChargeClass::Normal, Some(small)));
    }
}
