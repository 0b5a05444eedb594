// SPDX-License-Identifier: GPL-2.0
//! Property test of the credit/MessageId window (MS-SMB2 §3.2.4.1.5,
//! §3.2.5.1.4) against a straightforward model built on std collections:
//! counts, the reserve, MessageIds never handed out twice while in use,
//! and MessageIds given back (at the end or as holes) reused rather than
//! skipped.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::collections::BTreeSet;

use proptest::prelude::*;
use smbproto::proto::credits::{Charge, ChargeClass, CreditError, CreditWindow, MAX_HOLES};

#[derive(Debug, Clone)]
enum Op {
    Charge(u16, bool),
    Grant(u16),
    Complete(usize),
    Abandon(usize),
    Reset,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u16..6, any::<bool>()).prop_map(|(n, p)| Op::Charge(n, p)),
        3 => (0u16..40).prop_map(Op::Grant),
        3 => any::<usize>().prop_map(Op::Complete),
        2 => any::<usize>().prop_map(Op::Abandon),
        1 => Just(Op::Reset),
    ]
}

/// The model: credit counts, and the set of MessageIds in use or never
/// used below the end of the range (the "gaps" a server would wait for).
struct Model {
    max: u32,
    reserve: u32,
    available: u32,
    in_flight: u32,
    next: u64,
    /// MessageIds handed out and not given back (in flight or answered).
    used: BTreeSet<u64>,
    lost: u64,
}

impl Model {
    fn grant(&mut self, n: u16) {
        let room = self.max.saturating_sub(self.in_flight);
        self.available = (self.available + u32::from(n)).min(room);
    }

    fn could(&self, n: u16, priority: bool) -> bool {
        let held = self.available + self.in_flight;
        // An ordinary request keeps the reserve, but never so much that
        // it could not go at all.
        let keep = if priority {
            0
        } else {
            self.reserve.min(held.saturating_sub(u32::from(n)))
        };
        n != 0 && self.available >= u32::from(n) + keep
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn window_matches_model(max in 1u32..120, reserve in 0u32..4, ops in proptest::collection::vec(op(), 1..300)) {
        let mut w = CreditWindow::new(max, reserve);
        let mut m = Model { max, reserve, available: 1, in_flight: 0, next: 0, used: BTreeSet::new(), lost: 0 };
        let mut charges: Vec<Charge> = Vec::new();
        for op in ops {
            match op {
                Op::Charge(n, p) => {
                    let class = if p { ChargeClass::Priority } else { ChargeClass::Normal };
                    prop_assert_eq!(w.could_charge(n, class), m.could(n, p));
                    let got = w.charge(n, class);
                    if n == 0 {
                        prop_assert_eq!(got, Err(CreditError::ZeroCharge));
                        continue;
                    }
                    if !m.could(n, p) {
                        prop_assert_eq!(got, Err(CreditError::NotEnoughCredits));
                        continue;
                    }
                    let c = got.unwrap();
                    prop_assert_eq!(c.count, n);
                    prop_assert_eq!(c.generation, w.generation());
                    // Never a MessageId already in use.
                    for mid in c.first_message_id..c.end() {
                        prop_assert!(m.used.insert(mid), "mid {} handed out twice", mid);
                    }
                    m.next = m.next.max(c.end());
                    m.available -= u32::from(n);
                    m.in_flight += u32::from(n);
                    charges.push(c);
                }
                Op::Grant(n) => {
                    w.grant(n);
                    m.grant(n);
                }
                Op::Complete(i) if !charges.is_empty() => {
                    let c = charges.swap_remove(i % charges.len());
                    prop_assert_eq!(w.complete(&c), Ok(()));
                    m.in_flight -= u32::from(c.count);
                }
                Op::Abandon(i) if !charges.is_empty() => {
                    let c = charges.swap_remove(i % charges.len());
                    let holes_before = w.holes().len();
                    let tail = c.end() == w.next_message_id();
                    prop_assert_eq!(w.abandon(&c), Ok(()));
                    m.in_flight -= u32::from(c.count);
                    // Given back either way: reused, or written off with
                    // its credits (no hole left to keep it in).
                    for mid in c.first_message_id..c.end() {
                        m.used.remove(&mid);
                    }
                    if !tail && holes_before == MAX_HOLES {
                        m.lost += u64::from(c.count);
                    } else {
                        m.grant(c.count);
                    }
                }
                Op::Complete(_) | Op::Abandon(_) => {}
                Op::Reset => {
                    charges.clear();
                    w.reset();
                    m = Model { max, reserve, available: 1, in_flight: 0, next: 0, used: BTreeSet::new(), lost: 0 };
                }
            }
            prop_assert_eq!(w.available(), m.available);
            prop_assert_eq!(w.in_flight(), m.in_flight);
            prop_assert_eq!(w.in_flight_requests() as usize, charges.len());
            prop_assert!(w.available() + w.in_flight() <= max);
            prop_assert_eq!(w.lost(), m.lost);
            // Every MessageId below the end of the range is in use, in a
            // hole waiting to be reused, or written off with its credits:
            // none is skipped silently.
            let in_holes: u64 = w.holes().iter().map(|h| u64::from(h.1)).sum();
            let used_below = m.used.range(..w.next_message_id()).count() as u64;
            prop_assert_eq!(used_below + in_holes + m.lost, w.next_message_id());
        }
    }
}

#[test]
fn message_ids_never_reach_the_unsolicited_id() {
    // The all-ones MessageId is reserved for oplock breaks (§3.2.5.19).
    let mut w = CreditWindow::new(10, 0);
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
