// SPDX-License-Identifier: GPL-2.0
//! File and file-system information classes carried by QUERY_INFO and
//! SET_INFO (MS-FSCC §2.4, §2.5; MS-SMB2 §2.2.37-2.2.40).
//!
//! Names are raw UTF-16LE bytes.

use super::error::{Error, Result};
use super::message::{to_u32, usize_from};
use super::wire;

/// FileInfoClass values for InfoType FILE (MS-FSCC §2.4).
pub mod file_info_class {
    /// FileBasicInformation.
    pub const BASIC: u8 = 4;
    /// FileStandardInformation.
    pub const STANDARD: u8 = 5;
    /// FileInternalInformation.
    pub const INTERNAL: u8 = 6;
    /// FileRenameInformation.
    pub const RENAME: u8 = 10;
    /// FileDispositionInformation.
    pub const DISPOSITION: u8 = 13;
    /// FileAllInformation.
    pub const ALL: u8 = 18;
    /// FileEndOfFileInformation.
    pub const END_OF_FILE: u8 = 20;
}

/// FileInfoClass values for InfoType FILESYSTEM (MS-FSCC §2.5).
pub mod fs_info_class {
    /// FileFsVolumeInformation.
    pub const VOLUME: u8 = 1;
    /// FileFsAttributeInformation.
    pub const ATTRIBUTE: u8 = 5;
    /// FileFsFullSizeInformation.
    pub const FULL_SIZE: u8 = 7;
}

/// An information class: what InfoType/FileInfoClass to ask for and how to
/// encode and decode its buffer.
pub trait InfoClass<'a>: Sized {
    /// InfoType (1 file, 2 file system).
    const INFO_TYPE: u8;
    /// FileInfoClass.
    const CLASS: u8;
    /// Decodes the buffer. `Truncated` if short; `Oversized` if an embedded
    /// length runs past it.
    fn parse(buf: &'a [u8]) -> Result<Self>;
    /// Encodes into `out`; returns the length.
    fn emit(&self, out: &mut [u8]) -> Result<usize>;
}

fn name_at(buf: &[u8], len_off: usize, name_off: usize) -> Result<&[u8]> {
    let len = usize_from(wire::get_u32(buf, len_off)?)?;
    wire::slice(buf, name_off, len).map_err(|_| Error::Oversized)
}

fn put_name(out: &mut [u8], len_off: usize, name_off: usize, name: &[u8]) -> Result<usize> {
    wire::put_u32(out, len_off, to_u32(name.len())?)?;
    wire::put_bytes(out, name_off, name)?;
    name_off.checked_add(name.len()).ok_or(Error::Overflow)
}

fn get_u8(buf: &[u8], off: usize) -> Result<u8> {
    buf.get(off).copied().ok_or(Error::Truncated)
}

/// Zero `out[..len]` before writing a fixed structure.
fn clear(out: &mut [u8], len: usize) -> Result<()> {
    out.get_mut(..len).ok_or(Error::BufferTooSmall)?.fill(0);
    Ok(())
}

/// FileBasicInformation (MS-FSCC §2.4.7): 40 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileBasicInformation {
    /// CreationTime (0: unchanged on set).
    pub creation_time: u64,
    /// LastAccessTime.
    pub last_access_time: u64,
    /// LastWriteTime.
    pub last_write_time: u64,
    /// ChangeTime.
    pub change_time: u64,
    /// FileAttributes (0: unchanged on set).
    pub file_attributes: u32,
}

impl FileBasicInformation {
    /// Encoded size.
    pub const LEN: usize = 40;
}

impl<'a> InfoClass<'a> for FileBasicInformation {
    const INFO_TYPE: u8 = 1;
    const CLASS: u8 = file_info_class::BASIC;
    fn parse(b: &'a [u8]) -> Result<Self> {
        Ok(Self {
            creation_time: wire::get_u64(b, 0)?,
            last_access_time: wire::get_u64(b, 8)?,
            last_write_time: wire::get_u64(b, 16)?,
            change_time: wire::get_u64(b, 24)?,
            file_attributes: wire::get_u32(b, 32)?,
        })
        .and_then(|v| wire::get_u32(b, 36).map(|_| v))
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        clear(o, Self::LEN)?;
        wire::put_u64(o, 0, self.creation_time)?;
        wire::put_u64(o, 8, self.last_access_time)?;
        wire::put_u64(o, 16, self.last_write_time)?;
        wire::put_u64(o, 24, self.change_time)?;
        wire::put_u32(o, 32, self.file_attributes)?;
        Ok(Self::LEN)
    }
}

/// FileStandardInformation (MS-FSCC §2.4.41): 24 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileStandardInformation {
    /// AllocationSize.
    pub allocation_size: u64,
    /// EndOfFile.
    pub end_of_file: u64,
    /// NumberOfLinks.
    pub number_of_links: u32,
    /// DeletePending.
    pub delete_pending: bool,
    /// Directory.
    pub directory: bool,
}

impl FileStandardInformation {
    /// Encoded size.
    pub const LEN: usize = 24;
}

impl<'a> InfoClass<'a> for FileStandardInformation {
    const INFO_TYPE: u8 = 1;
    const CLASS: u8 = file_info_class::STANDARD;
    fn parse(b: &'a [u8]) -> Result<Self> {
        wire::get_u16(b, 22)?;
        Ok(Self {
            allocation_size: wire::get_u64(b, 0)?,
            end_of_file: wire::get_u64(b, 8)?,
            number_of_links: wire::get_u32(b, 16)?,
            delete_pending: get_u8(b, 20)? != 0,
            directory: get_u8(b, 21)? != 0,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        clear(o, Self::LEN)?;
        wire::put_u64(o, 0, self.allocation_size)?;
        wire::put_u64(o, 8, self.end_of_file)?;
        wire::put_u32(o, 16, self.number_of_links)?;
        wire::put_bytes(
            o,
            20,
            &[u8::from(self.delete_pending), u8::from(self.directory)],
        )?;
        Ok(Self::LEN)
    }
}

/// FileAllInformation (MS-FSCC §2.4.2): basic (40), standard (24),
/// internal (8), EA (4), access (4), position (8), mode (4), alignment (4),
/// then FileNameLength (4) and the name at 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileAllInformation<'a> {
    /// BasicInformation.
    pub basic: FileBasicInformation,
    /// StandardInformation.
    pub standard: FileStandardInformation,
    /// InternalInformation.IndexNumber (the inode number).
    pub index_number: u64,
    /// EaInformation.EaSize.
    pub ea_size: u32,
    /// AccessInformation.AccessFlags.
    pub access_flags: u32,
    /// PositionInformation.CurrentByteOffset.
    pub current_byte_offset: u64,
    /// ModeInformation.Mode.
    pub mode: u32,
    /// AlignmentInformation.AlignmentRequirement.
    pub alignment_requirement: u32,
    /// NameInformation.FileName (often empty or truncated by
    /// STATUS_BUFFER_OVERFLOW).
    pub file_name: &'a [u8],
}

impl FileAllInformation<'_> {
    /// Offset of the name.
    pub const NAME_OFFSET: usize = 100;
}

impl<'a> InfoClass<'a> for FileAllInformation<'a> {
    const INFO_TYPE: u8 = 1;
    const CLASS: u8 = file_info_class::ALL;
    fn parse(b: &'a [u8]) -> Result<Self> {
        let standard = FileStandardInformation::parse(b.get(40..).ok_or(Error::Truncated)?)?;
        Ok(Self {
            basic: FileBasicInformation::parse(b)?,
            standard,
            index_number: wire::get_u64(b, 64)?,
            ea_size: wire::get_u32(b, 72)?,
            access_flags: wire::get_u32(b, 76)?,
            current_byte_offset: wire::get_u64(b, 80)?,
            mode: wire::get_u32(b, 88)?,
            alignment_requirement: wire::get_u32(b, 92)?,
            file_name: name_at(b, 96, Self::NAME_OFFSET)?,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        clear(o, Self::NAME_OFFSET)?;
        self.basic.emit(o)?;
        self.standard
            .emit(o.get_mut(40..).ok_or(Error::BufferTooSmall)?)?;
        wire::put_u64(o, 64, self.index_number)?;
        wire::put_u32(o, 72, self.ea_size)?;
        wire::put_u32(o, 76, self.access_flags)?;
        wire::put_u64(o, 80, self.current_byte_offset)?;
        wire::put_u32(o, 88, self.mode)?;
        wire::put_u32(o, 92, self.alignment_requirement)?;
        put_name(o, 96, Self::NAME_OFFSET, self.file_name)
    }
}

/// FileEndOfFileInformation (MS-FSCC §2.4.14): 8 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileEndOfFileInformation {
    /// New EndOfFile.
    pub end_of_file: u64,
}

impl<'a> InfoClass<'a> for FileEndOfFileInformation {
    const INFO_TYPE: u8 = 1;
    const CLASS: u8 = file_info_class::END_OF_FILE;
    fn parse(b: &'a [u8]) -> Result<Self> {
        Ok(Self {
            end_of_file: wire::get_u64(b, 0)?,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        wire::put_u64(o, 0, self.end_of_file)?;
        Ok(8)
    }
}

/// FileRenameInformation, SMB2 form (MS-FSCC §2.4.37.2; MS-SMB2 §2.2.39):
/// ReplaceIfExists (1), Reserved (7), RootDirectory (8, zero),
/// FileNameLength (4), FileName (full path from the share root).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileRenameInformation<'a> {
    /// ReplaceIfExists.
    pub replace_if_exists: bool,
    /// RootDirectory (must be 0 over SMB2).
    pub root_directory: u64,
    /// Target path, UTF-16LE.
    pub file_name: &'a [u8],
}

impl FileRenameInformation<'_> {
    /// Offset of the name.
    pub const NAME_OFFSET: usize = 20;
}

impl<'a> InfoClass<'a> for FileRenameInformation<'a> {
    const INFO_TYPE: u8 = 1;
    const CLASS: u8 = file_info_class::RENAME;
    fn parse(b: &'a [u8]) -> Result<Self> {
        Ok(Self {
            replace_if_exists: get_u8(b, 0)? != 0,
            root_directory: wire::get_u64(b, 8)?,
            file_name: name_at(b, 16, Self::NAME_OFFSET)?,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        clear(o, Self::NAME_OFFSET)?;
        wire::put_bytes(o, 0, &[u8::from(self.replace_if_exists)])?;
        wire::put_u64(o, 8, self.root_directory)?;
        put_name(o, 16, Self::NAME_OFFSET, self.file_name)
    }
}

/// FileDispositionInformation (MS-FSCC §2.4.11): 1 byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileDispositionInformation {
    /// DeletePending: delete the file when the last handle closes.
    pub delete_pending: bool,
}

impl<'a> InfoClass<'a> for FileDispositionInformation {
    const INFO_TYPE: u8 = 1;
    const CLASS: u8 = file_info_class::DISPOSITION;
    fn parse(b: &'a [u8]) -> Result<Self> {
        Ok(Self {
            delete_pending: get_u8(b, 0)? != 0,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        wire::put_bytes(o, 0, &[u8::from(self.delete_pending)])?;
        Ok(1)
    }
}

/// FileFsFullSizeInformation (MS-FSCC §2.5.4): 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsFullSizeInformation {
    /// TotalAllocationUnits.
    pub total_allocation_units: u64,
    /// CallerAvailableAllocationUnits.
    pub caller_available_allocation_units: u64,
    /// ActualAvailableAllocationUnits.
    pub actual_available_allocation_units: u64,
    /// SectorsPerAllocationUnit.
    pub sectors_per_allocation_unit: u32,
    /// BytesPerSector.
    pub bytes_per_sector: u32,
}

impl<'a> InfoClass<'a> for FileFsFullSizeInformation {
    const INFO_TYPE: u8 = 2;
    const CLASS: u8 = fs_info_class::FULL_SIZE;
    fn parse(b: &'a [u8]) -> Result<Self> {
        Ok(Self {
            total_allocation_units: wire::get_u64(b, 0)?,
            caller_available_allocation_units: wire::get_u64(b, 8)?,
            actual_available_allocation_units: wire::get_u64(b, 16)?,
            sectors_per_allocation_unit: wire::get_u32(b, 24)?,
            bytes_per_sector: wire::get_u32(b, 28)?,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        wire::put_u64(o, 0, self.total_allocation_units)?;
        wire::put_u64(o, 8, self.caller_available_allocation_units)?;
        wire::put_u64(o, 16, self.actual_available_allocation_units)?;
        wire::put_u32(o, 24, self.sectors_per_allocation_unit)?;
        wire::put_u32(o, 28, self.bytes_per_sector)?;
        Ok(32)
    }
}

/// FileFsAttributeInformation (MS-FSCC §2.5.1): FileSystemAttributes (4),
/// MaximumComponentNameLength (4), FileSystemNameLength (4), name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsAttributeInformation<'a> {
    /// FileSystemAttributes.
    pub file_system_attributes: u32,
    /// MaximumComponentNameLength.
    pub maximum_component_name_length: u32,
    /// FileSystemName, UTF-16LE (e.g. "NTFS").
    pub file_system_name: &'a [u8],
}

impl<'a> InfoClass<'a> for FileFsAttributeInformation<'a> {
    const INFO_TYPE: u8 = 2;
    const CLASS: u8 = fs_info_class::ATTRIBUTE;
    fn parse(b: &'a [u8]) -> Result<Self> {
        Ok(Self {
            file_system_attributes: wire::get_u32(b, 0)?,
            maximum_component_name_length: wire::get_u32(b, 4)?,
            file_system_name: name_at(b, 8, 12)?,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        wire::put_u32(o, 0, self.file_system_attributes)?;
        wire::put_u32(o, 4, self.maximum_component_name_length)?;
        put_name(o, 8, 12, self.file_system_name)
    }
}

/// FileFsVolumeInformation (MS-FSCC §2.5.9): VolumeCreationTime (8),
/// VolumeSerialNumber (4), VolumeLabelLength (4), SupportsObjects (1),
/// Reserved (1), VolumeLabel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FileFsVolumeInformation<'a> {
    /// VolumeCreationTime.
    pub volume_creation_time: u64,
    /// VolumeSerialNumber.
    pub volume_serial_number: u32,
    /// SupportsObjects.
    pub supports_objects: bool,
    /// VolumeLabel, UTF-16LE.
    pub volume_label: &'a [u8],
}

impl<'a> InfoClass<'a> for FileFsVolumeInformation<'a> {
    const INFO_TYPE: u8 = 2;
    const CLASS: u8 = fs_info_class::VOLUME;
    fn parse(b: &'a [u8]) -> Result<Self> {
        let supports_objects = get_u8(b, 16)? != 0;
        get_u8(b, 17)?;
        Ok(Self {
            volume_creation_time: wire::get_u64(b, 0)?,
            volume_serial_number: wire::get_u32(b, 8)?,
            supports_objects,
            volume_label: name_at(b, 12, 18)?,
        })
    }
    fn emit(&self, o: &mut [u8]) -> Result<usize> {
        clear(o, 18)?;
        wire::put_u64(o, 0, self.volume_creation_time)?;
        wire::put_u32(o, 8, self.volume_serial_number)?;
        wire::put_bytes(o, 16, &[u8::from(self.supports_objects)])?;
        put_name(o, 12, 18, self.volume_label)
    }
}

#[cfg(test)]
#[cfg_attr(
    test,
    allow(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::arithmetic_side_effects
    )
)]
mod tests {
    use super::*;

    #[test]
    fn all_information_layout() {
        let v = FileAllInformation {
            basic: FileBasicInformation {
                creation_time: 1,
                last_access_time: 2,
                last_write_time: 3,
                change_time: 4,
                file_attributes: 0x20,
            },
            standard: FileStandardInformation {
                allocation_size: 4096,
                end_of_file: 5,
                number_of_links: 1,
                delete_pending: false,
                directory: true,
            },
            index_number: 0xABCD,
            ea_size: 0,
            access_flags: 0x001F_01FF,
            current_byte_offset: 0,
            mode: 0,
            alignment_requirement: 0,
            file_name: &[b'f', 0],
        };
        let mut b = [0xEEu8; 128];
        let n = v.emit(&mut b).unwrap();
        assert_eq!(n, 102);
        // MS-FSCC §2.4.2: attributes at 32, EndOfFile at 48, NumberOfLinks at 56,
        // Directory at 61, IndexNumber at 64, AccessFlags at 76, FileNameLength at 96.
        assert_eq!(&b[32..40], &[0x20, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b[48], 5);
        assert_eq!(b[56], 1);
        assert_eq!(&b[60..64], &[0, 1, 0, 0]);
        assert_eq!(&b[64..66], &[0xCD, 0xAB]);
        assert_eq!(&b[96..102], &[2, 0, 0, 0, b'f', 0]);
        assert_eq!(FileAllInformation::parse(&b[..n]).unwrap(), v);
        assert_eq!(FileAllInformation::parse(&b[..101]), Err(Error::Oversized));
        assert_eq!(FileAllInformation::parse(&b[..99]), Err(Error::Truncated));
    }

    #[test]
    fn set_info_classes() {
        let mut b = [0u8; 64];
        let r = FileRenameInformation {
            replace_if_exists: true,
            root_directory: 0,
            file_name: &[b'n', 0, b'e', 0],
        };
        let n = r.emit(&mut b).unwrap();
        // MS-FSCC §2.4.37.2: ReplaceIfExists, 7 reserved, RootDirectory (8), FileNameLength at 16, name at 20.
        assert_eq!(n, 24);
        assert_eq!(&b[0..8], &[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[16..20], &[4, 0, 0, 0]);
        assert_eq!(FileRenameInformation::parse(&b[..n]).unwrap(), r);
        b[16] = 0xFF;
        assert_eq!(FileRenameInformation::parse(&b[..n]), Err(Error::Oversized));

        let d = FileDispositionInformation {
            delete_pending: true,
        };
        assert_eq!(d.emit(&mut b).unwrap(), 1);
        assert_eq!(b[0], 1);
        assert_eq!(FileDispositionInformation::parse(&b[..1]).unwrap(), d);
        assert_eq!(
            FileDispositionInformation::parse(&[]),
            Err(Error::Truncated)
        );

        let e = FileEndOfFileInformation {
            end_of_file: 1 << 40,
        };
        assert_eq!(e.emit(&mut b).unwrap(), 8);
        assert_eq!(FileEndOfFileInformation::parse(&b[..8]).unwrap(), e);
    }

    #[test]
    fn fs_classes() {
        let mut b = [0u8; 64];
        let f = FileFsFullSizeInformation {
            total_allocation_units: 100,
            caller_available_allocation_units: 50,
            actual_available_allocation_units: 60,
            sectors_per_allocation_unit: 8,
            bytes_per_sector: 512,
        };
        assert_eq!(f.emit(&mut b).unwrap(), 32);
        assert_eq!(&b[24..32], &[8, 0, 0, 0, 0, 2, 0, 0]);
        assert_eq!(FileFsFullSizeInformation::parse(&b[..32]).unwrap(), f);
        assert_eq!(
            FileFsFullSizeInformation::parse(&b[..31]),
            Err(Error::Truncated)
        );

        let a = FileFsAttributeInformation {
            file_system_attributes: 0x0700_00FF,
            maximum_component_name_length: 255,
            file_system_name: &[b'N', 0, b'T', 0, b'F', 0, b'S', 0],
        };
        let n = a.emit(&mut b).unwrap();
        assert_eq!(n, 20);
        assert_eq!(&b[8..12], &[8, 0, 0, 0]);
        assert_eq!(FileFsAttributeInformation::parse(&b[..n]).unwrap(), a);

        let v = FileFsVolumeInformation {
            volume_creation_time: 7,
            volume_serial_number: 0x1234,
            supports_objects: false,
            volume_label: &[b'v', 0],
        };
        let n = v.emit(&mut b).unwrap();
        // MS-FSCC §2.5.9: VolumeLabelLength at 12, SupportsObjects at 16, label at 18.
        assert_eq!(n, 20);
        assert_eq!(&b[12..18], &[2, 0, 0, 0, 0, 0]);
        assert_eq!(FileFsVolumeInformation::parse(&b[..n]).unwrap(), v);
    }
}
