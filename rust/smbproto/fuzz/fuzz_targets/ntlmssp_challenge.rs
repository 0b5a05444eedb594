// SPDX-License-Identifier: GPL-2.0
//! Fuzz target `ntlmssp_challenge`: the NTLMSSP CHALLENGE parser, AV pair iteration and the AUTHENTICATE built from it.
//! The body is `harness::ntlmssp_challenge` (shared with tests/fuzz_seeds.rs).
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../../tests/host_crypto/mod.rs"]
mod host_crypto;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::ntlmssp_challenge(data));
