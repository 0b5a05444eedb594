// SPDX-License-Identifier: GPL-2.0
//! The credit window with its waiters in line, and the transport's charge.
//!
//! Credits are handed out in arrival order: a task that finds too few
//! credits takes a ticket, and while any ticket is out, an ordinary charge
//! succeeds only for the oldest one. A
//! task that just got a reply (and with it the credit that lets the next
//! request go) therefore cannot overtake tasks that were already waiting,
//! which is what starves some callers of a busy mount in cifs.ko, whose
//! waiters race for each credit.
//!
//! Priority charges (NEGOTIATE, ECHO, break acknowledgements) skip the line:
//! they draw on the reserve that ordinary charges leave alone.
#![forbid(unsafe_code)]

use crate::proto::credits::{Charge, ChargeClass, CreditError, CreditWindow, Reservation};
use crate::stats::XprtStats;
use crate::xprt::Xprt;
use core::ops::{Deref, DerefMut};
use core::sync::atomic::Ordering;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};

/// The window of one connection.
pub(crate) type Window = CreditWindow;

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
        self.is_turn(class, ticket) && self.window.could_charge(count, class)
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

impl Xprt {
    /// Takes `count` credits and as many MessageIds for one request (all
    /// PDUs of a compound) on connection `generation`, without waiting:
    /// the charge, or `None` if the request must wait for the next
    /// [`Xprt::wake`]. An ordinary charge that must wait holds `ticket`,
    /// its place in line, until it is charged or gives up
    /// ([`Xprt::leave_line`]). `ECONNRESET` if the connection changed.
    /// Process context (a ticket's node is allocated, only when needed).
    pub(crate) fn try_charge(
        &self,
        class: ChargeClass,
        count: u16,
        generation: u64,
        ticket: &mut Option<Ticket>,
    ) -> Result<Option<Charge>> {
        let mut node: Option<TicketNode> = None;
        loop {
            let mut stuck = false;
            let mut left = false;
            let mut need_node = false;
            let out = {
                let mut credits = self.credits.lock();
                let out = if u64::from(credits.generation()) != generation {
                    Err(ECONNRESET)
                } else if credits.is_turn(class, *ticket) {
                    match credits.charge(count, class) {
                        Ok(c) => Ok(Some(c)),
                        // No credit, and no reply pending that could grant
                        // one: the connection is stuck.
                        Err(CreditError::NotEnoughCredits)
                            if credits.zero_credits_nothing_in_flight() =>
                        {
                            stuck = true;
                            Ok(None)
                        }
                        Err(CreditError::NotEnoughCredits) => Ok(None),
                        Err(_) => Err(EIO),
                    }
                } else {
                    Ok(None)
                };
                match (&out, ticket.take()) {
                    (Ok(None), None) if class == ChargeClass::Normal => match node.take() {
                        Some(n) => *ticket = Some(credits.join(n)),
                        None => need_node = true,
                    },
                    (Ok(None), t) => *ticket = t,
                    (_, Some(t)) => {
                        credits.leave(t);
                        left = true;
                    }
                    (_, None) => {}
                }
                out
            };
            if stuck {
                self.reset_stuck(generation);
            }
            if left {
                // Whoever is next in line may be able to go now.
                self.wake();
            }
            if need_node {
                node = Some(TicketNode::new(GFP_KERNEL)?);
                continue;
            }
            return out;
        }
    }

    /// Sets aside up to `want` credits of the current connection (none
    /// while anyone waits in line: a reservation never overtakes them).
    pub(crate) fn reserve(&self, want: u16) -> Reservation {
        let mut credits = self.credits.lock();
        if !credits.is_turn(ChargeClass::Normal, None) {
            return Reservation {
                credits: 0,
                generation: credits.generation(),
            };
        }
        credits.reserve(want)
    }

    /// Gives back what `res` still holds, and wakes whoever waits for it.
    /// Any context.
    pub(crate) fn unreserve(&self, res: &mut Reservation) {
        if res.credits == 0 {
            return;
        }
        self.credits.lock().unreserve(res);
        self.wake();
    }

    /// Charges `count` credits from `res` on connection `generation`, if
    /// it belongs to it and holds enough.
    pub(crate) fn charge_reserved(
        &self,
        res: &mut Reservation,
        count: u16,
        generation: u64,
    ) -> Option<Charge> {
        let mut credits = self.credits.lock();
        if u64::from(credits.generation()) != generation {
            return None;
        }
        credits.charge_reserved(count, res).ok()
    }

    /// Gives up a place in the credit line.
    pub(crate) fn leave_line(&self, ticket: Ticket) {
        self.credits.lock().leave(ticket);
        self.wake();
    }

    /// Whether a request parked holding `ticket` should try again now: the
    /// connection changed, or its charge would succeed.
    pub(crate) fn could_charge(
        &self,
        class: ChargeClass,
        count: u16,
        generation: u64,
        ticket: Option<Ticket>,
    ) -> bool {
        let c = self.credits.lock();
        u64::from(c.generation()) != generation || c.would_charge(count, class, ticket)
    }

    /// Gives back the charge of a request that was never sent (see
    /// `CreditWindow::abandon`: its MessageIds are reused, not skipped).
    pub(crate) fn uncharge(&self, charge: &Charge) {
        let _ = self.credits.lock().abandon(charge);
        self.wake();
    }

    /// Adds credits a reply granted and wakes whoever waits for them. Any
    /// context.
    pub(crate) fn grant(&self, credits: u16) {
        self.credits.lock().grant(credits);
        self.wake();
    }

    /// A server that leaves us without credits and owes no reply can never
    /// be sent anything again on this connection: reconnect (MS-SMB2
    /// 3.2.5.1.4 has the server grant at least one credit; one that does
    /// not is broken). Once per connection, however many find it stuck.
    fn reset_stuck(&self, generation: u64) {
        if self.stuck_reset.swap(generation, Ordering::AcqRel) == generation {
            return;
        }
        let sock = self.ctl.lock().sock.clone();
        if let Some(s) = sock.filter(|s| s.generation() == generation) {
            XprtStats::inc(&self.stats.zero_credit_resets);
            pr_warn!(
                "transport {} to {}: the server left no credits and owes no reply; reconnecting\n",
                self.id,
                self.key.addr
            );
            s.request_disconnect(ECONNRESET);
        }
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
