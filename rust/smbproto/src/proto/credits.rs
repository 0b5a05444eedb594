// SPDX-License-Identifier: GPL-2.0
//! Credit and MessageId accounting (MS-SMB2 §3.2.4.1.5, §3.2.4.1.6,
//! §3.2.5.1.4): a pure, allocation-free state machine the transport drives
//! under its lock.
//!
//! - The server grants credits in every response (interim ones included,
//!   and every PDU of a compound); each credit lets the client use one
//!   MessageId. A request with CreditCharge `n` consumes `n` credits and `n`
//!   consecutive MessageIds, and its response carries the first of them.
//! - Granted credits saturate at a configured maximum.
//! - Which MessageIds are outstanding is the transport's business (its MID
//!   table holds each request in flight, however long it waits: a blocking
//!   LOCK, a lost reply); this window only counts them. Nothing here limits
//!   how far new MessageIds may run ahead of an old unanswered one: the
//!   server's credits do that.
//! - MessageIds charged but never sent are given back: at the end of the
//!   range they are reused at once; elsewhere they become a *hole* that the
//!   next charge that fits takes, so that the server never sees a gap it
//!   would wait for (its window only slides past MessageIds it received).
//!   Only when more holes are open than this window tracks are a hole's
//!   credits written off ([`CreditWindow::lost`]): client and server then
//!   agree the window is that much smaller.
//! - A small reserve of credits is kept for ECHO, oplock/lease break
//!   acknowledgements and similar requests that must get through when
//!   ordinary traffic has used up the window.
//! - A caller may set credits aside before it builds a request
//!   ([`CreditWindow::reserve`], as netfs's `prepare_read` sizes a
//!   subrequest by the credits it can have): they leave the available
//!   pool, are charged later from the [`Reservation`]
//!   ([`CreditWindow::charge_reserved`]), and what is left goes back
//!   ([`CreditWindow::unreserve`]). A reservation takes no MessageIds.
//! - `reset()` starts a new connection: one credit, MessageId 0, and a new
//!   generation so that charges and reservations taken before the
//!   reconnect cannot return credits to the new window.
//!
//! CANCEL consumes no credit and no MessageId (it reuses the MessageId of
//! the request it cancels, §3.2.4.24), so it never calls [`CreditWindow::charge`].

/// `CreditCharge` for a payload of `len` bytes (§3.1.5.2): one credit per
/// started 64 KiB, at least one. For READ use the requested length; for
/// WRITE the payload length; for IOCTL and QUERY_* the larger of the input
/// and the maximum output. Saturates at `u16::MAX`.
pub fn credit_charge(len: usize) -> u16 {
    let units = len.div_ceil(65536).max(1);
    u16::try_from(units).unwrap_or(u16::MAX)
}

/// Why a credit operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditError {
    /// Not enough credits are available (for this request class): wait for
    /// responses.
    NotEnoughCredits,
    /// A charge of zero credits was asked for.
    ZeroCharge,
    /// The charge was taken before the last `reset()`.
    StaleGeneration,
    /// More credits would be completed than are in flight (a charge
    /// completed twice: a bug of the caller).
    NotOutstanding,
    /// The MessageId space is used up (the all-ones id is reserved).
    MessageIdsExhausted,
}

/// Which pool a request may draw from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeClass {
    /// Ordinary requests: may not dip into the reserve.
    Normal,
    /// ECHO, oplock/lease break acknowledgements and other requests that
    /// must not starve: may use the reserve.
    Priority,
}

/// Credits and MessageIds taken by one request. Complete or abandon each
/// charge exactly once (the transport's MID table ensures it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// MessageId to put in the header; the response carries it too.
    pub first_message_id: u64,
    /// Credits (and MessageIds) consumed: the header's CreditCharge.
    pub count: u16,
    /// Connection generation the charge belongs to.
    pub generation: u32,
}

impl Charge {
    /// One past the last MessageId of the charge.
    pub fn end(&self) -> u64 {
        self.first_message_id.saturating_add(u64::from(self.count))
    }

    /// Whether `message_id` is one of the charge's.
    pub fn contains(&self, message_id: u64) -> bool {
        message_id >= self.first_message_id && message_id < self.end()
    }
}

/// Credits set aside by [`CreditWindow::reserve`], for requests built
/// later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reservation {
    /// Credits still held.
    pub credits: u16,
    /// Connection generation they belong to.
    pub generation: u32,
}

/// How many holes (runs of MessageIds given back out of order) a window
/// keeps for reuse.
pub const MAX_HOLES: usize = 8;

/// The credit window of one connection.
#[derive(Debug, Clone)]
pub struct CreditWindow {
    max_credits: u32,
    reserve: u32,
    available: u32,
    in_flight: u32,
    in_flight_requests: u32,
    /// Credits held by reservations.
    reserved: u32,
    next_message_id: u64,
    generation: u32,
    /// MessageIds given back below `next_message_id`: (first, count).
    holes: [(u64, u16); MAX_HOLES],
    nholes: usize,
    /// Credits written off with MessageIds that could be kept nowhere.
    lost: u64,
}

impl CreditWindow {
    /// A fresh window (one credit, MessageId 0, generation 0) that keeps at
    /// most `max_credits` credits and holds `reserve` of them back for
    /// [`ChargeClass::Priority`] requests.
    pub const fn new(max_credits: u32, reserve: u32) -> Self {
        Self {
            max_credits,
            reserve,
            available: 1,
            in_flight: 0,
            in_flight_requests: 0,
            reserved: 0,
            next_message_id: 0,
            generation: 0,
            holes: [(0, 0); MAX_HOLES],
            nholes: 0,
            lost: 0,
        }
    }

    /// Credits available now.
    pub fn available(&self) -> u32 {
        self.available
    }

    /// Credits (equivalently MessageIds) charged and not yet completed.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Requests charged and not yet completed.
    pub fn in_flight_requests(&self) -> u32 {
        self.in_flight_requests
    }

    /// Credits held by reservations.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }

    /// The MessageId the next charge will start at, if no hole serves it.
    pub fn next_message_id(&self) -> u64 {
        self.next_message_id
    }

    /// Connection generation (incremented by `reset()`).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Configured maximum of credits held.
    pub fn max_credits(&self) -> u32 {
        self.max_credits
    }

    /// The holes waiting to be reused, as (first MessageId, count).
    pub fn holes(&self) -> &[(u64, u16)] {
        self.holes.get(..self.nholes).unwrap_or(&[])
    }

    /// Credits written off since the last reset (holes that could not be
    /// kept).
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// True when no credit is left and no response is pending that could
    /// grant more: the connection is stuck and the transport reconnects.
    pub fn zero_credits_nothing_in_flight(&self) -> bool {
        self.available == 0 && self.in_flight == 0 && self.reserved == 0
    }

    /// CreditRequest to put in a request header: enough to bring the
    /// window back to the maximum, at least 1.
    pub fn credits_to_request(&self) -> u16 {
        let held = self.held();
        let want = self.max_credits.saturating_sub(held).max(1);
        u16::try_from(want).unwrap_or(u16::MAX)
    }

    /// The part of the reserve an ordinary request of `count` credits must
    /// leave alone: never so much that it could not go at all, so that a
    /// request as large as the whole window (a compound, a large READ, on
    /// a server that grants few credits) waits for the window to empty
    /// instead of forever. A window of one credit reserves nothing.
    fn effective_reserve(&self, count: u32) -> u32 {
        self.reserve.min(self.held().saturating_sub(count))
    }

    /// Credits the client holds: available, in flight and reserved.
    fn held(&self) -> u32 {
        self.available
            .saturating_add(self.in_flight)
            .saturating_add(self.reserved)
    }

    /// Whether a charge of `count` credits of `class` would succeed now.
    pub fn could_charge(&self, count: u16, class: ChargeClass) -> bool {
        let n = u32::from(count);
        let keep = match class {
            ChargeClass::Normal => self.effective_reserve(n),
            ChargeClass::Priority => 0,
        };
        count != 0 && self.available >= n.saturating_add(keep)
    }

    /// Takes `count` credits and `count` consecutive MessageIds for one
    /// request (from a hole that fits, else at the end); returns the charge
    /// to complete or abandon later.
    pub fn charge(&mut self, count: u16, class: ChargeClass) -> Result<Charge, CreditError> {
        if count == 0 {
            return Err(CreditError::ZeroCharge);
        }
        if !self.could_charge(count, class) {
            return Err(CreditError::NotEnoughCredits);
        }
        let first = match self.take_hole(count) {
            Some(first) => first,
            None => {
                let first = self.next_message_id;
                let end = first
                    .checked_add(u64::from(count))
                    .filter(|e| *e < u64::MAX)
                    .ok_or(CreditError::MessageIdsExhausted)?;
                self.next_message_id = end;
                first
            }
        };
        let n = u32::from(count);
        self.available = self.available.saturating_sub(n);
        self.in_flight = self.in_flight.saturating_add(n);
        self.in_flight_requests = self.in_flight_requests.saturating_add(1);
        Ok(Charge {
            first_message_id: first,
            count,
            generation: self.generation,
        })
    }

    /// Sets aside up to `want` ordinary credits (leaving the priority
    /// reserve alone) for requests built later; the reservation may hold
    /// fewer, or none.
    pub fn reserve(&mut self, want: u16) -> Reservation {
        // The reserve is left whatever `want` is (unlike a charge as large
        // as the window, a reservation may be smaller than asked).
        let keep = self.effective_reserve(1);
        let can = self.available.saturating_sub(keep).min(u32::from(want));
        let credits = u16::try_from(can).unwrap_or(0);
        self.available = self.available.saturating_sub(u32::from(credits));
        self.reserved = self.reserved.saturating_add(u32::from(credits));
        Reservation {
            credits,
            generation: self.generation,
        }
    }

    /// Charges `count` credits from `res` (and `count` MessageIds), as
    /// [`CreditWindow::charge`] does from the available pool.
    pub fn charge_reserved(
        &mut self,
        count: u16,
        res: &mut Reservation,
    ) -> Result<Charge, CreditError> {
        if count == 0 {
            return Err(CreditError::ZeroCharge);
        }
        if res.generation != self.generation {
            return Err(CreditError::StaleGeneration);
        }
        if res.credits < count || self.reserved < u32::from(count) {
            return Err(CreditError::NotEnoughCredits);
        }
        let n = u32::from(count);
        // Back to the pool for the moment, then charged as usual (which
        // takes MessageIds from a hole or the end).
        self.reserved = self.reserved.saturating_sub(n);
        self.available = self.available.saturating_add(n);
        match self.charge(count, ChargeClass::Priority) {
            Ok(c) => {
                res.credits = res.credits.saturating_sub(count);
                Ok(c)
            }
            Err(e) => {
                self.available = self.available.saturating_sub(n);
                self.reserved = self.reserved.saturating_add(n);
                Err(e)
            }
        }
    }

    /// Gives back what `res` still holds (nothing if it belongs to an
    /// earlier connection, whose credits went with it).
    pub fn unreserve(&mut self, res: &mut Reservation) {
        let n = u32::from(res.credits);
        res.credits = 0;
        if res.generation != self.generation {
            return;
        }
        let n = n.min(self.reserved);
        self.reserved = self.reserved.saturating_sub(n);
        self.available = self.available.saturating_add(n);
    }

    /// The first MessageId of the lowest hole that holds `count`, taken
    /// off it.
    fn take_hole(&mut self, count: u16) -> Option<u64> {
        let i = (0..self.nholes)
            .filter(|i| self.holes.get(*i).is_some_and(|h| h.1 >= count))
            .min_by_key(|i| self.holes.get(*i).map_or(u64::MAX, |h| h.0))?;
        let h = self.holes.get_mut(i)?;
        let first = h.0;
        h.0 = h.0.saturating_add(u64::from(count));
        h.1 = h.1.saturating_sub(count);
        if h.1 == 0 {
            self.remove_hole(i);
        }
        Some(first)
    }

    fn remove_hole(&mut self, i: usize) {
        if let Some(last) = self.nholes.checked_sub(1).filter(|l| i <= *l) {
            self.holes.swap(i, last);
            self.nholes = last;
        }
    }

    /// Adds credits granted by a response (final or interim), saturating so
    /// that available plus in-flight credits never exceed the maximum. Call
    /// [`CreditWindow::complete`] first for a final response.
    pub fn grant(&mut self, credits: u16) {
        let room = self
            .max_credits
            .saturating_sub(self.in_flight)
            .saturating_sub(self.reserved);
        self.available = self.available.saturating_add(u32::from(credits)).min(room);
    }

    /// The request's MessageIds were answered.
    pub fn complete(&mut self, charge: &Charge) -> Result<(), CreditError> {
        self.release(charge)
    }

    /// Gives back a charge whose request was never sent: its MessageIds are
    /// reused (at once if they end the range, else as a hole) and its
    /// credits return to the window. A hole that cannot be kept costs its
    /// credits instead (see the module documentation).
    pub fn abandon(&mut self, charge: &Charge) -> Result<(), CreditError> {
        self.release(charge)?;
        if charge.end() == self.next_message_id {
            self.next_message_id = charge.first_message_id;
            // Holes that now end the range go back too.
            while let Some(i) = (0..self.nholes).find(|i| {
                self.holes
                    .get(*i)
                    .is_some_and(|h| h.0.saturating_add(u64::from(h.1)) == self.next_message_id)
            }) {
                self.next_message_id = self.holes.get(i).map_or(self.next_message_id, |h| h.0);
                self.remove_hole(i);
            }
        } else if let Some(slot) = self.holes.get_mut(self.nholes) {
            *slot = (charge.first_message_id, charge.count);
            self.nholes = self.nholes.saturating_add(1);
        } else {
            self.lost = self.lost.saturating_add(u64::from(charge.count));
            return Ok(());
        }
        self.grant(charge.count);
        Ok(())
    }

    /// Starts a new connection: one credit, MessageId 0, nothing in flight,
    /// no holes, next generation.
    pub fn reset(&mut self) {
        self.available = 1;
        self.in_flight = 0;
        self.in_flight_requests = 0;
        self.reserved = 0;
        self.next_message_id = 0;
        self.nholes = 0;
        self.lost = 0;
        self.generation = self.generation.wrapping_add(1);
    }

    fn release(&mut self, charge: &Charge) -> Result<(), CreditError> {
        if charge.generation != self.generation {
            return Err(CreditError::StaleGeneration);
        }
        if charge.count == 0 {
            return Err(CreditError::ZeroCharge);
        }
        let n = u32::from(charge.count);
        if self.in_flight < n || self.in_flight_requests == 0 || charge.end() > self.next_message_id
        {
            return Err(CreditError::NotOutstanding);
        }
        self.in_flight = self.in_flight.saturating_sub(n);
        self.in_flight_requests = self.in_flight_requests.saturating_sub(1);
        Ok(())
    }
}

#[cfg(test)]
#[cfg_attr(test, allow(clippy::unwrap_used))]
mod tests {
    use super::*;

    type W = CreditWindow;

    #[test]
    fn credit_charge_formula() {
        // MS-SMB2 §3.1.5.2: CreditCharge = (max(Send, Expected) - 1) / 65536 + 1.
        assert_eq!(credit_charge(0), 1);
        assert_eq!(credit_charge(1), 1);
        assert_eq!(credit_charge(65536), 1);
        assert_eq!(credit_charge(65537), 2);
        assert_eq!(credit_charge(1 << 20), 16);
        assert_eq!(credit_charge(usize::MAX), u16::MAX);
    }

    #[test]
    fn new_connection_negotiates_with_one_credit() {
        let mut w = W::new(100, 2);
        let c = w.charge(1, ChargeClass::Normal).unwrap();
        assert_eq!(c.first_message_id, 0);
        assert_eq!(w.available(), 0);
        assert!(!w.zero_credits_nothing_in_flight());
        assert_eq!(
            w.charge(1, ChargeClass::Priority),
            Err(CreditError::NotEnoughCredits)
        );
        w.complete(&c).unwrap();
        assert!(w.zero_credits_nothing_in_flight());
        w.grant(10);
        assert_eq!(w.available(), 10);
        assert_eq!(w.next_message_id(), 1);
    }

    #[test]
    fn a_request_as_large_as_the_window_may_take_the_reserve() {
        // A server that granted three credits in all: a three-PDU
        // compound takes the whole window (the reserve would otherwise
        // keep it waiting forever); a one-credit request leaves two.
        let mut w = W::new(100, 2);
        let c = w.charge(1, ChargeClass::Normal).unwrap();
        w.complete(&c).unwrap();
        w.grant(3);
        assert!(w.could_charge(1, ChargeClass::Normal));
        assert!(w.could_charge(3, ChargeClass::Normal));
        let one = w.charge(1, ChargeClass::Normal).unwrap();
        assert!(!w.could_charge(2, ChargeClass::Normal));
        assert!(!w.could_charge(1, ChargeClass::Normal));
        assert!(w.could_charge(2, ChargeClass::Priority));
        w.complete(&one).unwrap();
        w.grant(1);
        let all = w.charge(3, ChargeClass::Normal).unwrap();
        assert_eq!(all.count, 3);
        assert_eq!(w.available(), 0);
    }

    #[test]
    fn a_reservation_is_charged_later_and_its_rest_given_back() {
        let mut w = W::new(100, 2);
        let c = w.charge(1, ChargeClass::Normal).unwrap();
        w.complete(&c).unwrap();
        w.grant(40);
        // More than the window: sized down, the priority reserve left.
        let mut r = w.reserve(64);
        assert_eq!(r.credits, 38);
        assert_eq!((w.available(), w.reserved()), (2, 38));
        assert!(!w.could_charge(1, ChargeClass::Normal));
        assert!(w.could_charge(1, ChargeClass::Priority));
        // Grants do not overfill the window past what is reserved.
        w.grant(1000);
        assert_eq!(w.available(), 62);
        // Two charges from it; MessageIds come in order.
        let a = w.charge_reserved(16, &mut r).unwrap();
        let b = w.charge_reserved(16, &mut r).unwrap();
        assert_eq!((a.first_message_id, b.first_message_id), (1, 17));
        assert_eq!(r.credits, 6);
        assert_eq!(
            w.charge_reserved(7, &mut r),
            Err(CreditError::NotEnoughCredits)
        );
        assert_eq!((w.in_flight(), w.reserved()), (32, 6));
        w.unreserve(&mut r);
        assert_eq!((r.credits, w.reserved(), w.available()), (0, 0, 68));
        assert_eq!(
            w.charge_reserved(1, &mut r),
            Err(CreditError::NotEnoughCredits)
        );
    }

    #[test]
    fn a_reservation_from_before_a_reconnect_is_worth_nothing() {
        let mut w = W::new(100, 0);
        w.grant(9);
        let mut r = w.reserve(5);
        assert_eq!(r.credits, 5);
        w.reset();
        assert_eq!(
            w.charge_reserved(1, &mut r),
            Err(CreditError::StaleGeneration)
        );
        w.unreserve(&mut r);
        assert_eq!((w.available(), w.reserved()), (1, 0));
        // Everything reserved and nothing out is not a stuck window.
        let mut all = w.reserve(1);
        assert_eq!(all.credits, 1);
        assert!(!w.zero_credits_nothing_in_flight());
        w.unreserve(&mut all);
        assert_eq!(w.available(), 1);
    }

    #[test]
    fn multi_credit_and_out_of_order() {
        let mut w = W::new(1000, 0);
        w.grant(99);
        let a = w.charge(4, ChargeClass::Normal).unwrap();
        let b = w.charge(1, ChargeClass::Normal).unwrap();
        assert_eq!((a.first_message_id, b.first_message_id), (0, 4));
        assert!(a.contains(3) && !a.contains(4));
        w.complete(&b).unwrap();
        assert_eq!(w.in_flight(), 4);
        assert_eq!(w.in_flight_requests(), 1);
        w.complete(&a).unwrap();
        assert_eq!(w.in_flight(), 0);
        assert_eq!(w.complete(&a), Err(CreditError::NotOutstanding));
    }

    #[test]
    fn reserve_is_kept_for_priority_requests() {
        let mut w = W::new(100, 2);
        w.grant(4); // 5 available
        let _a = w.charge(3, ChargeClass::Normal).unwrap();
        assert_eq!(
            w.charge(1, ChargeClass::Normal),
            Err(CreditError::NotEnoughCredits)
        );
        assert!(!w.could_charge(1, ChargeClass::Normal));
        assert!(w.could_charge(1, ChargeClass::Priority));
        let _e = w.charge(1, ChargeClass::Priority).unwrap();
        let _f = w.charge(1, ChargeClass::Priority).unwrap();
        assert_eq!(w.available(), 0);
    }

    #[test]
    fn grant_saturates_at_maximum() {
        let mut w = W::new(10, 0);
        w.grant(u16::MAX);
        assert_eq!(w.available(), 10);
        let c = w.charge(4, ChargeClass::Normal).unwrap();
        w.grant(100);
        assert_eq!(w.available(), 6);
        assert_eq!(w.credits_to_request(), 1);
        w.complete(&c).unwrap();
        assert_eq!(w.credits_to_request(), 4);
    }

    #[test]
    fn one_unanswered_request_never_stops_the_others() {
        // A blocking LOCK (or a lost reply) holds MessageId 0 for ever;
        // 5,000 requests after it come and go.
        let mut w = W::new(512, 0);
        w.grant(511);
        let held = w.charge(1, ChargeClass::Normal).unwrap();
        for i in 0..5000u64 {
            let c = w.charge(1, ChargeClass::Normal).unwrap();
            assert_eq!(c.first_message_id, i + 1);
            w.complete(&c).unwrap();
            w.grant(1);
        }
        assert_eq!(w.in_flight_requests(), 1);
        w.complete(&held).unwrap();
    }

    #[test]
    fn reset_and_generations() {
        let mut w = W::new(100, 1);
        w.grant(50);
        let c = w.charge(2, ChargeClass::Normal).unwrap();
        w.reset();
        assert_eq!(w.generation(), 1);
        assert_eq!(w.available(), 1);
        assert_eq!(w.next_message_id(), 0);
        assert_eq!(w.complete(&c), Err(CreditError::StaleGeneration));
        assert_eq!(w.abandon(&c), Err(CreditError::StaleGeneration));
        assert_eq!(w.in_flight(), 0);
    }

    #[test]
    fn abandon_rolls_back_tail() {
        let mut w = W::new(100, 0);
        w.grant(9);
        let a = w.charge(2, ChargeClass::Normal).unwrap();
        let b = w.charge(3, ChargeClass::Normal).unwrap();
        w.abandon(&b).unwrap();
        assert_eq!(w.next_message_id(), 2);
        assert_eq!(w.available(), 8);
        w.abandon(&a).unwrap();
        assert_eq!(w.next_message_id(), 0);
        assert_eq!(w.available(), 10);
        assert_eq!(
            w.charge(0, ChargeClass::Normal),
            Err(CreditError::ZeroCharge)
        );
    }

    #[test]
    fn a_hole_is_reused_by_the_next_charge_that_fits() {
        let mut w = W::new(100, 0);
        w.grant(20);
        let a = w.charge(2, ChargeClass::Normal).unwrap(); // 0..2
        let b = w.charge(1, ChargeClass::Normal).unwrap(); // 2
                                                           // `a` was never sent: MessageIds 0 and 1 become a hole.
        w.abandon(&a).unwrap();
        assert_eq!(w.holes(), &[(0, 2)]);
        assert_eq!(w.available(), 20);
        // A 4-credit charge does not fit it; a 1-credit one takes its front.
        let big = w.charge(4, ChargeClass::Normal).unwrap();
        assert_eq!(big.first_message_id, 3);
        let one = w.charge(1, ChargeClass::Normal).unwrap();
        assert_eq!(one.first_message_id, 0);
        assert_eq!(w.holes(), &[(1, 1)]);
        let two = w.charge(1, ChargeClass::Normal).unwrap();
        assert_eq!(two.first_message_id, 1);
        assert!(w.holes().is_empty());
        // Abandoning the tail pulls the range back over a hole before it.
        w.abandon(&b).unwrap(); // a hole at 2
        w.abandon(&big).unwrap(); // the tail 3..7, then the hole at 2
        assert_eq!(w.next_message_id(), 2);
        assert!(w.holes().is_empty());
        assert_eq!(w.lost(), 0);
    }

    #[test]
    fn holes_beyond_the_limit_are_written_off() {
        let mut w = W::new(100, 0);
        w.grant(99);
        let mut cs = [None; 2 * MAX_HOLES + 2];
        for c in cs.iter_mut() {
            *c = Some(w.charge(1, ChargeClass::Normal).unwrap());
        }
        // Every other one abandoned (never the tail): MAX_HOLES holes kept.
        for c in cs.iter().step_by(2).take(MAX_HOLES + 1).flatten() {
            w.abandon(c).unwrap();
        }
        assert_eq!(w.holes().len(), MAX_HOLES);
        assert_eq!(w.lost(), 1);
    }
}
