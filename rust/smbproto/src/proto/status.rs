// SPDX-License-Identifier: GPL-2.0
//! NT status codes an SMB2 client meets (MS-ERREF §2.3) and their mapping
//! to Linux errno values.
//!
//! The errno constants are defined here because the kernel has no libc; the
//! values are the Linux generic ones (`include/uapi/asm-generic/errno*.h`).

/// Linux errno numbers (positive), as in `include/uapi/asm-generic/errno-base.h`
/// and `errno.h`.
pub mod errno {
    /// Operation not permitted.
    pub const EPERM: i32 = 1;
    /// No such file or directory.
    pub const ENOENT: i32 = 2;
    /// Interrupted system call.
    pub const EINTR: i32 = 4;
    /// I/O error.
    pub const EIO: i32 = 5;
    /// Bad file number.
    pub const EBADF: i32 = 9;
    /// Try again.
    pub const EAGAIN: i32 = 11;
    /// Out of memory.
    pub const ENOMEM: i32 = 12;
    /// Permission denied.
    pub const EACCES: i32 = 13;
    /// Device or resource busy.
    pub const EBUSY: i32 = 16;
    /// File exists.
    pub const EEXIST: i32 = 17;
    /// Cross-device link.
    pub const EXDEV: i32 = 18;
    /// No such device.
    pub const ENODEV: i32 = 19;
    /// Not a directory.
    pub const ENOTDIR: i32 = 20;
    /// Is a directory.
    pub const EISDIR: i32 = 21;
    /// Invalid argument.
    pub const EINVAL: i32 = 22;
    /// Too many open files.
    pub const EMFILE: i32 = 24;
    /// File too large.
    pub const EFBIG: i32 = 27;
    /// No space left on device.
    pub const ENOSPC: i32 = 28;
    /// Read-only file system.
    pub const EROFS: i32 = 30;
    /// Too many links.
    pub const EMLINK: i32 = 31;
    /// Broken pipe.
    pub const EPIPE: i32 = 32;
    /// Result not representable.
    pub const ERANGE: i32 = 34;
    /// Resource deadlock would occur.
    pub const EDEADLK: i32 = 35;
    /// File name too long.
    pub const ENAMETOOLONG: i32 = 36;
    /// No record locks available.
    pub const ENOLCK: i32 = 37;
    /// Directory not empty.
    pub const ENOTEMPTY: i32 = 39;
    /// Too many symbolic links encountered.
    pub const ELOOP: i32 = 40;
    /// No data available.
    pub const ENODATA: i32 = 61;
    /// Object is remote.
    pub const EREMOTE: i32 = 66;
    /// Value too large for defined data type.
    pub const EOVERFLOW: i32 = 75;
    /// Operation not supported.
    pub const EOPNOTSUPP: i32 = 95;
    /// Software caused connection abort.
    pub const ECONNABORTED: i32 = 103;
    /// Connection timed out.
    pub const ETIMEDOUT: i32 = 110;
    /// Stale file handle.
    pub const ESTALE: i32 = 116;
    /// Quota exceeded.
    pub const EDQUOT: i32 = 122;
    /// Operation canceled.
    pub const ECANCELED: i32 = 125;
    /// Key has expired.
    pub const EKEYEXPIRED: i32 = 127;
}

/// An NT status code (MS-ERREF §2.3.1). Codes this client handles by name
/// have variants; everything else is kept as [`NtStatus::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NtStatus {
    /// `STATUS_SUCCESS` (0x00000000): The operation succeeded.
    Success,
    /// `STATUS_PENDING` (0x00000103): Interim response: the operation continues asynchronously.
    Pending,
    /// `STATUS_NOTIFY_CLEANUP` (0x0000010B): A change notify was completed because the handle was closed.
    NotifyCleanup,
    /// `STATUS_NOTIFY_ENUM_DIR` (0x0000010C): Too many changes to report: re-enumerate the directory.
    NotifyEnumDir,
    /// `STATUS_BUFFER_OVERFLOW` (0x80000005): Warning: the data was truncated to the output buffer.
    BufferOverflow,
    /// `STATUS_NO_MORE_FILES` (0x80000006): No more directory entries.
    NoMoreFiles,
    /// `STATUS_STOPPED_ON_SYMLINK` (0x8000002D): The path crossed a symbolic link the client must resolve.
    StoppedOnSymlink,
    /// `STATUS_UNSUCCESSFUL` (0xC0000001): Unspecified failure.
    Unsuccessful,
    /// `STATUS_NOT_IMPLEMENTED` (0xC0000002): The request is not implemented.
    NotImplemented,
    /// `STATUS_INVALID_INFO_CLASS` (0xC0000003): Invalid information class.
    InvalidInfoClass,
    /// `STATUS_INFO_LENGTH_MISMATCH` (0xC0000004): Information buffer length mismatch.
    InfoLengthMismatch,
    /// `STATUS_ACCESS_VIOLATION` (0xC0000005): Access violation.
    AccessViolation,
    /// `STATUS_INVALID_HANDLE` (0xC0000008): The FileId is not valid.
    InvalidHandle,
    /// `STATUS_INVALID_PARAMETER` (0xC000000D): A parameter is invalid.
    InvalidParameter,
    /// `STATUS_NO_SUCH_DEVICE` (0xC000000E): No such device.
    NoSuchDevice,
    /// `STATUS_NO_SUCH_FILE` (0xC000000F): No such file.
    NoSuchFile,
    /// `STATUS_INVALID_DEVICE_REQUEST` (0xC0000010): The request is not valid for this device.
    InvalidDeviceRequest,
    /// `STATUS_END_OF_FILE` (0xC0000011): Read at or past the end of the file.
    EndOfFile,
    /// `STATUS_MORE_PROCESSING_REQUIRED` (0xC0000016): SESSION_SETUP needs another round trip.
    MoreProcessingRequired,
    /// `STATUS_NO_MEMORY` (0xC0000017): Out of memory.
    NoMemory,
    /// `STATUS_INVALID_LOCK_SEQUENCE` (0xC000001E): Invalid lock sequence.
    InvalidLockSequence,
    /// `STATUS_ACCESS_DENIED` (0xC0000022): Access denied.
    AccessDenied,
    /// `STATUS_BUFFER_TOO_SMALL` (0xC0000023): The output buffer is too small.
    BufferTooSmall,
    /// `STATUS_OBJECT_TYPE_MISMATCH` (0xC0000024): Object type mismatch.
    ObjectTypeMismatch,
    /// `STATUS_OBJECT_NAME_INVALID` (0xC0000033): The name is not valid.
    ObjectNameInvalid,
    /// `STATUS_OBJECT_NAME_NOT_FOUND` (0xC0000034): The name does not exist.
    ObjectNameNotFound,
    /// `STATUS_OBJECT_NAME_COLLISION` (0xC0000035): The name already exists.
    ObjectNameCollision,
    /// `STATUS_OBJECT_PATH_INVALID` (0xC0000039): A path component is not a directory.
    ObjectPathInvalid,
    /// `STATUS_OBJECT_PATH_NOT_FOUND` (0xC000003A): A path component does not exist.
    ObjectPathNotFound,
    /// `STATUS_OBJECT_PATH_SYNTAX_BAD` (0xC000003B): The path syntax is bad.
    ObjectPathSyntaxBad,
    /// `STATUS_SHARING_VIOLATION` (0xC0000043): Share mode conflict with another open.
    SharingViolation,
    /// `STATUS_QUOTA_EXCEEDED` (0xC0000044): Quota exceeded.
    QuotaExceeded,
    /// `STATUS_EAS_NOT_SUPPORTED` (0xC000004F): Extended attributes are not supported.
    EasNotSupported,
    /// `STATUS_FILE_LOCK_CONFLICT` (0xC0000054): I/O conflicts with a byte-range lock.
    FileLockConflict,
    /// `STATUS_LOCK_NOT_GRANTED` (0xC0000055): The byte-range lock conflicts with another lock.
    LockNotGranted,
    /// `STATUS_DELETE_PENDING` (0xC0000056): The file is being deleted.
    DeletePending,
    /// `STATUS_PRIVILEGE_NOT_HELD` (0xC0000061): A required privilege is not held.
    PrivilegeNotHeld,
    /// `STATUS_NO_SUCH_USER` (0xC0000064): No such user.
    NoSuchUser,
    /// `STATUS_WRONG_PASSWORD` (0xC000006A): Wrong password.
    WrongPassword,
    /// `STATUS_LOGON_FAILURE` (0xC000006D): Authentication failed.
    LogonFailure,
    /// `STATUS_ACCOUNT_RESTRICTION` (0xC000006E): Account restriction.
    AccountRestriction,
    /// `STATUS_PASSWORD_EXPIRED` (0xC0000071): The password has expired.
    PasswordExpired,
    /// `STATUS_ACCOUNT_DISABLED` (0xC0000072): The account is disabled.
    AccountDisabled,
    /// `STATUS_RANGE_NOT_LOCKED` (0xC000007E): Unlock of a range that is not locked.
    RangeNotLocked,
    /// `STATUS_DISK_FULL` (0xC000007F): The disk is full.
    DiskFull,
    /// `STATUS_FILE_INVALID` (0xC0000098): The volume holding the file was altered.
    FileInvalid,
    /// `STATUS_INSUFFICIENT_RESOURCES` (0xC000009A): The server lacks resources.
    InsufficientResources,
    /// `STATUS_MEDIA_WRITE_PROTECTED` (0xC00000A2): The medium is write protected.
    MediaWriteProtected,
    /// `STATUS_BAD_IMPERSONATION_LEVEL` (0xC00000A5): Bad impersonation level.
    BadImpersonationLevel,
    /// `STATUS_IO_TIMEOUT` (0xC00000B5): The operation timed out.
    IoTimeout,
    /// `STATUS_FILE_IS_A_DIRECTORY` (0xC00000BA): The target is a directory.
    FileIsADirectory,
    /// `STATUS_NOT_SUPPORTED` (0xC00000BB): The request is not supported.
    NotSupported,
    /// `STATUS_BAD_NETWORK_PATH` (0xC00000BE): The network path was not found.
    BadNetworkPath,
    /// `STATUS_NETWORK_BUSY` (0xC00000BF): The network is busy.
    NetworkBusy,
    /// `STATUS_INVALID_NETWORK_RESPONSE` (0xC00000C3): Invalid network response.
    InvalidNetworkResponse,
    /// `STATUS_UNEXPECTED_NETWORK_ERROR` (0xC00000C4): Unexpected network error.
    UnexpectedNetworkError,
    /// `STATUS_NETWORK_NAME_DELETED` (0xC00000C9): The tree connect is gone: reconnect the tree and retry.
    NetworkNameDeleted,
    /// `STATUS_NETWORK_ACCESS_DENIED` (0xC00000CA): Network access denied.
    NetworkAccessDenied,
    /// `STATUS_BAD_NETWORK_NAME` (0xC00000CC): The share does not exist.
    BadNetworkName,
    /// `STATUS_REQUEST_NOT_ACCEPTED` (0xC00000D0): The server accepts no more connections.
    RequestNotAccepted,
    /// `STATUS_NOT_SAME_DEVICE` (0xC00000D4): Rename across volumes.
    NotSameDevice,
    /// `STATUS_FILE_RENAMED` (0xC00000D5): The file was renamed.
    FileRenamed,
    /// `STATUS_OPLOCK_NOT_GRANTED` (0xC00000E2): The oplock was not granted.
    OplockNotGranted,
    /// `STATUS_INTERNAL_ERROR` (0xC00000E5): Internal server error.
    InternalError,
    /// `STATUS_DIRECTORY_NOT_EMPTY` (0xC0000101): The directory is not empty.
    DirectoryNotEmpty,
    /// `STATUS_NOT_A_DIRECTORY` (0xC0000103): The target is not a directory.
    NotADirectory,
    /// `STATUS_NAME_TOO_LONG` (0xC0000106): The name is too long.
    NameTooLong,
    /// `STATUS_TOO_MANY_OPENED_FILES` (0xC000011F): Too many open files on the server.
    TooManyOpenedFiles,
    /// `STATUS_CANCELLED` (0xC0000120): The request was cancelled.
    Cancelled,
    /// `STATUS_CANNOT_DELETE` (0xC0000121): The file cannot be deleted.
    CannotDelete,
    /// `STATUS_FILE_DELETED` (0xC0000123): The file was deleted.
    FileDeleted,
    /// `STATUS_FILE_CLOSED` (0xC0000128): The handle was closed.
    FileClosed,
    /// `STATUS_INVALID_LEVEL` (0xC0000148): Invalid information level.
    InvalidLevel,
    /// `STATUS_PIPE_BROKEN` (0xC000014B): The pipe is broken.
    PipeBroken,
    /// `STATUS_INVALID_DEVICE_STATE` (0xC0000184): Invalid device state.
    InvalidDeviceState,
    /// `STATUS_POSSIBLE_DEADLOCK` (0xC0000194): The lock would deadlock.
    PossibleDeadlock,
    /// `STATUS_USER_SESSION_DELETED` (0xC0000203): The session is gone: set it up again and retry.
    UserSessionDeleted,
    /// `STATUS_INSUFF_SERVER_RESOURCES` (0xC0000205): The server is short of resources.
    InsuffServerResources,
    /// `STATUS_CONNECTION_DISCONNECTED` (0xC000020C): The connection was disconnected.
    ConnectionDisconnected,
    /// `STATUS_CONNECTION_RESET` (0xC000020D): The connection was reset.
    ConnectionReset,
    /// `STATUS_NOT_FOUND` (0xC0000225): The object was not found.
    NotFound,
    /// `STATUS_RETRY` (0xC000022D): Retry the operation.
    Retry,
    /// `STATUS_ACCOUNT_LOCKED_OUT` (0xC0000234): The account is locked out.
    AccountLockedOut,
    /// `STATUS_REQUEST_ABORTED` (0xC0000240): The request was aborted.
    RequestAborted,
    /// `STATUS_PATH_NOT_COVERED` (0xC0000257): DFS: the path is not on this server.
    PathNotCovered,
    /// `STATUS_TOO_MANY_LINKS` (0xC0000265): Too many hard links.
    TooManyLinks,
    /// `STATUS_NOT_A_REPARSE_POINT` (0xC0000275): The file is not a reparse point.
    NotAReparsePoint,
    /// `STATUS_NETWORK_SESSION_EXPIRED` (0xC000035C): The session expired: re-authenticate and retry.
    NetworkSessionExpired,
    /// `STATUS_FILE_SYSTEM_LIMITATION` (0xC0000427): A file system limitation prevents the operation.
    FileSystemLimitation,
    /// `STATUS_FILE_TOO_LARGE` (0xC0000904): The file would exceed the maximum size.
    FileTooLarge,
    /// `STATUS_INVALID_SIGNATURE` (0xC000A000): The message signature is invalid.
    InvalidSignature,
    /// `STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP` (0xC05D0000): No common preauth integrity hash (3.1.1).
    NoPreauthIntegrityHashOverlap,
    /// A status code without a named variant (never one of the named values).
    Unknown(u32),
}

/// Numeric status values (MS-ERREF §2.3.1).
pub mod code {
    /// `STATUS_SUCCESS`.
    pub const STATUS_SUCCESS: u32 = 0x00000000;
    /// `STATUS_PENDING`.
    pub const STATUS_PENDING: u32 = 0x00000103;
    /// `STATUS_NOTIFY_CLEANUP`.
    pub const STATUS_NOTIFY_CLEANUP: u32 = 0x0000010B;
    /// `STATUS_NOTIFY_ENUM_DIR`.
    pub const STATUS_NOTIFY_ENUM_DIR: u32 = 0x0000010C;
    /// `STATUS_BUFFER_OVERFLOW`.
    pub const STATUS_BUFFER_OVERFLOW: u32 = 0x80000005;
    /// `STATUS_NO_MORE_FILES`.
    pub const STATUS_NO_MORE_FILES: u32 = 0x80000006;
    /// `STATUS_STOPPED_ON_SYMLINK`.
    pub const STATUS_STOPPED_ON_SYMLINK: u32 = 0x8000002D;
    /// `STATUS_UNSUCCESSFUL`.
    pub const STATUS_UNSUCCESSFUL: u32 = 0xC0000001;
    /// `STATUS_NOT_IMPLEMENTED`.
    pub const STATUS_NOT_IMPLEMENTED: u32 = 0xC0000002;
    /// `STATUS_INVALID_INFO_CLASS`.
    pub const STATUS_INVALID_INFO_CLASS: u32 = 0xC0000003;
    /// `STATUS_INFO_LENGTH_MISMATCH`.
    pub const STATUS_INFO_LENGTH_MISMATCH: u32 = 0xC0000004;
    /// `STATUS_ACCESS_VIOLATION`.
    pub const STATUS_ACCESS_VIOLATION: u32 = 0xC0000005;
    /// `STATUS_INVALID_HANDLE`.
    pub const STATUS_INVALID_HANDLE: u32 = 0xC0000008;
    /// `STATUS_INVALID_PARAMETER`.
    pub const STATUS_INVALID_PARAMETER: u32 = 0xC000000D;
    /// `STATUS_NO_SUCH_DEVICE`.
    pub const STATUS_NO_SUCH_DEVICE: u32 = 0xC000000E;
    /// `STATUS_NO_SUCH_FILE`.
    pub const STATUS_NO_SUCH_FILE: u32 = 0xC000000F;
    /// `STATUS_INVALID_DEVICE_REQUEST`.
    pub const STATUS_INVALID_DEVICE_REQUEST: u32 = 0xC0000010;
    /// `STATUS_END_OF_FILE`.
    pub const STATUS_END_OF_FILE: u32 = 0xC0000011;
    /// `STATUS_MORE_PROCESSING_REQUIRED`.
    pub const STATUS_MORE_PROCESSING_REQUIRED: u32 = 0xC0000016;
    /// `STATUS_NO_MEMORY`.
    pub const STATUS_NO_MEMORY: u32 = 0xC0000017;
    /// `STATUS_INVALID_LOCK_SEQUENCE`.
    pub const STATUS_INVALID_LOCK_SEQUENCE: u32 = 0xC000001E;
    /// `STATUS_ACCESS_DENIED`.
    pub const STATUS_ACCESS_DENIED: u32 = 0xC0000022;
    /// `STATUS_BUFFER_TOO_SMALL`.
    pub const STATUS_BUFFER_TOO_SMALL: u32 = 0xC0000023;
    /// `STATUS_OBJECT_TYPE_MISMATCH`.
    pub const STATUS_OBJECT_TYPE_MISMATCH: u32 = 0xC0000024;
    /// `STATUS_OBJECT_NAME_INVALID`.
    pub const STATUS_OBJECT_NAME_INVALID: u32 = 0xC0000033;
    /// `STATUS_OBJECT_NAME_NOT_FOUND`.
    pub const STATUS_OBJECT_NAME_NOT_FOUND: u32 = 0xC0000034;
    /// `STATUS_OBJECT_NAME_COLLISION`.
    pub const STATUS_OBJECT_NAME_COLLISION: u32 = 0xC0000035;
    /// `STATUS_OBJECT_PATH_INVALID`.
    pub const STATUS_OBJECT_PATH_INVALID: u32 = 0xC0000039;
    /// `STATUS_OBJECT_PATH_NOT_FOUND`.
    pub const STATUS_OBJECT_PATH_NOT_FOUND: u32 = 0xC000003A;
    /// `STATUS_OBJECT_PATH_SYNTAX_BAD`.
    pub const STATUS_OBJECT_PATH_SYNTAX_BAD: u32 = 0xC000003B;
    /// `STATUS_SHARING_VIOLATION`.
    pub const STATUS_SHARING_VIOLATION: u32 = 0xC0000043;
    /// `STATUS_QUOTA_EXCEEDED`.
    pub const STATUS_QUOTA_EXCEEDED: u32 = 0xC0000044;
    /// `STATUS_EAS_NOT_SUPPORTED`.
    pub const STATUS_EAS_NOT_SUPPORTED: u32 = 0xC000004F;
    /// `STATUS_FILE_LOCK_CONFLICT`.
    pub const STATUS_FILE_LOCK_CONFLICT: u32 = 0xC0000054;
    /// `STATUS_LOCK_NOT_GRANTED`.
    pub const STATUS_LOCK_NOT_GRANTED: u32 = 0xC0000055;
    /// `STATUS_DELETE_PENDING`.
    pub const STATUS_DELETE_PENDING: u32 = 0xC0000056;
    /// `STATUS_PRIVILEGE_NOT_HELD`.
    pub const STATUS_PRIVILEGE_NOT_HELD: u32 = 0xC0000061;
    /// `STATUS_NO_SUCH_USER`.
    pub const STATUS_NO_SUCH_USER: u32 = 0xC0000064;
    /// `STATUS_WRONG_PASSWORD`.
    pub const STATUS_WRONG_PASSWORD: u32 = 0xC000006A;
    /// `STATUS_LOGON_FAILURE`.
    pub const STATUS_LOGON_FAILURE: u32 = 0xC000006D;
    /// `STATUS_ACCOUNT_RESTRICTION`.
    pub const STATUS_ACCOUNT_RESTRICTION: u32 = 0xC000006E;
    /// `STATUS_PASSWORD_EXPIRED`.
    pub const STATUS_PASSWORD_EXPIRED: u32 = 0xC0000071;
    /// `STATUS_ACCOUNT_DISABLED`.
    pub const STATUS_ACCOUNT_DISABLED: u32 = 0xC0000072;
    /// `STATUS_RANGE_NOT_LOCKED`.
    pub const STATUS_RANGE_NOT_LOCKED: u32 = 0xC000007E;
    /// `STATUS_DISK_FULL`.
    pub const STATUS_DISK_FULL: u32 = 0xC000007F;
    /// `STATUS_FILE_INVALID`.
    pub const STATUS_FILE_INVALID: u32 = 0xC0000098;
    /// `STATUS_INSUFFICIENT_RESOURCES`.
    pub const STATUS_INSUFFICIENT_RESOURCES: u32 = 0xC000009A;
    /// `STATUS_MEDIA_WRITE_PROTECTED`.
    pub const STATUS_MEDIA_WRITE_PROTECTED: u32 = 0xC00000A2;
    /// `STATUS_BAD_IMPERSONATION_LEVEL`.
    pub const STATUS_BAD_IMPERSONATION_LEVEL: u32 = 0xC00000A5;
    /// `STATUS_IO_TIMEOUT`.
    pub const STATUS_IO_TIMEOUT: u32 = 0xC00000B5;
    /// `STATUS_FILE_IS_A_DIRECTORY`.
    pub const STATUS_FILE_IS_A_DIRECTORY: u32 = 0xC00000BA;
    /// `STATUS_NOT_SUPPORTED`.
    pub const STATUS_NOT_SUPPORTED: u32 = 0xC00000BB;
    /// `STATUS_BAD_NETWORK_PATH`.
    pub const STATUS_BAD_NETWORK_PATH: u32 = 0xC00000BE;
    /// `STATUS_NETWORK_BUSY`.
    pub const STATUS_NETWORK_BUSY: u32 = 0xC00000BF;
    /// `STATUS_INVALID_NETWORK_RESPONSE`.
    pub const STATUS_INVALID_NETWORK_RESPONSE: u32 = 0xC00000C3;
    /// `STATUS_UNEXPECTED_NETWORK_ERROR`.
    pub const STATUS_UNEXPECTED_NETWORK_ERROR: u32 = 0xC00000C4;
    /// `STATUS_NETWORK_NAME_DELETED`.
    pub const STATUS_NETWORK_NAME_DELETED: u32 = 0xC00000C9;
    /// `STATUS_NETWORK_ACCESS_DENIED`.
    pub const STATUS_NETWORK_ACCESS_DENIED: u32 = 0xC00000CA;
    /// `STATUS_BAD_NETWORK_NAME`.
    pub const STATUS_BAD_NETWORK_NAME: u32 = 0xC00000CC;
    /// `STATUS_REQUEST_NOT_ACCEPTED`.
    pub const STATUS_REQUEST_NOT_ACCEPTED: u32 = 0xC00000D0;
    /// `STATUS_NOT_SAME_DEVICE`.
    pub const STATUS_NOT_SAME_DEVICE: u32 = 0xC00000D4;
    /// `STATUS_FILE_RENAMED`.
    pub const STATUS_FILE_RENAMED: u32 = 0xC00000D5;
    /// `STATUS_OPLOCK_NOT_GRANTED`.
    pub const STATUS_OPLOCK_NOT_GRANTED: u32 = 0xC00000E2;
    /// `STATUS_INTERNAL_ERROR`.
    pub const STATUS_INTERNAL_ERROR: u32 = 0xC00000E5;
    /// `STATUS_DIRECTORY_NOT_EMPTY`.
    pub const STATUS_DIRECTORY_NOT_EMPTY: u32 = 0xC0000101;
    /// `STATUS_NOT_A_DIRECTORY`.
    pub const STATUS_NOT_A_DIRECTORY: u32 = 0xC0000103;
    /// `STATUS_NAME_TOO_LONG`.
    pub const STATUS_NAME_TOO_LONG: u32 = 0xC0000106;
    /// `STATUS_TOO_MANY_OPENED_FILES`.
    pub const STATUS_TOO_MANY_OPENED_FILES: u32 = 0xC000011F;
    /// `STATUS_CANCELLED`.
    pub const STATUS_CANCELLED: u32 = 0xC0000120;
    /// `STATUS_CANNOT_DELETE`.
    pub const STATUS_CANNOT_DELETE: u32 = 0xC0000121;
    /// `STATUS_FILE_DELETED`.
    pub const STATUS_FILE_DELETED: u32 = 0xC0000123;
    /// `STATUS_FILE_CLOSED`.
    pub const STATUS_FILE_CLOSED: u32 = 0xC0000128;
    /// `STATUS_INVALID_LEVEL`.
    pub const STATUS_INVALID_LEVEL: u32 = 0xC0000148;
    /// `STATUS_PIPE_BROKEN`.
    pub const STATUS_PIPE_BROKEN: u32 = 0xC000014B;
    /// `STATUS_INVALID_DEVICE_STATE`.
    pub const STATUS_INVALID_DEVICE_STATE: u32 = 0xC0000184;
    /// `STATUS_POSSIBLE_DEADLOCK`.
    pub const STATUS_POSSIBLE_DEADLOCK: u32 = 0xC0000194;
    /// `STATUS_USER_SESSION_DELETED`.
    pub const STATUS_USER_SESSION_DELETED: u32 = 0xC0000203;
    /// `STATUS_INSUFF_SERVER_RESOURCES`.
    pub const STATUS_INSUFF_SERVER_RESOURCES: u32 = 0xC0000205;
    /// `STATUS_CONNECTION_DISCONNECTED`.
    pub const STATUS_CONNECTION_DISCONNECTED: u32 = 0xC000020C;
    /// `STATUS_CONNECTION_RESET`.
    pub const STATUS_CONNECTION_RESET: u32 = 0xC000020D;
    /// `STATUS_NOT_FOUND`.
    pub const STATUS_NOT_FOUND: u32 = 0xC0000225;
    /// `STATUS_RETRY`.
    pub const STATUS_RETRY: u32 = 0xC000022D;
    /// `STATUS_ACCOUNT_LOCKED_OUT`.
    pub const STATUS_ACCOUNT_LOCKED_OUT: u32 = 0xC0000234;
    /// `STATUS_REQUEST_ABORTED`.
    pub const STATUS_REQUEST_ABORTED: u32 = 0xC0000240;
    /// `STATUS_PATH_NOT_COVERED`.
    pub const STATUS_PATH_NOT_COVERED: u32 = 0xC0000257;
    /// `STATUS_TOO_MANY_LINKS`.
    pub const STATUS_TOO_MANY_LINKS: u32 = 0xC0000265;
    /// `STATUS_NOT_A_REPARSE_POINT`.
    pub const STATUS_NOT_A_REPARSE_POINT: u32 = 0xC0000275;
    /// `STATUS_NETWORK_SESSION_EXPIRED`.
    pub const STATUS_NETWORK_SESSION_EXPIRED: u32 = 0xC000035C;
    /// `STATUS_FILE_SYSTEM_LIMITATION`.
    pub const STATUS_FILE_SYSTEM_LIMITATION: u32 = 0xC0000427;
    /// `STATUS_FILE_TOO_LARGE`.
    pub const STATUS_FILE_TOO_LARGE: u32 = 0xC0000904;
    /// `STATUS_INVALID_SIGNATURE`.
    pub const STATUS_INVALID_SIGNATURE: u32 = 0xC000A000;
    /// `STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP`.
    pub const STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP: u32 = 0xC05D0000;
}

/// Severity of a status code: its top two bits (MS-ERREF §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// 0b00: success.
    Success,
    /// 0b01: informational.
    Informational,
    /// 0b10: warning.
    Warning,
    /// 0b11: error.
    Error,
}

impl NtStatus {
    /// Maps a wire status to an [`NtStatus`].
    pub fn from_u32(v: u32) -> Self {
        match v {
            code::STATUS_SUCCESS => Self::Success,
            code::STATUS_PENDING => Self::Pending,
            code::STATUS_NOTIFY_CLEANUP => Self::NotifyCleanup,
            code::STATUS_NOTIFY_ENUM_DIR => Self::NotifyEnumDir,
            code::STATUS_BUFFER_OVERFLOW => Self::BufferOverflow,
            code::STATUS_NO_MORE_FILES => Self::NoMoreFiles,
            code::STATUS_STOPPED_ON_SYMLINK => Self::StoppedOnSymlink,
            code::STATUS_UNSUCCESSFUL => Self::Unsuccessful,
            code::STATUS_NOT_IMPLEMENTED => Self::NotImplemented,
            code::STATUS_INVALID_INFO_CLASS => Self::InvalidInfoClass,
            code::STATUS_INFO_LENGTH_MISMATCH => Self::InfoLengthMismatch,
            code::STATUS_ACCESS_VIOLATION => Self::AccessViolation,
            code::STATUS_INVALID_HANDLE => Self::InvalidHandle,
            code::STATUS_INVALID_PARAMETER => Self::InvalidParameter,
            code::STATUS_NO_SUCH_DEVICE => Self::NoSuchDevice,
            code::STATUS_NO_SUCH_FILE => Self::NoSuchFile,
            code::STATUS_INVALID_DEVICE_REQUEST => Self::InvalidDeviceRequest,
            code::STATUS_END_OF_FILE => Self::EndOfFile,
            code::STATUS_MORE_PROCESSING_REQUIRED => Self::MoreProcessingRequired,
            code::STATUS_NO_MEMORY => Self::NoMemory,
            code::STATUS_INVALID_LOCK_SEQUENCE => Self::InvalidLockSequence,
            code::STATUS_ACCESS_DENIED => Self::AccessDenied,
            code::STATUS_BUFFER_TOO_SMALL => Self::BufferTooSmall,
            code::STATUS_OBJECT_TYPE_MISMATCH => Self::ObjectTypeMismatch,
            code::STATUS_OBJECT_NAME_INVALID => Self::ObjectNameInvalid,
            code::STATUS_OBJECT_NAME_NOT_FOUND => Self::ObjectNameNotFound,
            code::STATUS_OBJECT_NAME_COLLISION => Self::ObjectNameCollision,
            code::STATUS_OBJECT_PATH_INVALID => Self::ObjectPathInvalid,
            code::STATUS_OBJECT_PATH_NOT_FOUND => Self::ObjectPathNotFound,
            code::STATUS_OBJECT_PATH_SYNTAX_BAD => Self::ObjectPathSyntaxBad,
            code::STATUS_SHARING_VIOLATION => Self::SharingViolation,
            code::STATUS_QUOTA_EXCEEDED => Self::QuotaExceeded,
            code::STATUS_EAS_NOT_SUPPORTED => Self::EasNotSupported,
            code::STATUS_FILE_LOCK_CONFLICT => Self::FileLockConflict,
            code::STATUS_LOCK_NOT_GRANTED => Self::LockNotGranted,
            code::STATUS_DELETE_PENDING => Self::DeletePending,
            code::STATUS_PRIVILEGE_NOT_HELD => Self::PrivilegeNotHeld,
            code::STATUS_NO_SUCH_USER => Self::NoSuchUser,
            code::STATUS_WRONG_PASSWORD => Self::WrongPassword,
            code::STATUS_LOGON_FAILURE => Self::LogonFailure,
            code::STATUS_ACCOUNT_RESTRICTION => Self::AccountRestriction,
            code::STATUS_PASSWORD_EXPIRED => Self::PasswordExpired,
            code::STATUS_ACCOUNT_DISABLED => Self::AccountDisabled,
            code::STATUS_RANGE_NOT_LOCKED => Self::RangeNotLocked,
            code::STATUS_DISK_FULL => Self::DiskFull,
            code::STATUS_FILE_INVALID => Self::FileInvalid,
            code::STATUS_INSUFFICIENT_RESOURCES => Self::InsufficientResources,
            code::STATUS_MEDIA_WRITE_PROTECTED => Self::MediaWriteProtected,
            code::STATUS_BAD_IMPERSONATION_LEVEL => Self::BadImpersonationLevel,
            code::STATUS_IO_TIMEOUT => Self::IoTimeout,
            code::STATUS_FILE_IS_A_DIRECTORY => Self::FileIsADirectory,
            code::STATUS_NOT_SUPPORTED => Self::NotSupported,
            code::STATUS_BAD_NETWORK_PATH => Self::BadNetworkPath,
            code::STATUS_NETWORK_BUSY => Self::NetworkBusy,
            code::STATUS_INVALID_NETWORK_RESPONSE => Self::InvalidNetworkResponse,
            code::STATUS_UNEXPECTED_NETWORK_ERROR => Self::UnexpectedNetworkError,
            code::STATUS_NETWORK_NAME_DELETED => Self::NetworkNameDeleted,
            code::STATUS_NETWORK_ACCESS_DENIED => Self::NetworkAccessDenied,
            code::STATUS_BAD_NETWORK_NAME => Self::BadNetworkName,
            code::STATUS_REQUEST_NOT_ACCEPTED => Self::RequestNotAccepted,
            code::STATUS_NOT_SAME_DEVICE => Self::NotSameDevice,
            code::STATUS_FILE_RENAMED => Self::FileRenamed,
            code::STATUS_OPLOCK_NOT_GRANTED => Self::OplockNotGranted,
            code::STATUS_INTERNAL_ERROR => Self::InternalError,
            code::STATUS_DIRECTORY_NOT_EMPTY => Self::DirectoryNotEmpty,
            code::STATUS_NOT_A_DIRECTORY => Self::NotADirectory,
            code::STATUS_NAME_TOO_LONG => Self::NameTooLong,
            code::STATUS_TOO_MANY_OPENED_FILES => Self::TooManyOpenedFiles,
            code::STATUS_CANCELLED => Self::Cancelled,
            code::STATUS_CANNOT_DELETE => Self::CannotDelete,
            code::STATUS_FILE_DELETED => Self::FileDeleted,
            code::STATUS_FILE_CLOSED => Self::FileClosed,
            code::STATUS_INVALID_LEVEL => Self::InvalidLevel,
            code::STATUS_PIPE_BROKEN => Self::PipeBroken,
            code::STATUS_INVALID_DEVICE_STATE => Self::InvalidDeviceState,
            code::STATUS_POSSIBLE_DEADLOCK => Self::PossibleDeadlock,
            code::STATUS_USER_SESSION_DELETED => Self::UserSessionDeleted,
            code::STATUS_INSUFF_SERVER_RESOURCES => Self::InsuffServerResources,
            code::STATUS_CONNECTION_DISCONNECTED => Self::ConnectionDisconnected,
            code::STATUS_CONNECTION_RESET => Self::ConnectionReset,
            code::STATUS_NOT_FOUND => Self::NotFound,
            code::STATUS_RETRY => Self::Retry,
            code::STATUS_ACCOUNT_LOCKED_OUT => Self::AccountLockedOut,
            code::STATUS_REQUEST_ABORTED => Self::RequestAborted,
            code::STATUS_PATH_NOT_COVERED => Self::PathNotCovered,
            code::STATUS_TOO_MANY_LINKS => Self::TooManyLinks,
            code::STATUS_NOT_A_REPARSE_POINT => Self::NotAReparsePoint,
            code::STATUS_NETWORK_SESSION_EXPIRED => Self::NetworkSessionExpired,
            code::STATUS_FILE_SYSTEM_LIMITATION => Self::FileSystemLimitation,
            code::STATUS_FILE_TOO_LARGE => Self::FileTooLarge,
            code::STATUS_INVALID_SIGNATURE => Self::InvalidSignature,
            code::STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP => {
                Self::NoPreauthIntegrityHashOverlap
            }
            other => Self::Unknown(other),
        }
    }

    /// The wire status value.
    pub fn to_u32(self) -> u32 {
        match self {
            Self::Success => code::STATUS_SUCCESS,
            Self::Pending => code::STATUS_PENDING,
            Self::NotifyCleanup => code::STATUS_NOTIFY_CLEANUP,
            Self::NotifyEnumDir => code::STATUS_NOTIFY_ENUM_DIR,
            Self::BufferOverflow => code::STATUS_BUFFER_OVERFLOW,
            Self::NoMoreFiles => code::STATUS_NO_MORE_FILES,
            Self::StoppedOnSymlink => code::STATUS_STOPPED_ON_SYMLINK,
            Self::Unsuccessful => code::STATUS_UNSUCCESSFUL,
            Self::NotImplemented => code::STATUS_NOT_IMPLEMENTED,
            Self::InvalidInfoClass => code::STATUS_INVALID_INFO_CLASS,
            Self::InfoLengthMismatch => code::STATUS_INFO_LENGTH_MISMATCH,
            Self::AccessViolation => code::STATUS_ACCESS_VIOLATION,
            Self::InvalidHandle => code::STATUS_INVALID_HANDLE,
            Self::InvalidParameter => code::STATUS_INVALID_PARAMETER,
            Self::NoSuchDevice => code::STATUS_NO_SUCH_DEVICE,
            Self::NoSuchFile => code::STATUS_NO_SUCH_FILE,
            Self::InvalidDeviceRequest => code::STATUS_INVALID_DEVICE_REQUEST,
            Self::EndOfFile => code::STATUS_END_OF_FILE,
            Self::MoreProcessingRequired => code::STATUS_MORE_PROCESSING_REQUIRED,
            Self::NoMemory => code::STATUS_NO_MEMORY,
            Self::InvalidLockSequence => code::STATUS_INVALID_LOCK_SEQUENCE,
            Self::AccessDenied => code::STATUS_ACCESS_DENIED,
            Self::BufferTooSmall => code::STATUS_BUFFER_TOO_SMALL,
            Self::ObjectTypeMismatch => code::STATUS_OBJECT_TYPE_MISMATCH,
            Self::ObjectNameInvalid => code::STATUS_OBJECT_NAME_INVALID,
            Self::ObjectNameNotFound => code::STATUS_OBJECT_NAME_NOT_FOUND,
            Self::ObjectNameCollision => code::STATUS_OBJECT_NAME_COLLISION,
            Self::ObjectPathInvalid => code::STATUS_OBJECT_PATH_INVALID,
            Self::ObjectPathNotFound => code::STATUS_OBJECT_PATH_NOT_FOUND,
            Self::ObjectPathSyntaxBad => code::STATUS_OBJECT_PATH_SYNTAX_BAD,
            Self::SharingViolation => code::STATUS_SHARING_VIOLATION,
            Self::QuotaExceeded => code::STATUS_QUOTA_EXCEEDED,
            Self::EasNotSupported => code::STATUS_EAS_NOT_SUPPORTED,
            Self::FileLockConflict => code::STATUS_FILE_LOCK_CONFLICT,
            Self::LockNotGranted => code::STATUS_LOCK_NOT_GRANTED,
            Self::DeletePending => code::STATUS_DELETE_PENDING,
            Self::PrivilegeNotHeld => code::STATUS_PRIVILEGE_NOT_HELD,
            Self::NoSuchUser => code::STATUS_NO_SUCH_USER,
            Self::WrongPassword => code::STATUS_WRONG_PASSWORD,
            Self::LogonFailure => code::STATUS_LOGON_FAILURE,
            Self::AccountRestriction => code::STATUS_ACCOUNT_RESTRICTION,
            Self::PasswordExpired => code::STATUS_PASSWORD_EXPIRED,
            Self::AccountDisabled => code::STATUS_ACCOUNT_DISABLED,
            Self::RangeNotLocked => code::STATUS_RANGE_NOT_LOCKED,
            Self::DiskFull => code::STATUS_DISK_FULL,
            Self::FileInvalid => code::STATUS_FILE_INVALID,
            Self::InsufficientResources => code::STATUS_INSUFFICIENT_RESOURCES,
            Self::MediaWriteProtected => code::STATUS_MEDIA_WRITE_PROTECTED,
            Self::BadImpersonationLevel => code::STATUS_BAD_IMPERSONATION_LEVEL,
            Self::IoTimeout => code::STATUS_IO_TIMEOUT,
            Self::FileIsADirectory => code::STATUS_FILE_IS_A_DIRECTORY,
            Self::NotSupported => code::STATUS_NOT_SUPPORTED,
            Self::BadNetworkPath => code::STATUS_BAD_NETWORK_PATH,
            Self::NetworkBusy => code::STATUS_NETWORK_BUSY,
            Self::InvalidNetworkResponse => code::STATUS_INVALID_NETWORK_RESPONSE,
            Self::UnexpectedNetworkError => code::STATUS_UNEXPECTED_NETWORK_ERROR,
            Self::NetworkNameDeleted => code::STATUS_NETWORK_NAME_DELETED,
            Self::NetworkAccessDenied => code::STATUS_NETWORK_ACCESS_DENIED,
            Self::BadNetworkName => code::STATUS_BAD_NETWORK_NAME,
            Self::RequestNotAccepted => code::STATUS_REQUEST_NOT_ACCEPTED,
            Self::NotSameDevice => code::STATUS_NOT_SAME_DEVICE,
            Self::FileRenamed => code::STATUS_FILE_RENAMED,
            Self::OplockNotGranted => code::STATUS_OPLOCK_NOT_GRANTED,
            Self::InternalError => code::STATUS_INTERNAL_ERROR,
            Self::DirectoryNotEmpty => code::STATUS_DIRECTORY_NOT_EMPTY,
            Self::NotADirectory => code::STATUS_NOT_A_DIRECTORY,
            Self::NameTooLong => code::STATUS_NAME_TOO_LONG,
            Self::TooManyOpenedFiles => code::STATUS_TOO_MANY_OPENED_FILES,
            Self::Cancelled => code::STATUS_CANCELLED,
            Self::CannotDelete => code::STATUS_CANNOT_DELETE,
            Self::FileDeleted => code::STATUS_FILE_DELETED,
            Self::FileClosed => code::STATUS_FILE_CLOSED,
            Self::InvalidLevel => code::STATUS_INVALID_LEVEL,
            Self::PipeBroken => code::STATUS_PIPE_BROKEN,
            Self::InvalidDeviceState => code::STATUS_INVALID_DEVICE_STATE,
            Self::PossibleDeadlock => code::STATUS_POSSIBLE_DEADLOCK,
            Self::UserSessionDeleted => code::STATUS_USER_SESSION_DELETED,
            Self::InsuffServerResources => code::STATUS_INSUFF_SERVER_RESOURCES,
            Self::ConnectionDisconnected => code::STATUS_CONNECTION_DISCONNECTED,
            Self::ConnectionReset => code::STATUS_CONNECTION_RESET,
            Self::NotFound => code::STATUS_NOT_FOUND,
            Self::Retry => code::STATUS_RETRY,
            Self::AccountLockedOut => code::STATUS_ACCOUNT_LOCKED_OUT,
            Self::RequestAborted => code::STATUS_REQUEST_ABORTED,
            Self::PathNotCovered => code::STATUS_PATH_NOT_COVERED,
            Self::TooManyLinks => code::STATUS_TOO_MANY_LINKS,
            Self::NotAReparsePoint => code::STATUS_NOT_A_REPARSE_POINT,
            Self::NetworkSessionExpired => code::STATUS_NETWORK_SESSION_EXPIRED,
            Self::FileSystemLimitation => code::STATUS_FILE_SYSTEM_LIMITATION,
            Self::FileTooLarge => code::STATUS_FILE_TOO_LARGE,
            Self::InvalidSignature => code::STATUS_INVALID_SIGNATURE,
            Self::NoPreauthIntegrityHashOverlap => {
                code::STATUS_SMB_NO_PREAUTH_INTEGRITY_HASH_OVERLAP
            }
            Self::Unknown(other) => other,
        }
    }

    /// The severity bits of the code.
    pub fn severity(self) -> Severity {
        match self.to_u32() >> 30 {
            0 => Severity::Success,
            1 => Severity::Informational,
            2 => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// True for the success and informational severities (including
    /// `STATUS_PENDING` and `STATUS_NOTIFY_ENUM_DIR`).
    pub fn is_success(self) -> bool {
        matches!(self.severity(), Severity::Success | Severity::Informational)
    }

    /// True for the error severity.
    pub fn is_error(self) -> bool {
        self.severity() == Severity::Error
    }

    /// The positive Linux errno for this status, 0 for success and
    /// informational codes.
    ///
    /// Unknown warning and error codes map to `EIO`. Session, tree and
    /// connection loss map to `EAGAIN`/`ECONNABORTED`: the client layer
    /// reconnects and retries before anything reaches user space.
    pub fn errno(self) -> i32 {
        match self {
            Self::BufferOverflow => errno::EOVERFLOW,
            Self::NoMoreFiles => errno::ENODATA,
            Self::StoppedOnSymlink => errno::ELOOP,
            Self::Unsuccessful => errno::EIO,
            Self::NotImplemented => errno::EOPNOTSUPP,
            Self::InvalidInfoClass => errno::EOPNOTSUPP,
            Self::InfoLengthMismatch => errno::EINVAL,
            Self::AccessViolation => errno::EACCES,
            Self::InvalidHandle => errno::EBADF,
            Self::InvalidParameter => errno::EINVAL,
            Self::NoSuchDevice => errno::ENODEV,
            Self::NoSuchFile => errno::ENOENT,
            Self::InvalidDeviceRequest => errno::EOPNOTSUPP,
            Self::EndOfFile => errno::ENODATA,
            Self::MoreProcessingRequired => errno::EIO,
            Self::NoMemory => errno::ENOMEM,
            Self::InvalidLockSequence => errno::EINVAL,
            Self::AccessDenied => errno::EACCES,
            Self::BufferTooSmall => errno::ERANGE,
            Self::ObjectTypeMismatch => errno::EINVAL,
            Self::ObjectNameInvalid => errno::EINVAL,
            Self::ObjectNameNotFound => errno::ENOENT,
            Self::ObjectNameCollision => errno::EEXIST,
            Self::ObjectPathInvalid => errno::ENOTDIR,
            Self::ObjectPathNotFound => errno::ENOENT,
            Self::ObjectPathSyntaxBad => errno::EINVAL,
            Self::SharingViolation => errno::EBUSY,
            Self::QuotaExceeded => errno::EDQUOT,
            Self::EasNotSupported => errno::EOPNOTSUPP,
            Self::FileLockConflict => errno::EACCES,
            Self::LockNotGranted => errno::EAGAIN,
            Self::DeletePending => errno::ENOENT,
            Self::PrivilegeNotHeld => errno::EPERM,
            Self::NoSuchUser => errno::EACCES,
            Self::WrongPassword => errno::EACCES,
            Self::LogonFailure => errno::EACCES,
            Self::AccountRestriction => errno::EACCES,
            Self::PasswordExpired => errno::EKEYEXPIRED,
            Self::AccountDisabled => errno::EACCES,
            Self::RangeNotLocked => errno::ENOLCK,
            Self::DiskFull => errno::ENOSPC,
            Self::FileInvalid => errno::ESTALE,
            Self::InsufficientResources => errno::ENOMEM,
            Self::MediaWriteProtected => errno::EROFS,
            Self::BadImpersonationLevel => errno::EACCES,
            Self::IoTimeout => errno::ETIMEDOUT,
            Self::FileIsADirectory => errno::EISDIR,
            Self::NotSupported => errno::EOPNOTSUPP,
            Self::BadNetworkPath => errno::ENOENT,
            Self::NetworkBusy => errno::EBUSY,
            Self::InvalidNetworkResponse => errno::EIO,
            Self::UnexpectedNetworkError => errno::EIO,
            Self::NetworkNameDeleted => errno::EAGAIN,
            Self::NetworkAccessDenied => errno::EACCES,
            Self::BadNetworkName => errno::ENOENT,
            Self::RequestNotAccepted => errno::EAGAIN,
            Self::NotSameDevice => errno::EXDEV,
            Self::FileRenamed => errno::ESTALE,
            Self::OplockNotGranted => errno::EIO,
            Self::InternalError => errno::EIO,
            Self::DirectoryNotEmpty => errno::ENOTEMPTY,
            Self::NotADirectory => errno::ENOTDIR,
            Self::NameTooLong => errno::ENAMETOOLONG,
            Self::TooManyOpenedFiles => errno::EMFILE,
            Self::Cancelled => errno::ECANCELED,
            Self::CannotDelete => errno::EACCES,
            Self::FileDeleted => errno::ESTALE,
            Self::FileClosed => errno::EBADF,
            Self::InvalidLevel => errno::EOPNOTSUPP,
            Self::PipeBroken => errno::EPIPE,
            Self::InvalidDeviceState => errno::EIO,
            Self::PossibleDeadlock => errno::EDEADLK,
            Self::UserSessionDeleted => errno::EAGAIN,
            Self::InsuffServerResources => errno::EAGAIN,
            Self::ConnectionDisconnected => errno::ECONNABORTED,
            Self::ConnectionReset => errno::ECONNABORTED,
            Self::NotFound => errno::ENOENT,
            Self::Retry => errno::EAGAIN,
            Self::AccountLockedOut => errno::EACCES,
            Self::RequestAborted => errno::ECONNABORTED,
            Self::PathNotCovered => errno::EREMOTE,
            Self::TooManyLinks => errno::EMLINK,
            Self::NotAReparsePoint => errno::EINVAL,
            Self::NetworkSessionExpired => errno::EAGAIN,
            Self::FileSystemLimitation => errno::EFBIG,
            Self::FileTooLarge => errno::EFBIG,
            Self::InvalidSignature => errno::EACCES,
            Self::NoPreauthIntegrityHashOverlap => errno::EOPNOTSUPP,
            other => {
                if other.is_success() {
                    0
                } else {
                    errno::EIO
                }
            }
        }
    }
}

/// Every named status, for tests and tables.
pub const NAMED_STATUSES: &[NtStatus] = &[
    NtStatus::Success,
    NtStatus::Pending,
    NtStatus::NotifyCleanup,
    NtStatus::NotifyEnumDir,
    NtStatus::BufferOverflow,
    NtStatus::NoMoreFiles,
    NtStatus::StoppedOnSymlink,
    NtStatus::Unsuccessful,
    NtStatus::NotImplemented,
    NtStatus::InvalidInfoClass,
    NtStatus::InfoLengthMismatch,
    NtStatus::AccessViolation,
    NtStatus::InvalidHandle,
    NtStatus::InvalidParameter,
    NtStatus::NoSuchDevice,
    NtStatus::NoSuchFile,
    NtStatus::InvalidDeviceRequest,
    NtStatus::EndOfFile,
    NtStatus::MoreProcessingRequired,
    NtStatus::NoMemory,
    NtStatus::InvalidLockSequence,
    NtStatus::AccessDenied,
    NtStatus::BufferTooSmall,
    NtStatus::ObjectTypeMismatch,
    NtStatus::ObjectNameInvalid,
    NtStatus::ObjectNameNotFound,
    NtStatus::ObjectNameCollision,
    NtStatus::ObjectPathInvalid,
    NtStatus::ObjectPathNotFound,
    NtStatus::ObjectPathSyntaxBad,
    NtStatus::SharingViolation,
    NtStatus::QuotaExceeded,
    NtStatus::EasNotSupported,
    NtStatus::FileLockConflict,
    NtStatus::LockNotGranted,
    NtStatus::DeletePending,
    NtStatus::PrivilegeNotHeld,
    NtStatus::NoSuchUser,
    NtStatus::WrongPassword,
    NtStatus::LogonFailure,
    NtStatus::AccountRestriction,
    NtStatus::PasswordExpired,
    NtStatus::AccountDisabled,
    NtStatus::RangeNotLocked,
    NtStatus::DiskFull,
    NtStatus::FileInvalid,
    NtStatus::InsufficientResources,
    NtStatus::MediaWriteProtected,
    NtStatus::BadImpersonationLevel,
    NtStatus::IoTimeout,
    NtStatus::FileIsADirectory,
    NtStatus::NotSupported,
    NtStatus::BadNetworkPath,
    NtStatus::NetworkBusy,
    NtStatus::InvalidNetworkResponse,
    NtStatus::UnexpectedNetworkError,
    NtStatus::NetworkNameDeleted,
    NtStatus::NetworkAccessDenied,
    NtStatus::BadNetworkName,
    NtStatus::RequestNotAccepted,
    NtStatus::NotSameDevice,
    NtStatus::FileRenamed,
    NtStatus::OplockNotGranted,
    NtStatus::InternalError,
    NtStatus::DirectoryNotEmpty,
    NtStatus::NotADirectory,
    NtStatus::NameTooLong,
    NtStatus::TooManyOpenedFiles,
    NtStatus::Cancelled,
    NtStatus::CannotDelete,
    NtStatus::FileDeleted,
    NtStatus::FileClosed,
    NtStatus::InvalidLevel,
    NtStatus::PipeBroken,
    NtStatus::InvalidDeviceState,
    NtStatus::PossibleDeadlock,
    NtStatus::UserSessionDeleted,
    NtStatus::InsuffServerResources,
    NtStatus::ConnectionDisconnected,
    NtStatus::ConnectionReset,
    NtStatus::NotFound,
    NtStatus::Retry,
    NtStatus::AccountLockedOut,
    NtStatus::RequestAborted,
    NtStatus::PathNotCovered,
    NtStatus::TooManyLinks,
    NtStatus::NotAReparsePoint,
    NtStatus::NetworkSessionExpired,
    NtStatus::FileSystemLimitation,
    NtStatus::FileTooLarge,
    NtStatus::InvalidSignature,
    NtStatus::NoPreauthIntegrityHashOverlap,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_round_trip_and_are_distinct() {
        for (i, s) in NAMED_STATUSES.iter().enumerate() {
            assert_eq!(NtStatus::from_u32(s.to_u32()), *s);
            assert!(!matches!(s, NtStatus::Unknown(_)));
            for t in NAMED_STATUSES.iter().skip(i.saturating_add(1)) {
                assert_ne!(s.to_u32(), t.to_u32());
            }
        }
        assert!(NAMED_STATUSES.len() >= 60);
    }

    #[test]
    fn well_known_values() {
        // MS-ERREF §2.3.1.
        assert_eq!(NtStatus::from_u32(0), NtStatus::Success);
        assert_eq!(NtStatus::from_u32(0x0000_0103), NtStatus::Pending);
        assert_eq!(
            NtStatus::from_u32(0xC000_0016),
            NtStatus::MoreProcessingRequired
        );
        assert_eq!(NtStatus::from_u32(0xC000_0022), NtStatus::AccessDenied);
        assert_eq!(
            NtStatus::from_u32(0xC000_0034),
            NtStatus::ObjectNameNotFound
        );
        assert_eq!(NtStatus::from_u32(0x8000_0006), NtStatus::NoMoreFiles);
        assert_eq!(
            NtStatus::from_u32(0xC000_035C),
            NtStatus::NetworkSessionExpired
        );
        assert_eq!(
            NtStatus::from_u32(0x1234_5678),
            NtStatus::Unknown(0x1234_5678)
        );
    }

    #[test]
    fn errno_mapping() {
        use errno::*;
        let cases = [
            (NtStatus::Success, 0),
            (NtStatus::Pending, 0),
            (NtStatus::NotifyEnumDir, 0),
            (NtStatus::ObjectNameNotFound, ENOENT),
            (NtStatus::ObjectPathNotFound, ENOENT),
            (NtStatus::AccessDenied, EACCES),
            (NtStatus::LogonFailure, EACCES),
            (NtStatus::ObjectNameCollision, EEXIST),
            (NtStatus::DirectoryNotEmpty, ENOTEMPTY),
            (NtStatus::NotADirectory, ENOTDIR),
            (NtStatus::FileIsADirectory, EISDIR),
            (NtStatus::SharingViolation, EBUSY),
            (NtStatus::DiskFull, ENOSPC),
            (NtStatus::InvalidParameter, EINVAL),
            (NtStatus::NotSupported, EOPNOTSUPP),
            (NtStatus::IoTimeout, ETIMEDOUT),
            (NtStatus::InsufficientResources, ENOMEM),
            (NtStatus::NotSameDevice, EXDEV),
            (NtStatus::FileDeleted, ESTALE),
            (NtStatus::NetworkSessionExpired, EAGAIN),
            (NtStatus::InvalidHandle, EBADF),
            (NtStatus::ConnectionReset, ECONNABORTED),
            (NtStatus::NameTooLong, ENAMETOOLONG),
            (NtStatus::MediaWriteProtected, EROFS),
            (NtStatus::PrivilegeNotHeld, EPERM),
            (NtStatus::RangeNotLocked, ENOLCK),
            (NtStatus::PossibleDeadlock, EDEADLK),
            (NtStatus::FileTooLarge, EFBIG),
            (NtStatus::BufferOverflow, EOVERFLOW),
            (NtStatus::StoppedOnSymlink, ELOOP),
            (NtStatus::Unknown(0xC0FF_EE00), EIO),
            (NtStatus::Unknown(0x8000_7777), EIO),
            (NtStatus::Unknown(0x4000_0001), 0),
        ];
        for (s, e) in cases {
            assert_eq!(s.errno(), e, "{s:?}");
        }
        for s in NAMED_STATUSES {
            assert!(s.errno() >= 0);
            assert_eq!(s.errno() == 0, s.is_success(), "{s:?}");
        }
    }

    #[test]
    fn severity_bits() {
        assert_eq!(NtStatus::Success.severity(), Severity::Success);
        assert_eq!(
            NtStatus::Unknown(0x4000_0000).severity(),
            Severity::Informational
        );
        assert_eq!(NtStatus::BufferOverflow.severity(), Severity::Warning);
        assert_eq!(NtStatus::AccessDenied.severity(), Severity::Error);
        assert!(NtStatus::AccessDenied.is_error());
        assert!(!NtStatus::BufferOverflow.is_error());
    }
}
