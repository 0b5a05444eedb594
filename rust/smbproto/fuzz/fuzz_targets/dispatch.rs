// SPDX-License-Identifier: GPL-2.0
//! Fuzz target `dispatch`: every response decoder through the dispatcher, the header fast path, framing, compound chains and the READ split.
//! The body is `harness::dispatch` (shared with tests/fuzz_seeds.rs).
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../../tests/host_crypto/mod.rs"]
mod host_crypto;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::dispatch(data));
