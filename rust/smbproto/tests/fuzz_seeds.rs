// SPDX-License-Identifier: GPL-2.0
//! The fuzz seeds work, and every committed fuzz input still passes.
//!
//! * Every seed under `fuzz/seeds/<target>/` (made from the ksmbd captures
//!   by tools/testing/vectors/extract.py, plus the encoder-made ones below)
//!   is what its target expects: `dispatch` seeds decode through
//!   `decode_response_any` (or, for client messages, every PDU through
//!   `decode_request`), `ntlmssp_challenge` seeds are CHALLENGE tokens
//!   that get an AUTHENTICATE, `transform_decrypt` seeds are well-formed
//!   transform messages. A seed that does not decode would waste the
//!   fuzzer's time on the first error path.
//! * Every seed and every saved crash reproducer under
//!   `fuzz/regressions/<target>/` runs through the fuzz targets' own bodies
//!   (`fuzz/harness.rs`), so a fixed crash stays fixed under `cargo test`.
//! * The encoder-made seeds (messages the captures do not contain: oplock
//!   and lease breaks, an async interim response, a copychunk response, a
//!   compound) match the encoders; `SMBFS_WRITE_SEEDS=1 cargo test --test
//!   fuzz_seeds` rewrites them.
#![allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

#[path = "../fuzz/harness.rs"]
mod harness;
mod host_crypto;

use std::fs;
use std::path::{Path, PathBuf};

use smbproto::proto::close::CloseResponse;
use smbproto::proto::compound::CompoundBuilder;
use smbproto::proto::compound::CompoundIter;
use smbproto::proto::create::CreateResponse;
use smbproto::proto::create_ctx::CreateContexts;
use smbproto::proto::dispatch::{decode_request, decode_response_any};
use smbproto::proto::error_resp::ErrorResponse;
use smbproto::proto::header::{flags, Command, Header, HeaderTarget, UNSOLICITED_MESSAGE_ID};
use smbproto::proto::ioctl::{ctl_code, CopyChunkResponse, IoctlResponse};
use smbproto::proto::message::{encode, FileId};
use smbproto::proto::ntlmssp::challenge::ChallengeMessage;
use smbproto::proto::oplock::{BreakMessage, LeaseBreakNotification, OplockBreak};
use smbproto::proto::status::code;
use smbproto::proto::transform::{transform_payload, TransformHeader};

const TARGETS: [&str; 3] = ["dispatch", "ntlmssp_challenge", "transform_decrypt"];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, sorted; none if it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

fn run_target(target: &str, data: &[u8]) {
    match target {
        "dispatch" => harness::dispatch(data),
        "ntlmssp_challenge" => harness::ntlmssp_challenge(data),
        "transform_decrypt" => harness::transform_decrypt(data),
        _ => unreachable!(),
    }
}

#[test]
fn seeds_are_what_their_target_expects() {
    for target in TARGETS {
        let seeds = files(&fuzz_dir().join("seeds").join(target));
        assert!(
            !seeds.is_empty(),
            "no seeds in fuzz/seeds/{target} (tools/testing/vectors/extract.py --seeds writes them)"
        );
        for path in &seeds {
            let data = fs::read(path).unwrap();
            let name = path.display();
            match target {
                "dispatch" => {
                    if data.len() > 16 && data[16] & 1 == 0 && data[0] == 0xFE {
                        // A request: every PDU of the chain decodes.
                        for pdu in CompoundIter::new(&data) {
                            let pdu = pdu.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                            let r = decode_request(pdu);
                            assert!(r.is_ok(), "{name}: {r:?}");
                        }
                    } else {
                        let r = decode_response_any(&data);
                        assert!(r.is_ok(), "{name}: {r:?}");
                    }
                }
                "ntlmssp_challenge" => {
                    let c = ChallengeMessage::new_checked(&data);
                    assert!(c.is_ok(), "{name}: {c:?}");
                }
                "transform_decrypt" => {
                    let h = TransformHeader::parse(&data);
                    assert!(h.is_ok(), "{name}: {h:?}");
                    assert!(transform_payload(&data).is_ok(), "{name}: payload length");
                }
                _ => unreachable!(),
            }
        }
    }
}

#[test]
fn seeds_and_regressions_pass_the_fuzz_targets() {
    let mut n = 0;
    for target in TARGETS {
        for dir in ["seeds", "regressions"] {
            for path in files(&fuzz_dir().join(dir).join(target)) {
                let data = fs::read(&path).unwrap();
                let r = std::panic::catch_unwind(|| run_target(target, &data));
                assert!(r.is_ok(), "{target} panics on {}", path.display());
                n += 1;
            }
        }
    }
    assert!(n > 0);
}

// ---- encoder-made seeds ------------------------------------------------------

fn response_header(command: Command, message_id: u64) -> Header {
    let mut h = Header::request(command);
    h.flags = flags::SERVER_TO_REDIR;
    h.message_id = message_id;
    h.session_id = 0x0000_0400_0000_0011;
    h.target = HeaderTarget::Sync { tree_id: 1 };
    h
}

/// Messages the captures lack, built with the codec's encoders.
fn encoder_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    let fid = FileId {
        persistent: 0x11,
        volatile: 0x22,
    };

    // Unsolicited oplock break notification (MS-SMB2 §2.2.23.1).
    let mut h = response_header(Command::OplockBreak, UNSOLICITED_MESSAGE_ID);
    h.session_id = 0;
    h.target = HeaderTarget::Sync { tree_id: 0 };
    let n = encode(
        &h,
        &OplockBreak {
            oplock_level: 1,
            file_id: fid,
        },
        &mut buf,
    )
    .unwrap();
    out.push(("enc-oplock-break", buf[..n].to_vec()));

    // Lease break notification (§2.2.23.2).
    let n = encode(
        &h,
        &LeaseBreakNotification {
            new_epoch: 2,
            flags: 1,
            lease_key: [0xAB; 16],
            current_lease_state: 7,
            new_lease_state: 1,
            ..Default::default()
        },
        &mut buf,
    )
    .unwrap();
    out.push(("enc-lease-break", buf[..n].to_vec()));

    // Async interim response: STATUS_PENDING with an ERROR body (§3.3.4.2).
    let mut h = response_header(Command::Create, 9);
    h.status = code::STATUS_PENDING;
    h.target = HeaderTarget::Async { async_id: 0x77 };
    let n = encode(
        &h,
        &ErrorResponse {
            error_context_count: 0,
            error_data: &[],
        },
        &mut buf,
    )
    .unwrap();
    out.push(("enc-interim-pending", buf[..n].to_vec()));

    // Copychunk response (§2.2.32.1) inside an IOCTL response.
    let mut chunk = [0u8; CopyChunkResponse::LEN];
    CopyChunkResponse {
        chunks_written: 16,
        chunk_bytes_written: 1 << 20,
        total_bytes_written: 16 << 20,
    }
    .emit(&mut chunk)
    .unwrap();
    let n = encode(
        &response_header(Command::Ioctl, 10),
        &IoctlResponse {
            ctl_code: ctl_code::FSCTL_SRV_COPYCHUNK_WRITE,
            file_id: fid,
            input: &[],
            output: &chunk,
            flags: 0,
        },
        &mut buf,
    )
    .unwrap();
    out.push(("enc-copychunk", buf[..n].to_vec()));

    // A related compound: CREATE + CLOSE responses.
    let mut chain = vec![0u8; 4096];
    let mut cb = CompoundBuilder::new(&mut chain, true);
    cb.push_with(|b| {
        encode(
            &response_header(Command::Create, 11),
            &CreateResponse {
                oplock_level: 0,
                flags: 0,
                create_action: 1,
                creation_time: 0x01DA_0000_0000_0000,
                last_access_time: 0x01DA_0000_0000_0000,
                last_write_time: 0x01DA_0000_0000_0000,
                change_time: 0x01DA_0000_0000_0000,
                allocation_size: 4096,
                end_of_file: 100,
                file_attributes: 0x20,
                file_id: fid,
                contexts: CreateContexts::NONE,
            },
            b,
        )
    })
    .unwrap();
    cb.push_with(|b| {
        encode(
            &response_header(Command::Close, 12),
            &CloseResponse {
                flags: 1,
                creation_time: 0x01DA_0000_0000_0000,
                last_access_time: 0x01DA_0000_0000_0000,
                last_write_time: 0x01DA_0000_0000_0000,
                change_time: 0x01DA_0000_0000_0000,
                allocation_size: 4096,
                end_of_file: 100,
                file_attributes: 0x20,
            },
            b,
        )
    })
    .unwrap();
    let n = cb.finish().unwrap();
    out.push(("enc-compound-create-close", chain[..n].to_vec()));
    out
}

#[test]
fn encoder_seeds_are_current() {
    let dir = fuzz_dir().join("seeds").join("dispatch");
    let write = std::env::var_os("SMBFS_WRITE_SEEDS").is_some();
    for (name, bytes) in encoder_seeds() {
        // Each decodes, and the breaks decode as what they are.
        assert!(decode_response_any(&bytes).is_ok(), "{name}");
        if name.contains("break") {
            assert!(BreakMessage::parse(&bytes).is_ok(), "{name}");
        }
        let path = dir.join(name);
        if write {
            fs::create_dir_all(&dir).unwrap();
            fs::write(&path, &bytes).unwrap();
        }
        let on_disk = fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; SMBFS_WRITE_SEEDS=1 cargo test --test fuzz_seeds writes it",
                path.display()
            )
        });
        assert_eq!(
            on_disk, bytes,
            "{name} is stale; rewrite with SMBFS_WRITE_SEEDS=1"
        );
    }
}
