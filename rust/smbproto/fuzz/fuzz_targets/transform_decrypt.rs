// SPDX-License-Identifier: GPL-2.0
//! Fuzz target `transform_decrypt`: the transform header parser and AES-CCM/GCM decryption in place under fixed keys.
//! The body is `harness::transform_decrypt` (shared with tests/fuzz_seeds.rs).
#![no_main]

#[path = "../harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../../tests/host_crypto/mod.rs"]
mod host_crypto;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::transform_decrypt(data));
