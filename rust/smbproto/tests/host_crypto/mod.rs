// SPDX-License-Identifier: GPL-2.0
//! Host implementation of `CryptoProvider` over the RustCrypto crates, plus
//! small helpers shared by the part-B integration tests.
#![allow(dead_code)]

use aes::{Aes128, Aes256};
use aes_gcm::aead::consts::{U11, U16};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit};
use ccm::Ccm;
use cmac::Cmac;
use hmac::{Hmac, Mac};
use md4::Md4;
use md5::Md5;
use sha2::{Digest, Sha256, Sha512};
use smbproto::proto::crypto::{
    Cipher, CryptoProvider, IncrementalDigest, Segments, SegmentsMut, AEAD_TAG_LEN,
};
use smbproto::proto::{Error, Result};

type Aes128Ccm = Ccm<Aes128, U16, U11>;
type Aes256Ccm = Ccm<Aes256, U16, U11>;

/// The host provider.
pub(crate) struct HostCrypto;

pub(crate) struct HmacMd5(Hmac<Md5>);
pub(crate) struct HmacSha256(Hmac<Sha256>);
pub(crate) struct Sha512State(Sha512);
pub(crate) struct AesCmac(Cmac<Aes128>);

impl IncrementalDigest<16> for HmacMd5 {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data)
    }
    fn finish(self) -> [u8; 16] {
        self.0.finalize().into_bytes().into()
    }
}

impl IncrementalDigest<32> for HmacSha256 {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data)
    }
    fn finish(self) -> [u8; 32] {
        self.0.finalize().into_bytes().into()
    }
}

impl IncrementalDigest<64> for Sha512State {
    fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data)
    }
    fn finish(self) -> [u8; 64] {
        self.0.finalize().into()
    }
}

impl IncrementalDigest<16> for AesCmac {
    fn update(&mut self, data: &[u8]) {
        self.0.update(data)
    }
    fn finish(self) -> [u8; 16] {
        self.0.finalize().into_bytes().into()
    }
}

/// Gathers segments into one buffer (the host reference may copy).
pub(crate) fn gather(s: &dyn Segments) -> Vec<u8> {
    let mut v = Vec::new();
    s.for_each_segment(&mut |seg| v.extend_from_slice(seg));
    v
}

fn gather_mut(s: &mut dyn SegmentsMut) -> Vec<u8> {
    let mut v = Vec::new();
    s.for_each_segment_mut(&mut |seg| v.extend_from_slice(seg));
    v
}

fn scatter(s: &mut dyn SegmentsMut, data: &[u8]) {
    let mut off = 0;
    s.for_each_segment_mut(&mut |seg| {
        let n = seg.len();
        seg.copy_from_slice(&data[off..off + n]);
        off += n;
    });
}

impl CryptoProvider for HostCrypto {
    type HmacMd5 = HmacMd5;
    type HmacSha256 = HmacSha256;
    type Sha512 = Sha512State;
    type AesCmac = AesCmac;

    fn md4(&self, data: &[u8]) -> [u8; 16] {
        Md4::digest(data).into()
    }

    fn hmac_md5(&self, key: &[u8]) -> HmacMd5 {
        HmacMd5(<Hmac<Md5> as Mac>::new_from_slice(key).expect("HMAC takes any key"))
    }

    fn hmac_sha256(&self, key: &[u8]) -> HmacSha256 {
        HmacSha256(<Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key"))
    }

    fn sha512(&self) -> Sha512State {
        Sha512State(Sha512::new())
    }

    fn aes_cmac(&self, key: &[u8; 16]) -> AesCmac {
        AesCmac(<Cmac<Aes128> as Mac>::new_from_slice(key).expect("16-byte key"))
    }

    fn aead_seal(
        &self,
        cipher: Cipher,
        key: &[u8],
        nonce: &[u8],
        aad: &dyn Segments,
        data: &mut dyn SegmentsMut,
        tag: &mut [u8; AEAD_TAG_LEN],
    ) -> Result<()> {
        let aad = gather(aad);
        let mut buf = gather_mut(data);
        let t = match cipher {
            Cipher::Aes128Gcm => Aes128Gcm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .encrypt_in_place_detached(nonce.into(), &aad, &mut buf),
            Cipher::Aes256Gcm => Aes256Gcm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .encrypt_in_place_detached(nonce.into(), &aad, &mut buf),
            Cipher::Aes128Ccm => Aes128Ccm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .encrypt_in_place_detached(nonce.into(), &aad, &mut buf),
            Cipher::Aes256Ccm => Aes256Ccm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .encrypt_in_place_detached(nonce.into(), &aad, &mut buf),
        }
        .map_err(|_| Error::Malformed)?;
        tag.copy_from_slice(&t);
        scatter(data, &buf);
        Ok(())
    }

    fn aead_open(
        &self,
        cipher: Cipher,
        key: &[u8],
        nonce: &[u8],
        aad: &dyn Segments,
        data: &mut dyn SegmentsMut,
        tag: &[u8; AEAD_TAG_LEN],
    ) -> Result<()> {
        let aad = gather(aad);
        let mut buf = gather_mut(data);
        let tag = tag.into();
        match cipher {
            Cipher::Aes128Gcm => Aes128Gcm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .decrypt_in_place_detached(nonce.into(), &aad, &mut buf, tag),
            Cipher::Aes256Gcm => Aes256Gcm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .decrypt_in_place_detached(nonce.into(), &aad, &mut buf, tag),
            Cipher::Aes128Ccm => Aes128Ccm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .decrypt_in_place_detached(nonce.into(), &aad, &mut buf, tag),
            Cipher::Aes256Ccm => Aes256Ccm::new_from_slice(key)
                .map_err(|_| Error::Malformed)?
                .decrypt_in_place_detached(nonce.into(), &aad, &mut buf, tag),
        }
        .map_err(|_| Error::BadSignature)?;
        scatter(data, &buf);
        Ok(())
    }

    fn arc4(&self, key: &[u8], data: &mut [u8]) {
        // RC4 as in the original 1994 posting: KSA then PRGA.
        let mut s: [u8; 256] = core::array::from_fn(|i| i as u8);
        let mut j = 0u8;
        for i in 0..256 {
            j = j.wrapping_add(s[i]).wrapping_add(key[i % key.len()]);
            s.swap(i, j as usize);
        }
        let (mut i, mut j) = (0u8, 0u8);
        for b in data.iter_mut() {
            i = i.wrapping_add(1);
            j = j.wrapping_add(s[i as usize]);
            s.swap(i as usize, j as usize);
            *b ^= s[s[i as usize].wrapping_add(s[j as usize]) as usize];
        }
    }
}

/// Decodes hex, ignoring whitespace.
pub(crate) fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    assert!(digits.len() % 2 == 0, "odd hex length");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// Fixed-size hex.
pub(crate) fn hex_n<const N: usize>(s: &str) -> [u8; N] {
    hex(s).try_into().expect("hex length")
}

/// Splits `data` at the sorted cut points into owned segments.
pub(crate) fn split_at_points(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points {
        out.push(data[start..p].to_vec());
        start = p;
    }
    out.push(data[start..].to_vec());
    out
}
