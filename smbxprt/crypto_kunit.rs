// SPDX-License-Identifier: GPL-2.0
//! Known-answer tests of the exported SMB crypto primitives, called through
//! the C ABI (`include/smb/crypto.h`) as other modules call them, and of the
//! codec's SMB3/NTLM math computed with them.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbxprt_crypto)]
mod tests {
    use crate::kext::hex::hex;
    use crate::proto::crypto::{Cipher, CryptoProvider, IncrementalDigest};
    use crate::proto::error::Error;
    use crate::smb_crypto::{self as crypto, SmbCrypto};

    // RFC 1320 §A.5, test suite.
    #[test]
    fn md4_rfc1320() {
        assert_eq!(
            crypto::md4(b""),
            hex::<16>("31d6cfe0d16ae931b73c59d7e0c089c0")
        );
        assert_eq!(
            crypto::md4(b"abc"),
            hex::<16>("a448017aaf21d8525fc10ae87aa6729d")
        );
    }

    // RFC 2104 §Appendix, test case 1.
    #[test]
    fn hmac_md5_rfc2104() {
        let mut m = SmbCrypto.hmac_md5(&[0x0b; 16]);
        m.update(b"Hi ");
        m.update(b"There");
        assert_eq!(m.finish(), hex::<16>("9294727a3638bb1c13f48ef8158bfc9d"));
    }

    // RFC 4231 §4.3, test case 2.
    #[test]
    fn hmac_sha256_rfc4231() {
        let mut m = SmbCrypto.hmac_sha256(b"Jefe");
        m.update(b"what do ya want ");
        m.update(b"for nothing?");
        assert_eq!(
            m.finish(),
            hex::<32>("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
    }

    // FIPS 180-4 / NIST CSRC example "abc", fed in two segments.
    #[test]
    fn sha512_fips180() {
        let mut h = SmbCrypto.sha512();
        h.update(b"a");
        h.update(b"bc");
        assert_eq!(
            h.finish(),
            hex::<64>(
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a
                 2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
            )
        );
    }

    // RFC 4493 §4, examples 1 and 2 (the second split in three segments).
    #[test]
    fn aes_cmac_rfc4493() {
        const KEY: [u8; 16] = hex("2b7e151628aed2a6abf7158809cf4f3c");
        assert_eq!(
            SmbCrypto.aes_cmac(&KEY).finish(),
            hex::<16>("bb1d6929e95937287fa37d129b756746")
        );
        let msg = hex::<16>("6bc1bee22e409f96e93d7e117393172a");
        let mut m = SmbCrypto.aes_cmac(&KEY);
        m.update(&msg[..3]);
        m.update(&msg[3..10]);
        m.update(&msg[10..]);
        assert_eq!(m.finish(), hex::<16>("070a16b46b4d4144f79bdd9dd04a287c"));
    }

    // The GCM specification (McGrew & Viega), test case 4: 60 bytes of data,
    // 20 of associated data, sealed from uneven segments, then opened; a
    // flipped tag bit must be refused.
    #[test]
    fn aes_gcm_spec_test_case_4() {
        const KEY: [u8; 16] = hex("feffe9928665731c6d6a8f9467308308");
        const IV: [u8; 12] = hex("cafebabefacedbaddecaf888");
        const AAD: [u8; 20] = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        const PT: [u8; 60] = hex(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        );
        const CT: [u8; 60] = hex(
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        );
        const TAG: [u8; 16] = hex("5bc94fbc3221a5db94fae95ae7121a47");
        let mut buf = PT;
        let mut tag = [0u8; 16];
        {
            let (a, b) = buf.split_at_mut(17);
            let mut segs: [&mut [u8]; 2] = [a, b];
            let aad: [&[u8]; 2] = [&AAD[..5], &AAD[5..]];
            SmbCrypto
                .aead_seal(
                    Cipher::Aes128Gcm,
                    &KEY,
                    &IV,
                    &&aad[..],
                    &mut &mut segs[..],
                    &mut tag,
                )
                .unwrap();
        }
        assert_eq!(buf, CT);
        assert_eq!(tag, TAG);
        SmbCrypto
            .aead_open(Cipher::Aes128Gcm, &KEY, &IV, &AAD, &mut buf, &TAG)
            .unwrap();
        assert_eq!(buf, PT);
        let mut bad = TAG;
        bad[0] ^= 1;
        let mut ct = CT;
        assert_eq!(
            SmbCrypto.aead_open(Cipher::Aes128Gcm, &KEY, &IV, &AAD, &mut ct, &bad),
            Err(Error::BadSignature)
        );
    }

    // AES-CCM and AES-256-GCM as SMB uses them (16-byte tag; CCM with an
    // 11-byte nonce). Expected values computed with pyca/cryptography 48
    // (OpenSSL) and cross-checked by the codec's host tests (RustCrypto).
    #[test]
    fn aes_ccm_and_gcm256_smb_parameters() {
        const KEY128: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f");
        const KEY256: [u8; 32] =
            hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        const NONCE11: [u8; 11] = hex("101112131415161718191a");
        const PT: &[u8; 43] = b"The quick brown fox jumps over the lazy dog";
        const AAD: &[u8; 13] = b"smbfs-ccm-aad";
        // (cipher, key, nonce, ciphertext, tag)
        type Case<'a> = (Cipher, &'a [u8], &'a [u8], [u8; 43], [u8; 16]);
        let cases: [Case<'_>; 3] = [
            (
                Cipher::Aes128Ccm,
                &KEY128,
                &NONCE11,
                hex(
                    "180718fbb1c838c8e52c8b114d14f08e4707a07925a8179f9960e975f88af29e
                     61af54d622381640fc1ca6",
                ),
                hex("8f92a115dee271dddf854598a5b247ec"),
            ),
            (
                Cipher::Aes256Ccm,
                &KEY256,
                &NONCE11,
                hex(
                    "73368ab83eb37469045910d78d09bbbc45bcb75116e2c053d272e3673eb0b3c0
                     cf72bd44eb645b401891be",
                ),
                hex("b121be502e47cba47856a89b4249e220"),
            ),
            (
                Cipher::Aes256Gcm,
                &KEY256,
                &[0u8; 12],
                hex(
                    "5ad4d0fec459eade6388cb47775bffb9b42c2e7342f40d5ff3bedcf5a08d7d22
                     263ac6d04b88c12657ac16",
                ),
                hex("5c553eae54c3f1ed0b852eeebde01810"),
            ),
        ];
        for (cipher, key, nonce, ct, want_tag) in cases {
            let mut buf = *PT;
            let mut tag = [0u8; 16];
            SmbCrypto
                .aead_seal(cipher, key, nonce, AAD, &mut buf, &mut tag)
                .unwrap();
            assert_eq!(buf, ct);
            assert_eq!(tag, want_tag);
            SmbCrypto
                .aead_open(cipher, key, nonce, AAD, &mut buf, &tag)
                .unwrap();
            assert_eq!(&buf, PT);
        }
    }

    // RFC 6229 §2, key 0x0102030405: the first 16 keystream bytes.
    #[test]
    fn arc4_rfc6229() {
        let mut buf = [0u8; 16];
        crypto::arc4(&hex::<5>("0102030405"), &mut buf).unwrap();
        assert_eq!(buf, hex::<16>("b2396305f03dc027ccc3524a0a1118a8"));
        assert!(crypto::arc4(&[], &mut buf).is_err());
    }
}
