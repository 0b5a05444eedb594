// SPDX-License-Identifier: GPL-2.0
//! smbclient.ko's exported NTLM functions, called through the safe Rust
//! wrapper of `include/smb/auth.h` (so through the module chain smbfs →
//! smbclient → smbxprt), checked against MS-NLMP §4.2.
#![forbid(unsafe_code)]

#[kernel::macros::kunit_tests(smbfs_auth)]
mod tests {
    use crate::kext::hex::hex;
    use crate::smb_auth::{nt_hash, ntlmv2_response, Ntlmv2Input};
    use kernel::error::code::{EINVAL, ENOSPC};

    // MS-NLMP §4.2.2.1.2: NTOWFv1("Password").
    #[test]
    fn nt_hash_ms_nlmp_4_2_2() {
        assert_eq!(
            nt_hash("Password").unwrap(),
            hex::<16>("a4f49c406510bdcab6824ee7c30fd852")
        );
    }

    // MS-NLMP §4.2.4.3: the NtChallengeResponse in the example
    // AUTHENTICATE_MESSAGE and §4.2.4.1.2's SessionBaseKey.
    #[test]
    fn ntlmv2_response_ms_nlmp_4_2_4() {
        const TARGET_INFO: [u8; 36] =
            hex("02000c0044006f006d00610069006e0001000c005300650072007600650072000000 0000");
        const RESPONSE: [u8; 84] = hex(
            "68cd0ab851e51c96aabc927bebef6a1c0101000000000000000000000000000
             0aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c
             005300650072007600650072000000000000000000",
        );
        let nt = nt_hash("Password").unwrap();
        let input = Ntlmv2Input {
            nt_hash: &nt,
            user: "User",
            domain: "Domain",
            server_challenge: &hex::<8>("0123456789abcdef"),
            client_challenge: &[0xaa; 8],
            time: 0,
            target_info: &TARGET_INFO,
        };
        let mut out = [0u8; 128];
        let (len, base) = ntlmv2_response(&input, &mut out).unwrap();
        assert_eq!(&out[..len], &RESPONSE[..]);
        assert_eq!(base, hex::<16>("8de40ccadbc14a82f15cb0ad0de95ca3"));
        // Errors cross the ABI as errnos.
        assert_eq!(ntlmv2_response(&input, &mut out[..83]), Err(ENOSPC));
        let bad = Ntlmv2Input {
            target_info: &TARGET_INFO[..10],
            ..input
        };
        assert_eq!(ntlmv2_response(&bad, &mut out), Err(EINVAL));
    }
}
