// SPDX-License-Identifier: GPL-2.0
//! Property test of the credit/MessageId window (MS-SMB2 §3.2.4.1.5,
//! §3.2.5.1.4) against a straightforward model built on std collections.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use smbproto::proto::credits::{Charge, ChargeClass, CreditError, CreditWindow};

const WORDS: usize = 1;
const CAP: u64 = 64 * WORDS as u64;

#[derive(Debug, Clone)]
enum Op {
    Charge(u16, bool),
    Grant(u16),
    Complete(usize),
    Abandon(usize),
    Repeat(usize),
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u16..6, any::<bool>()).prop_map(|(n, p)| Op::Charge(n, p)),
        3 => (0u16..40).prop_map(Op::Grant),
        3 => any::<usize>().prop_map(Op::Complete),
        1 => any::<usize>().prop_map(Op::Abandon),
        1 => any::<usize>().prop_map(Op::Repeat),
        1 => Just(Op::Reset),
    ]
}

struct Model {
    max: u32,
    reserve: u32,
    available: u32,
    outstanding: BTreeMap<u64, u16>,
    next: u64,
    generation: u32,
}

impl Model {
    fn in_flight(&self) -> u32 {
        self.outstanding.values().map(|c| u32::from(*c)).sum()
    }

    fn oldest(&self) -> u64 {
        self.outstanding.keys().next().copied().unwrap_or(self.next)
    }

    fn grant(&mut self, n: u16) {
        let room = self.max.saturating_sub(self.in_flight());
        self.available = (self.available + u32::from(n)).min(room);
    }

    fn charge(&mut self, n: u16, priority: bool) -> Result<u64, CreditError> {
        if n == 0 {
            return Err(CreditError::ZeroCharge);
        }
        let held = self.available + self.in_flight();
        let keep = if priority {
            0
        } else {
            self.reserve.min(held.saturating_sub(1))
        };
        if self.available < u32::from(n) + keep {
            return Err(CreditError::NotEnoughCredits);
        }
        let end = self.next + u64::from(n);
        if end - self.oldest() > CAP {
            return Err(CreditError::WindowFull);
        }
        let first = self.next;
        self.outstanding.insert(first, n);
        self.available -= u32::from(n);
        self.next = end;
        Ok(first)
    }

    fn release(&mut self, c: &Charge) -> Result<(), CreditError> {
        if c.generation != self.generation {
            return Err(CreditError::StaleGeneration);
        }
        match self.outstanding.get(&c.first_message_id) {
            Some(n) if *n == c.count => {
                self.outstanding.remove(&c.first_message_id);
                Ok(())
            }
            _ => Err(CreditError::NotOutstanding),
        }
    }

    fn abandon(&mut self, c: &Charge) -> Result<(), CreditError> {
        self.release(c)?;
        if c.first_message_id + u64::from(c.count) == self.next {
            self.next = c.first_message_id;
        }
        self.grant(c.count);
        Ok(())
    }

    fn reset(&mut self) {
        self.available = 1;
        self.outstanding.clear();
        self.next = 0;
        self.generation = self.generation.wrapping_add(1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn window_matches_model(max in 1u32..120, reserve in 0u32..4, ops in proptest::collection::vec(op(), 1..200)) {
        let mut w = CreditWindow::<WORDS>::new(max, reserve);
        let mut m = Model { max, reserve, available: 1, outstanding: BTreeMap::new(), next: 0, generation: 0 };
        // Live charges, and finished ones (each must be completed or
        // abandoned exactly once; repeating a finished one is refused while
        // its MessageIds have not been handed out again).
        let mut charges: Vec<Charge> = Vec::new();
        let mut finished: Vec<Charge> = Vec::new();
        for op in ops {
            match op {
                Op::Charge(n, p) => {
                    let class = if p { ChargeClass::Priority } else { ChargeClass::Normal };
                    let got = w.charge(n, class);
                    let want = m.charge(n, p);
                    prop_assert_eq!(got.map(|c| c.first_message_id), want);
                    if let Ok(c) = got {
                        prop_assert_eq!(c.count, n);
                        prop_assert_eq!(c.generation, m.generation);
                        charges.push(c);
                    }
                }
                Op::Grant(n) => {
                    w.grant(n);
                    m.grant(n);
                }
                Op::Complete(i) if !charges.is_empty() => {
                    let c = charges.swap_remove(i % charges.len());
                    let got = w.complete(&c);
                    prop_assert_eq!(got, m.release(&c));
                    finished.push(c);
                }
                Op::Abandon(i) if !charges.is_empty() => {
                    let c = charges.swap_remove(i % charges.len());
                    prop_assert_eq!(w.abandon(&c), m.abandon(&c));
                    finished.push(c);
                }
                Op::Repeat(i) if !finished.is_empty() => {
                    let c = finished[i % finished.len()];
                    let reused = (c.first_message_id..c.first_message_id + u64::from(c.count))
                        .any(|mid| m.outstanding.range(..=mid).next_back().is_some_and(|(f, n)| mid < f + u64::from(*n)));
                    if !reused {
                        let want = if c.generation != m.generation { CreditError::StaleGeneration } else { CreditError::NotOutstanding };
                        prop_assert_eq!(w.complete(&c), Err(want));
                        prop_assert_eq!(w.abandon(&c), Err(want));
                    }
                }
                Op::Complete(_) | Op::Abandon(_) | Op::Repeat(_) => {}
                Op::Reset => {
                    finished.append(&mut charges);
                    w.reset();
                    m.reset();
                }
            }
            prop_assert_eq!(w.available(), m.available);
            prop_assert_eq!(w.in_flight(), m.in_flight());
            prop_assert_eq!(w.in_flight_requests() as usize, m.outstanding.len());
            prop_assert_eq!(w.next_message_id(), m.next);
            prop_assert_eq!(w.generation(), m.generation);
            prop_assert_eq!(w.zero_credits_nothing_in_flight(), m.available == 0 && m.outstanding.is_empty());
            prop_assert!(w.available() + w.in_flight() <= max);
            for mid in m.next.saturating_sub(CAP)..m.next + 2 {
                let want = m.outstanding.range(..=mid).next_back().is_some_and(|(f, c)| mid < f + u64::from(*c));
                prop_assert_eq!(w.is_outstanding(mid), want, "mid {}", mid);
            }
        }
    }
}

#[test]
fn message_ids_never_reach_the_unsolicited_id() {
    // The all-ones MessageId is reserved for oplock breaks (§3.2.5.19).
    let mut w = CreditWindow::<1>::new(10, 0);
    w.grant(9);
    let mut n = 0u64;
    while let Ok(c) = w.charge(1, ChargeClass::Normal) {
        assert_ne!(c.first_message_id, u64::MAX);
        w.complete(&c).unwrap();
        w.grant(1);
        n += 1;
        if n > 1000 {
            break;
        }
    }
    assert!(n > 1000);
}
