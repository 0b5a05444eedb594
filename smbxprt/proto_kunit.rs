// SPDX-License-Identifier: GPL-2.0
//! The codec's known answers computed in the kernel: the same published
//! vectors as the host tests (rust/smbproto/tests), through the kernel's
//! lib/crypto (smbxprt's exported primitives) instead of RustCrypto. Agreement
//! shows the kernel implementation of the codec's crypto trait matches the
//! host's.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbproto_kat)]
mod tests {
    use crate::kext::hex::hex;
    use crate::proto::crypto::Cipher;
    use crate::proto::kdf::{derive_session_keys, KeySchedule};
    use crate::proto::ntlmssp::ntlmv2::{nt_hash, ntlmv2_response, ntowfv2, rc4_session_key};
    use crate::proto::signing::{verify, SigningAlgorithm};
    use crate::smb_crypto::SmbCrypto;

    // MS-NLMP §4.2.2.1.2 and §4.2.4 (NTLMv2 example): NTOWFv2, the
    // NtChallengeResponse of the §4.2.4.3 AUTHENTICATE_MESSAGE, the
    // SessionBaseKey and the encrypted session key.
    #[test]
    fn ntlmv2_ms_nlmp_4_2_4() {
        let p = SmbCrypto;
        let nt = nt_hash(&p, "Password").unwrap();
        assert_eq!(nt, hex::<16>("a4f49c406510bdcab6824ee7c30fd852"));
        let key = ntowfv2(&p, &nt, "User", "Domain").unwrap();
        assert_eq!(key, hex::<16>("0c868a403bfd7a93a3001ef22ef02e3f"));
        const TARGET_INFO: [u8; 36] =
            hex("02000c0044006f006d00610069006e0001000c005300650072007600650072000000 0000");
        const RESPONSE: [u8; 84] = hex(
            "68cd0ab851e51c96aabc927bebef6a1c0101000000000000000000000000000
             0aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c
             005300650072007600650072000000000000000000",
        );
        let mut out = [0u8; 128];
        let (len, base) = ntlmv2_response(
            &p,
            &key,
            &hex::<8>("0123456789abcdef"),
            &[0xaa; 8],
            0,
            &TARGET_INFO,
            &mut out,
        )
        .unwrap();
        assert_eq!(&out[..len], &RESPONSE[..]);
        assert_eq!(base, hex::<16>("8de40ccadbc14a82f15cb0ad0de95ca3"));
        assert_eq!(
            rc4_session_key(&p, &base, &[0x55; 16]),
            hex::<16>("c5dad2544fc9799094ce1ce90bc9d03e")
        );
    }

    // "SMB 2 and SMB 3 security in Windows 10: the anatomy of signing and
    // cryptographic keys" (Microsoft Open Specifications blog, 2015): the
    // SMB 3.0 keys of the first channel.
    #[test]
    fn kdf_smb30_anatomy_blog() {
        let keys = derive_session_keys(
            &SmbCrypto,
            KeySchedule::Smb30,
            &hex::<16>("7CD451825D0450D235424E44BA6E78CC"),
            Some(Cipher::Aes128Ccm),
        )
        .unwrap();
        assert_eq!(
            keys.signing_key,
            hex::<16>("0B7E9C5CAC36C0F6EA9AB275298CEDCE")
        );
        assert_eq!(
            keys.application_key,
            hex::<16>("BB23A4575AA26C721AF525AF15A87B4F")
        );
        assert_eq!(
            keys.encryption_key.unwrap().as_bytes(),
            &hex::<16>("FAD27796665B313EBB578F388632B4F7")[..]
        );
        assert_eq!(
            keys.decryption_key.unwrap().as_bytes(),
            &hex::<16>("B0F0427F7CEB416D1D9DCC0CD4F99447")[..]
        );
    }

    // The same blog, SMB 3.1.1: keys from the session's final preauth hash,
    // and the server's AES-CMAC signature on the final SESSION_SETUP response
    // verified with the derived signing key (header and body as two segments).
    #[test]
    fn kdf_and_signature_smb311_anatomy_blog() {
        const PREAUTH: [u8; 64] = hex(
            "0DD13628CC3ED218EF9DF9772D436D0887AB9814BFAE63A80AA845F36909DB79
             28622DDDAD522D9751640A459762C5A9D6BB084CBB3CE6BDADEF5D5BCE3C6C01",
        );
        const RESPONSE: [u8; 101] = hex(
            "FE534D4240000100000000000100800009000000000000000300000000000000FFFE000000000000
             1900000000100000EBE146DA120BA25FC3376A49DFE31BC10900000048001D00A11B3019A0030A01
             00A3120410010000003B453CDC3524164200000000",
        );
        let keys = derive_session_keys(
            &SmbCrypto,
            KeySchedule::Smb311 {
                preauth_hash: &PREAUTH,
            },
            &hex::<16>("270E1BA896585EEB7AF3472D3B4C75A7"),
            Some(Cipher::Aes128Gcm),
        )
        .unwrap();
        assert_eq!(
            keys.signing_key,
            hex::<16>("73FE7A9A77BEF0BDE49C650D8CCB5F76")
        );
        assert_eq!(
            keys.encryption_key.unwrap().as_bytes(),
            &hex::<16>("629BCBC54422A0F572B97F45989B6073")[..]
        );
        assert_eq!(
            keys.decryption_key.unwrap().as_bytes(),
            &hex::<16>("E2AF0DCEFAC68DA71A0DFBD0D1350D74")[..]
        );
        let (header, body) = RESPONSE.split_at(64);
        verify(
            &SmbCrypto,
            SigningAlgorithm::AesCmac,
            &keys.signing_key,
            header,
            body,
        )
        .unwrap();
        let mut tampered = RESPONSE;
        tampered[80] ^= 1;
        assert!(verify(
            &SmbCrypto,
            SigningAlgorithm::AesCmac,
            &keys.signing_key,
            &tampered,
            &[0u8; 0][..]
        )
        .is_err());
    }
}
