// SPDX-License-Identifier: GPL-2.0
//! The VERSION structure (MS-NLMP §2.2.2.10), for debugging only.

/// NTLMSSP_REVISION_W2K3: the only defined NTLMRevisionCurrent.
pub const NTLMSSP_REVISION_W2K3: u8 = 0x0F;

/// Length of a VERSION structure.
pub const VERSION_LEN: usize = 8;

/// Operating system version carried when NTLMSSP_NEGOTIATE_VERSION is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// ProductMajorVersion.
    pub major: u8,
    /// ProductMinorVersion.
    pub minor: u8,
    /// ProductBuild.
    pub build: u16,
    /// NTLMRevisionCurrent (normally [`NTLMSSP_REVISION_W2K3`]).
    pub revision: u8,
}

impl Version {
    /// The 8 wire bytes: major, minor, build (LE), 3 reserved, revision.
    pub fn to_bytes(self) -> [u8; VERSION_LEN] {
        let [b0, b1] = self.build.to_le_bytes();
        [self.major, self.minor, b0, b1, 0, 0, 0, self.revision]
    }

    /// Parses the 8 wire bytes.
    pub fn from_bytes(b: [u8; VERSION_LEN]) -> Self {
        let [major, minor, b0, b1, _, _, _, revision] = b;
        Self {
            major,
            minor,
            build: u16::from_le_bytes([b0, b1]),
            revision,
        }
    }
}
