// SPDX-License-Identifier: GPL-2.0
//! Credit and MessageId accounting (MS-SMB2 §3.2.4.1.5, §3.2.4.1.6,
//! §3.2.5.1.4): a pure, allocation-free state machine the transport drives
//! under its lock.
//!
//! - The server grants credits in every response (interim ones included);
//!   each credit lets the client use one MessageId. A request with
//!   CreditCharge `n` consumes `n` credits and `n` consecutive MessageIds,
//!   and its response carries the first of them.
//! - Granted credits saturate at a configured maximum.
//! - Outstanding MessageIds are tracked in a fixed-size bitmap ring so that
//!   responses may complete in any order; a request whose MessageIds would
//!   reach further than the ring past the oldest outstanding one waits
//!   (`WindowFull`).
//! - A small reserve of credits is kept for ECHO, oplock/lease break
//!   acknowledgements and similar requests that must get through when
//!   ordinary traffic has used up the window.
//! - `reset()` starts a new connection: one credit, MessageId 0, and a new
//!   generation so that charges taken before the reconnect cannot return
//!   credits to the new window.
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
    /// The MessageIds would reach past the tracking window: wait for the
    /// oldest outstanding request to complete.
    WindowFull,
    /// A charge of zero credits was asked for.
    ZeroCharge,
    /// The charge was taken before the last `reset()`.
    StaleGeneration,
    /// Some MessageId of the charge is not outstanding (already completed,
    /// or never charged).
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
/// charge exactly once: after an abandon hands its MessageIds out again, a
/// repeated call with the old charge cannot be told apart from the new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charge {
    /// MessageId to put in the header; the response carries it too.
    pub first_message_id: u64,
    /// Credits (and MessageIds) consumed: the header's CreditCharge.
    pub count: u16,
    /// Connection generation the charge belongs to.
    pub generation: u32,
}

/// The credit window of one connection, tracking up to `64 * WORDS`
/// MessageIds past the oldest outstanding one.
#[derive(Debug, Clone)]
pub struct CreditWindow<const WORDS: usize> {
    max_credits: u32,
    reserve: u32,
    available: u32,
    in_flight: u32,
    in_flight_requests: u32,
    next_message_id: u64,
    oldest: u64,
    generation: u32,
    outstanding: [u64; WORDS],
}

impl<const WORDS: usize> CreditWindow<WORDS> {
    /// How many MessageIds the outstanding bitmap can track.
    pub const CAPACITY: usize = WORDS * 64;

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
            next_message_id: 0,
            oldest: 0,
            generation: 0,
            outstanding: [0; WORDS],
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

    /// The MessageId the next charge will start at.
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

    /// True when no credit is left and no response is pending that could
    /// grant more: the connection is stuck and the transport reconnects.
    pub fn zero_credits_nothing_in_flight(&self) -> bool {
        self.available == 0 && self.in_flight == 0
    }

    /// CreditRequest to put in a request header: enough to bring the
    /// window back to the maximum, at least 1.
    pub fn credits_to_request(&self) -> u16 {
        let held = self.available.saturating_add(self.in_flight);
        let want = self.max_credits.saturating_sub(held).max(1);
        u16::try_from(want).unwrap_or(u16::MAX)
    }

    /// True if `message_id` was charged and has not completed.
    pub fn is_outstanding(&self, message_id: u64) -> bool {
        if message_id < self.oldest || message_id >= self.next_message_id {
            return false;
        }
        self.bit(message_id)
    }

    /// The part of the reserve ordinary requests must leave alone. While the
    /// window holds a single credit nothing is reserved, so a new
    /// connection can make progress.
    fn effective_reserve(&self) -> u32 {
        let held = self.available.saturating_add(self.in_flight);
        self.reserve.min(held.saturating_sub(1))
    }

    /// Takes `count` credits and `count` consecutive MessageIds for one
    /// request; returns the charge to complete or abandon later.
    pub fn charge(&mut self, count: u16, class: ChargeClass) -> Result<Charge, CreditError> {
        if count == 0 {
            return Err(CreditError::ZeroCharge);
        }
        let n = u32::from(count);
        let keep = match class {
            ChargeClass::Normal => self.effective_reserve(),
            ChargeClass::Priority => 0,
        };
        if self.available < n.saturating_add(keep) {
            return Err(CreditError::NotEnoughCredits);
        }
        let first = self.next_message_id;
        let end = first
            .checked_add(u64::from(count))
            .filter(|e| *e < u64::MAX)
            .ok_or(CreditError::MessageIdsExhausted)?;
        let span = end.saturating_sub(self.oldest);
        if span > Self::CAPACITY as u64 {
            return Err(CreditError::WindowFull);
        }
        for mid in first..end {
            self.set_bit(mid, true);
        }
        self.available = self.available.saturating_sub(n);
        self.in_flight = self.in_flight.saturating_add(n);
        self.in_flight_requests = self.in_flight_requests.saturating_add(1);
        self.next_message_id = end;
        Ok(Charge {
            first_message_id: first,
            count,
            generation: self.generation,
        })
    }

    /// Adds credits granted by a response (final or interim), saturating so
    /// that available plus in-flight credits never exceed the maximum. Call
    /// [`CreditWindow::complete`] first for a final response.
    pub fn grant(&mut self, credits: u16) {
        let room = self.max_credits.saturating_sub(self.in_flight);
        self.available = self.available.saturating_add(u32::from(credits)).min(room);
    }

    /// Marks the request's MessageIds as answered.
    pub fn complete(&mut self, charge: &Charge) -> Result<(), CreditError> {
        self.release(charge)?;
        self.advance_oldest();
        Ok(())
    }

    /// Gives back a charge whose request was never sent: its credits return
    /// to the window, and its MessageIds are reused if nothing was charged
    /// after it.
    pub fn abandon(&mut self, charge: &Charge) -> Result<(), CreditError> {
        self.release(charge)?;
        let end = charge
            .first_message_id
            .saturating_add(u64::from(charge.count));
        if end == self.next_message_id {
            self.next_message_id = charge.first_message_id;
            if self.oldest > self.next_message_id {
                self.oldest = self.next_message_id;
            }
        }
        self.advance_oldest();
        self.grant(charge.count);
        Ok(())
    }

    /// Starts a new connection: one credit, MessageId 0, nothing in flight,
    /// next generation.
    pub fn reset(&mut self) {
        self.available = 1;
        self.in_flight = 0;
        self.in_flight_requests = 0;
        self.next_message_id = 0;
        self.oldest = 0;
        self.outstanding = [0; WORDS];
        self.generation = self.generation.wrapping_add(1);
    }

    fn release(&mut self, charge: &Charge) -> Result<(), CreditError> {
        if charge.generation != self.generation {
            return Err(CreditError::StaleGeneration);
        }
        if charge.count == 0 {
            return Err(CreditError::ZeroCharge);
        }
        let first = charge.first_message_id;
        let end = first
            .checked_add(u64::from(charge.count))
            .ok_or(CreditError::NotOutstanding)?;
        if first < self.oldest || end > self.next_message_id {
            return Err(CreditError::NotOutstanding);
        }
        if !(first..end).all(|mid| self.bit(mid)) {
            return Err(CreditError::NotOutstanding);
        }
        for mid in first..end {
            self.set_bit(mid, false);
        }
        let n = u32::from(charge.count);
        self.in_flight = self.in_flight.saturating_sub(n);
        self.in_flight_requests = self.in_flight_requests.saturating_sub(1);
        Ok(())
    }

    fn advance_oldest(&mut self) {
        while self.oldest < self.next_message_id && !self.bit(self.oldest) {
            self.oldest = self.oldest.saturating_add(1);
        }
    }

    /// Word index and mask of `mid` in the ring.
    fn slot(mid: u64) -> Option<(usize, u64)> {
        let idx = mid.checked_rem(Self::CAPACITY as u64)?;
        let idx = usize::try_from(idx).ok()?;
        let word = idx.checked_div(64)?;
        let bit = u32::try_from(idx.checked_rem(64)?).ok()?;
        Some((word, 1u64.checked_shl(bit)?))
    }

    fn bit(&self, mid: u64) -> bool {
        match Self::slot(mid) {
            Some((w, m)) => self.outstanding.get(w).is_some_and(|v| v & m != 0),
            None => false,
        }
    }

    fn set_bit(&mut self, mid: u64, on: bool) {
        if let Some((w, m)) = Self::slot(mid) {
            if let Some(v) = self.outstanding.get_mut(w) {
                if on {
                    *v |= m;
                } else {
                    *v &= !m;
                }
            }
        }
    }
}

#[cfg(test)]
#[cfg_attr(test, allow(clippy::unwrap_used))]
mod tests {
    use super::*;

    type W = CreditWindow<2>;

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
    fn multi_credit_and_out_of_order() {
        let mut w = W::new(1000, 0);
        w.grant(99);
        let a = w.charge(4, ChargeClass::Normal).unwrap();
        let b = w.charge(1, ChargeClass::Normal).unwrap();
        assert_eq!((a.first_message_id, b.first_message_id), (0, 4));
        assert!(w.is_outstanding(3));
        w.complete(&b).unwrap();
        assert_eq!(w.complete(&b), Err(CreditError::NotOutstanding));
        assert_eq!(w.in_flight(), 4);
        assert_eq!(w.in_flight_requests(), 1);
        w.complete(&a).unwrap();
        assert_eq!(w.in_flight(), 0);
        assert!(!w.is_outstanding(3));
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
    fn window_gap_blocks_until_oldest_completes() {
        let mut w = W::new(1000, 0);
        w.grant(999);
        let first = w.charge(1, ChargeClass::Normal).unwrap();
        let mut rest = [None; 127];
        for slot in rest.iter_mut() {
            let c = w.charge(1, ChargeClass::Normal).unwrap();
            w.complete(&c).unwrap();
            *slot = Some(c);
        }
        // 128 ids tracked: id 0 still outstanding, ids 1..128 done.
        assert_eq!(
            w.charge(1, ChargeClass::Normal),
            Err(CreditError::WindowFull)
        );
        w.complete(&first).unwrap();
        assert_eq!(
            w.charge(1, ChargeClass::Normal).unwrap().first_message_id,
            128
        );
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
}
