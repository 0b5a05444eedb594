// SPDX-License-Identifier: GPL-2.0
//! Sessions: NTLMSSP with NTLMv2 over SESSION_SETUP (MS-SMB2 3.2.4.2.3,
//! 3.2.5.3; MS-NLMP 3.1.5), key derivation with the 3.1.1 preauth integrity
//! hash, the check of the final SESSION_SETUP response's signature, the
//! keys handed to the transport (which signs, verifies, seals and opens
//! with them), TREE_CONNECT (MS-SMB2 3.2.4.2.4), TREE_DISCONNECT and
//! LOGOFF.
#![forbid(unsafe_code)]

use crate::kext::crypto::memzero_explicit;
use crate::kext::random;
use crate::proto::crypto::Cipher;
use crate::proto::header::{self, Command, Header, HeaderTarget, HEADER_LEN};
use crate::proto::ioctl::{
    ctl_code, IoctlRequest, IoctlResponse, ValidateNegotiateInfoRequest,
    ValidateNegotiateInfoResponse, IOCTL_IS_FSCTL,
};
use crate::proto::kdf::{derive_session_keys, KeySchedule};
use crate::proto::message::{encode, Message};
use crate::proto::message::{FileId, U16List};
use crate::proto::ntlmssp::authenticate::{
    emit_authenticate, AuthenticateRequest, MAX_AUTHENTICATE_LEN,
};
use crate::proto::ntlmssp::challenge::ChallengeMessage;
use crate::proto::ntlmssp::flags;
use crate::proto::ntlmssp::negotiate::{emit_negotiate, NEGOTIATE_LEN_WITH_VERSION};
use crate::proto::ntlmssp::version::{Version, NTLMSSP_REVISION_W2K3};
use crate::proto::preauth::PreauthHash;
use crate::proto::session::{SessionSetupRequest, SessionSetupResponse};
use crate::proto::signing::{self, SigningAlgorithm};
use crate::proto::status::{code, NtStatus};
use crate::proto::tree::{TreeConnectRequest, TreeConnectResponse};
use crate::proto::utf16::encode_utf16le;
use crate::smb_crypto::SmbCrypto;
use crate::smb_xprt::{Negotiated, SessionKeys, Transport};
use crate::task::TaskOp;
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::sync::Arc;

/// Numbers each session object, so that a handle can tell the session its
/// tree was connected on from a later one (on the same connection too,
/// after the server forgot a session).
static INCARNATIONS: AtomicU64 = AtomicU64::new(1);

/// SMB2_NEGOTIATE_SIGNING_ENABLED / _REQUIRED (MS-SMB2 2.2.3, 2.2.5).
const SIGNING_ENABLED: u8 = 0x01;
const SIGNING_REQUIRED: u16 = 0x02;
/// SMB2_SESSION_FLAG_IS_GUEST / IS_NULL / ENCRYPT_DATA (2.2.6).
const SESSION_FLAG_IS_GUEST: u16 = 0x0001;
const SESSION_FLAG_IS_NULL: u16 = 0x0002;
const SESSION_FLAG_ENCRYPT_DATA: u16 = 0x0004;

/// SMB2_SHAREFLAG_ENCRYPT_DATA (MS-SMB2 2.2.10).
const SHAREFLAG_ENCRYPT_DATA: u32 = 0x0000_8000;

/// Largest reply a session or tree setup takes.
const SETUP_REPLY: usize = 4096;

/// Setup requests wait at most this long for each reply.
const SETUP_TIMEOUT_MS: u32 = 30_000;

/// Secret bytes on the heap (they never move by value), wiped when freed.
pub(crate) struct Secret<const N: usize>(KBox<[u8; N]>);

impl<const N: usize> Secret<N> {
    pub(crate) fn new(v: [u8; N]) -> Result<Self> {
        let mut b = KBox::new([0u8; N], GFP_KERNEL)?;
        b.copy_from_slice(&v);
        Ok(Self(b))
    }

    pub(crate) fn get(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> Drop for Secret<N> {
    fn drop(&mut self) {
        memzero_explicit(&mut self.0[..]);
    }
}

/// Who authenticates: the user, the domain and the NT hash (never the
/// password).
pub(crate) struct Credentials {
    pub(crate) user: KVec<u8>,
    pub(crate) domain: KVec<u8>,
    pub(crate) nt_hash: Secret<16>,
}

impl Credentials {
    fn user(&self) -> Result<&str> {
        core::str::from_utf8(&self.user).map_err(|_| EINVAL)
    }

    fn domain(&self) -> Result<&str> {
        core::str::from_utf8(&self.domain).map_err(|_| EINVAL)
    }
}

/// An authenticated session on a transport.
pub(crate) struct Session {
    /// Shared with the session that replaces this one after a reconnect.
    pub(crate) xprt: Arc<Transport>,
    /// The connection generation it was set up on.
    pub(crate) generation: u64,
    /// This session object's number (see `INCARNATIONS`).
    pub(crate) incarnation: u64,
    pub(crate) session_id: u64,
    pub(crate) dialect: u16,
    /// The signing algorithm (none for a guest session); the key is the
    /// transport's.
    signing: Option<SigningAlgorithm>,
    /// Every request is signed (the server requires it, or the caller
    /// asked); otherwise only those whose header says SMB2_FLAGS_SIGNED
    /// (VALIDATE_NEGOTIATE_INFO).
    sign_all: bool,
    pub(crate) guest: bool,
    /// The transport holds this session's keys (to clear when it ends).
    keys_set: bool,
    /// A cipher was negotiated: its requests can be sealed.
    can_seal: bool,
    /// Session.EncryptData: every request is sealed (the server asked, or
    /// the caller did).
    pub(crate) encrypt: bool,
    /// The connection's MaxReadSize, MaxWriteSize and MaxTransactSize
    /// (MS-SMB2 2.2.4), as negotiated when the session was set up: what
    /// requests are sized by while the transport reconnects.
    pub(crate) max_read: u32,
    pub(crate) max_write: u32,
    pub(crate) max_transact: u32,
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.keys_set {
            self.xprt
                .clear_session_keys(self.generation, self.session_id, self.incarnation);
        }
    }
}

/// The errno of a reply's (failure) NT status.
pub(crate) fn status_errno(status: u32) -> Error {
    match NtStatus::from_u32(status).errno() {
        0 => EIO,
        e => Error::from_errno(-e),
    }
}

fn header_of(reply: &[u8]) -> Result<Header> {
    Header::parse(reply).map_err(|_| EPROTO)
}

impl Session {
    /// Authenticates `creds` on `xprt` (connected). `sign`: sign requests
    /// even if the server does not require it; `seal`: encrypt them even if
    /// the server does not require it.
    pub(crate) fn setup(
        xprt: Arc<Transport>,
        creds: &Credentials,
        sign: bool,
        seal: bool,
    ) -> Result<Self> {
        xprt.wait_connected(Some(SETUP_TIMEOUT_MS))?;
        let neg = xprt.negotiated()?;
        let mut preauth = PreauthHash::from_value(neg.preauth_hash);
        let is_311 = neg.dialect == 0x0311;

        // NEGOTIATE_MESSAGE (MS-NLMP 2.2.1.1).
        let nflags = flags::NEGOTIATE_UNICODE
            | flags::REQUEST_TARGET
            | flags::NEGOTIATE_SIGN
            | flags::NEGOTIATE_NTLM
            | flags::NEGOTIATE_ALWAYS_SIGN
            | flags::NEGOTIATE_EXTENDED_SESSIONSECURITY
            | flags::NEGOTIATE_TARGET_INFO
            | flags::NEGOTIATE_VERSION
            | flags::NEGOTIATE_128
            | flags::NEGOTIATE_KEY_EXCH
            | flags::NEGOTIATE_56;
        let version = Version {
            major: 6,
            minor: 1,
            build: 7600,
            revision: NTLMSSP_REVISION_W2K3,
        };
        let mut ntlm_neg = [0u8; NEGOTIATE_LEN_WITH_VERSION];
        let nlen = emit_negotiate(nflags, version, &mut ntlm_neg).map_err(|_| EINVAL)?;
        let ntlm_neg = &ntlm_neg[..nlen];

        let mut reply = KVec::from_elem(0u8, SETUP_REPLY, GFP_KERNEL)?;
        let mut req = KVec::from_elem(0u8, HEADER_LEN + 24 + MAX_AUTHENTICATE_LEN, GFP_KERNEL)?;

        // Round 1: NEGOTIATE, answered by a CHALLENGE.
        let n = Self::setup_request(0, ntlm_neg, &mut req)?;
        let rlen = setup_round(
            &xprt,
            &mut req[..n],
            &mut reply,
            is_311.then_some(&mut preauth),
        )?;
        let r = &reply[..rlen];
        let h = header_of(r)?;
        if h.status != code::STATUS_MORE_PROCESSING_REQUIRED {
            return Err(status_errno(h.status));
        }
        if is_311 {
            preauth.update(&SmbCrypto, r);
        }
        let session_id = h.session_id;
        let rsp = SessionSetupResponse::parse(r).map_err(|_| EPROTO)?;
        let challenge = ChallengeMessage::new_checked(rsp.security_buffer).map_err(|_| EPROTO)?;

        // Round 2: AUTHENTICATE (NTLMv2).
        let mut client_challenge = [0u8; 8];
        random::fill(&mut client_challenge);
        let mut random_key = [0u8; 16];
        random::fill(&mut random_key);
        let mut auth = KVec::from_elem(0u8, MAX_AUTHENTICATE_LEN, GFP_KERNEL)?;
        let areq = AuthenticateRequest {
            nt_hash: creds.nt_hash.get(),
            user: creds.user()?,
            domain: creds.domain()?,
            workstation: "",
            negotiate_flags: nflags & challenge.negotiate_flags() | flags::NEGOTIATE_UNICODE,
            version,
            client_challenge,
            time: crate::kext::clock::filetime_now(),
            random_session_key: random_key,
            client_av_pairs: &[],
            negotiate_message: ntlm_neg,
        };
        let out = emit_authenticate(&SmbCrypto, &areq, &challenge, &mut auth);
        memzero_explicit(&mut random_key);
        let out = out.map_err(|_| EINVAL)?;
        let mut exported = out.exported_session_key;
        let n = Self::setup_request(session_id, &auth[..out.len], &mut req)?;
        memzero_explicit(&mut auth[..]);
        let call = setup_round(
            &xprt,
            &mut req[..n],
            &mut reply,
            is_311.then_some(&mut preauth),
        );
        let rlen = match call {
            Ok(l) => l,
            Err(e) => {
                memzero_explicit(&mut exported);
                return Err(e);
            }
        };
        let r = &reply[..rlen];
        let h = header_of(r)?;
        if h.status != code::STATUS_SUCCESS {
            memzero_explicit(&mut exported);
            return Err(status_errno(h.status));
        }
        let rsp = match SessionSetupResponse::parse(r) {
            Ok(rsp) => rsp,
            Err(_) => {
                memzero_explicit(&mut exported);
                return Err(EPROTO);
            }
        };
        let guest = rsp.session_flags & (SESSION_FLAG_IS_GUEST | SESSION_FLAG_IS_NULL) != 0;
        let server_seals = rsp.session_flags & SESSION_FLAG_ENCRYPT_DATA != 0;
        // MS-SMB2 3.2.5.3.1: encryption keys exist for SMB 3.x with a
        // cipher, and not for guest or anonymous sessions.
        let cipher = match (neg.dialect >= 0x0300 && !guest, neg.cipher) {
            (true, id) if id != 0 => Cipher::from_id(id).ok(),
            _ => None,
        };
        if (seal || server_seals) && cipher.is_none() {
            memzero_explicit(&mut exported);
            kernel::pr_err!(
                "session: encryption {} but dialect {:#x} has no cipher in common with the server\n",
                if seal { "was asked for" } else { "is required by the server" },
                neg.dialect
            );
            return Err(EOPNOTSUPP);
        }

        let schedule = match neg.dialect {
            0x0311 => KeySchedule::Smb311 {
                preauth_hash: preauth.value(),
            },
            0x0300 | 0x0302 => KeySchedule::Smb30,
            _ => KeySchedule::Smb2,
        };
        let keys = derive_session_keys(&SmbCrypto, schedule, &exported, cipher);
        memzero_explicit(&mut exported);
        let mut keys = keys.map_err(|_| EINVAL)?;
        let must_sign = (neg.security_mode & SIGNING_REQUIRED != 0 || sign) && !guest;
        let alg = match (!guest).then(|| algorithm(&neg)) {
            Some(Ok(alg)) => Some(alg),
            Some(Err(e)) if must_sign => {
                wipe_keys(&mut keys);
                return Err(e);
            }
            _ => None,
        };
        // MS-SMB2 3.2.5.3.1: the final SESSION_SETUP response is verified
        // with the key just derived. On 3.1.1 the server must sign it: its
        // signature is what binds the preauth hash, and with it the whole
        // NEGOTIATE and SESSION_SETUP exchange, to the session key.
        let signed = header::is_signed(r).unwrap_or(false);
        if let Some(alg) = alg {
            let required = is_311 && !guest;
            let bad = if signed {
                signing::verify(&SmbCrypto, alg, &keys.signing_key, r, &[0u8; 0][..]).is_err()
            } else {
                required
            };
            if bad {
                wipe_keys(&mut keys);
                kernel::pr_err!(
                    "session {:#x}: the final SESSION_SETUP response is {}; refusing the session\n",
                    session_id,
                    if signed {
                        "not signed with the session's key"
                    } else {
                        "not signed"
                    }
                );
                return Err(EACCES);
            }
        }
        let incarnation = INCARNATIONS.fetch_add(1, Ordering::Relaxed);
        let mut sk = SessionKeys {
            generation: neg.generation,
            session_id,
            owner: incarnation,
            signing_algorithm: alg.map_or(crate::bindings::SMB_XPRT_SIGN_NONE as u16, |a| a.id()),
            cipher: 0,
            key_len: 0,
            signing_key: keys.signing_key,
            enc: [0; 32],
            dec: [0; 32],
        };
        if let (Some(c), Some(enc), Some(dec)) =
            (cipher, &keys.encryption_key, &keys.decryption_key)
        {
            let n = c.key_len();
            sk.cipher = neg.cipher;
            sk.key_len = n as u32;
            sk.enc[..n].copy_from_slice(enc.as_bytes());
            sk.dec[..n].copy_from_slice(dec.as_bytes());
        }
        let handed = if alg.is_some() || sk.cipher != 0 {
            xprt.set_session_keys(&sk).map(|()| true)
        } else {
            Ok(false)
        };
        memzero_explicit(&mut sk.signing_key);
        memzero_explicit(&mut sk.enc);
        memzero_explicit(&mut sk.dec);
        wipe_keys(&mut keys);
        let keys_set = handed?;
        Ok(Self {
            xprt,
            generation: neg.generation,
            incarnation,
            session_id,
            dialect: neg.dialect,
            signing: alg,
            sign_all: must_sign,
            guest,
            keys_set,
            can_seal: cipher.is_some(),
            encrypt: seal || server_seals,
            max_read: neg.max_read_size,
            max_write: neg.max_write_size,
            max_transact: neg.max_transact_size,
        })
    }

    /// Whether requests on a tree with these share flags are sealed:
    /// the session's choice, or the share's (SMB2_SHAREFLAG_ENCRYPT_DATA,
    /// MS-SMB2 2.2.10). `EOPNOTSUPP` if the share asks and there are no
    /// keys (no cipher in common).
    pub(crate) fn seals_tree(&self, share_flags: u32) -> Result<bool> {
        if self.encrypt {
            return Ok(true);
        }
        if share_flags & SHAREFLAG_ENCRYPT_DATA == 0 {
            return Ok(false);
        }
        if !self.can_seal {
            kernel::pr_err!(
                "session {:#x}: the share requires encryption, which dialect {:#x} does not offer here\n",
                self.session_id,
                self.dialect
            );
            return Err(EOPNOTSUPP);
        }
        Ok(true)
    }

    /// A SESSION_SETUP request carrying `token` into `out`; its length.
    fn setup_request(session_id: u64, token: &[u8], out: &mut [u8]) -> Result<usize> {
        let mut h = Header::request(Command::SessionSetup);
        h.session_id = session_id;
        let body = SessionSetupRequest {
            flags: 0,
            security_mode: SIGNING_ENABLED,
            capabilities: 0,
            channel: 0,
            previous_session_id: 0,
            security_buffer: token,
        };
        encode(&h, &body, out).map_err(|_| EINVAL)
    }

    /// True if this session's requests are signed.
    pub(crate) fn signs(&self) -> bool {
        self.sign_all && self.signing.is_some()
    }

    /// Whether a request is signed: all of them on a signing session, else
    /// those that ask (`asked`: SMB2_FLAGS_SIGNED in its header, as
    /// VALIDATE_NEGOTIATE_INFO does).
    pub(crate) fn signs_request(&self, asked: bool) -> bool {
        self.signing.is_some() && (self.sign_all || asked)
    }

    /// Stamps this session's SessionId and `tree_id` into each operation's
    /// header.
    pub(crate) fn stamp_ops(&self, ops: &mut [TaskOp], tree_id: u32) -> Result {
        for op in ops.iter_mut() {
            stamp(&mut op.req, self.session_id, tree_id)?;
        }
        Ok(())
    }

    /// Sends a request of the session's own (TREE_CONNECT,
    /// VALIDATE_NEGOTIATE_INFO, TREE_DISCONNECT, LOGOFF, a late CLOSE) on
    /// tree `tree_id` and waits for its reply: it skips the credit line,
    /// waits the setup timeout, and is sealed when the session encrypts
    /// everything or `seal` says its tree does (MS-SMB2 3.2.4.1.8), else
    /// signed if the session signs it (`sign`: this one must be, or it
    /// signs them all). Returns the reply's length.
    pub(crate) fn call(
        &self,
        req: &mut [u8],
        tree_id: u32,
        sign: bool,
        seal: bool,
        reply: &mut [u8],
    ) -> Result<usize> {
        stamp(req, self.session_id, tree_id)?;
        if seal && !self.can_seal {
            return Err(EOPNOTSUPP);
        }
        let flags = if self.encrypt || seal {
            crate::bindings::SMB_XPRT_CALL_SEAL
        } else if self.signs_request(sign) {
            crate::bindings::SMB_XPRT_CALL_SIGN
        } else {
            0
        };
        self.xprt.call(
            &mut [req],
            crate::bindings::SMB_XPRT_CALL_PRIORITY | flags,
            reply,
            Some(SETUP_TIMEOUT_MS),
        )
    }

    /// Whether requests can be sealed on it (a cipher was negotiated).
    pub(crate) fn can_seal(&self) -> bool {
        self.can_seal
    }

    /// TREE_DISCONNECT (MS-SMB2 2.2.11) of `tree_id` (`seal`: the share
    /// requires encryption).
    pub(crate) fn tree_disconnect(&self, tree_id: u32, seal: bool) -> Result {
        let mut req = [0u8; HEADER_LEN + 4];
        let n = encode(
            &Header::request(Command::TreeDisconnect),
            &crate::proto::tree::TreeDisconnectRequest,
            &mut req,
        )
        .map_err(|_| EINVAL)?;
        let mut reply = [0u8; 128];
        let rlen = self.call(&mut req[..n], tree_id, false, seal, &mut reply)?;
        let h = header_of(&reply[..rlen])?;
        if h.status != code::STATUS_SUCCESS {
            return Err(status_errno(h.status));
        }
        Ok(())
    }

    /// LOGOFF (MS-SMB2 2.2.7): the session ends on the server.
    pub(crate) fn logoff(&self) -> Result {
        let mut req = [0u8; HEADER_LEN + 4];
        let n = encode(
            &Header::request(Command::Logoff),
            &crate::proto::session::LogoffRequest,
            &mut req,
        )
        .map_err(|_| EINVAL)?;
        let mut reply = [0u8; 128];
        let rlen = self.call(&mut req[..n], 0, false, false, &mut reply)?;
        let h = header_of(&reply[..rlen])?;
        if h.status != code::STATUS_SUCCESS {
            return Err(status_errno(h.status));
        }
        Ok(())
    }

    /// TREE_CONNECT to `\\server\share` (`unc`, UTF-8); returns the TreeId
    /// and the share flags.
    pub(crate) fn tree_connect(&self, unc: &str) -> Result<(u32, u32)> {
        let mut path = KVec::from_elem(0u8, unc.len().checked_mul(2).ok_or(EINVAL)?, GFP_KERNEL)?;
        let plen = encode_utf16le(unc, &mut path).map_err(|_| EINVAL)?;
        let mut req = KVec::from_elem(0u8, HEADER_LEN + 8 + plen.max(1), GFP_KERNEL)?;
        let body = TreeConnectRequest {
            flags: 0,
            path: &path[..plen],
        };
        let n =
            encode(&Header::request(Command::TreeConnect), &body, &mut req).map_err(|_| EINVAL)?;
        let mut reply = [0u8; 256];
        // MS-SMB2 3.2.4.1.1: on 3.1.1 a TREE_CONNECT on an authenticated
        // session is signed (or sealed), whatever the session's choice;
        // Samba disconnects a client that does not (3.3.5.7).
        let sign = self.dialect == 0x0311 && !self.guest;
        let rlen = self.call(&mut req[..n], 0, sign, false, &mut reply)?;
        let r = &reply[..rlen];
        let h = header_of(r)?;
        if h.status != code::STATUS_SUCCESS {
            return Err(status_errno(h.status));
        }
        let rsp = TreeConnectResponse::parse(r).map_err(|_| EPROTO)?;
        let HeaderTarget::Sync { tree_id } = h.target else {
            return Err(EPROTO);
        };
        if matches!(self.dialect, 0x0300 | 0x0302) && !self.guest {
            self.validate_negotiate(tree_id)?;
        }
        Ok((tree_id, rsp.share_flags))
    }

    /// VALIDATE_NEGOTIATE_INFO (MS-SMB2 3.2.5.5, 2.2.31.4): SMB 3.0 and
    /// 3.0.2 have no preauth integrity, so after a tree connect the client
    /// repeats what it negotiated in a signed (or sealed) request, and the
    /// server answers with what it saw; a difference means someone in
    /// between changed the NEGOTIATE (to strip signing or encryption, say).
    /// The reply must be signed with the session's key (or sealed).
    fn validate_negotiate(&self, tree_id: u32) -> Result {
        let neg = self.xprt.negotiated()?;
        let count = usize::from(neg.dialect_count).min(neg.dialects.len());
        let info = ValidateNegotiateInfoRequest {
            capabilities: neg.client_capabilities,
            guid: neg.client_guid,
            security_mode: neg.client_security_mode,
            dialects: U16List::Values(&neg.dialects[..count]),
        };
        let mut input = [0u8; 24 + 2 * 4];
        let ilen = info.emit(&mut input).map_err(|_| EINVAL)?;
        let h = Header::request(Command::Ioctl);
        let body = IoctlRequest {
            ctl_code: ctl_code::FSCTL_VALIDATE_NEGOTIATE_INFO,
            file_id: FileId::COMPOUND,
            input: &input[..ilen],
            max_input_response: 0,
            output: &[],
            max_output_response: ValidateNegotiateInfoResponse::LEN as u32,
            flags: IOCTL_IS_FSCTL,
        };
        let mut req = [0u8; HEADER_LEN + 56 + 32];
        let n = encode(&h, &body, &mut req).map_err(|_| EINVAL)?;
        let mut reply = [0u8; 256];
        // Signed (or sealed): the transport then takes only a reply signed
        // with the session's key (or sealed), and fails the call with EIO
        // otherwise.
        let rlen = match self.call(&mut req[..n], tree_id, true, false, &mut reply) {
            Ok(n) => n,
            Err(e) if e == EIO => {
                kernel::pr_err!(
                    "session {:#x}: the VALIDATE_NEGOTIATE_INFO reply is not signed with the session's key; refusing the connection\n",
                    self.session_id
                );
                return Err(ECONNABORTED);
            }
            Err(e) => return Err(e),
        };
        let r = &reply[..rlen];
        let rh = header_of(r)?;
        if rh.status != code::STATUS_SUCCESS {
            kernel::pr_err!(
                "session {:#x}: VALIDATE_NEGOTIATE_INFO failed with status {:#x}\n",
                self.session_id,
                rh.status
            );
            return Err(ECONNABORTED);
        }
        let out = IoctlResponse::parse(r)
            .and_then(|rsp| ValidateNegotiateInfoResponse::parse(rsp.output))
            .map_err(|_| EPROTO)?;
        if out.capabilities != neg.capabilities
            || out.guid != neg.server_guid
            || out.security_mode != neg.security_mode
            || out.dialect != neg.dialect
        {
            kernel::pr_err!(
                "session {:#x}: the server saw a different NEGOTIATE (capabilities {:#x}/{:#x}, security mode {:#x}/{:#x}, dialect {:#x}/{:#x}): it was changed on the way; refusing the connection\n",
                self.session_id,
                out.capabilities,
                neg.capabilities,
                out.security_mode,
                neg.security_mode,
                out.dialect,
                neg.dialect
            );
            return Err(ECONNABORTED);
        }
        Ok(())
    }
}

/// One SESSION_SETUP round trip; the reply's length. Setup traffic skips
/// the credit line (`SMB_XPRT_CALL_PRIORITY`): after a reconnect, replayed
/// requests wait there for the window only this session's replies open.
/// The transport writes the MessageId and credit fields into the request
/// in place, so the 3.1.1 preauth hash takes the request as sent, after
/// the call.
fn setup_round(
    xprt: &Transport,
    req: &mut [u8],
    reply: &mut [u8],
    preauth: Option<&mut PreauthHash>,
) -> Result<usize> {
    let r = xprt.call(
        &mut [&mut *req],
        crate::bindings::SMB_XPRT_CALL_PRIORITY,
        reply,
        Some(SETUP_TIMEOUT_MS),
    );
    if let Some(p) = preauth {
        p.update(&SmbCrypto, &*req);
    }
    r
}

/// Writes SessionId and TreeId into a request PDU's header.
fn stamp(pdu: &mut [u8], session_id: u64, tree_id: u32) -> Result {
    let mut h = header_of(pdu)?;
    h.session_id = session_id;
    h.target = HeaderTarget::Sync { tree_id };
    h.emit(pdu).map_err(|_| EINVAL)?;
    Ok(())
}

/// Wipes derived keys that are no longer needed here.
fn wipe_keys(keys: &mut crate::proto::kdf::SessionKeys) {
    memzero_explicit(&mut keys.signing_key);
    memzero_explicit(&mut keys.application_key);
    for k in [&mut keys.encryption_key, &mut keys.decryption_key]
        .into_iter()
        .flatten()
    {
        k.wipe();
    }
}

/// The signing algorithm of a connection (MS-SMB2 3.1.4.1).
fn algorithm(neg: &Negotiated) -> Result<SigningAlgorithm> {
    match neg.dialect {
        0x0202 | 0x0210 => Ok(SigningAlgorithm::HmacSha256),
        0x0300 | 0x0302 => Ok(SigningAlgorithm::AesCmac),
        _ if neg.signing_algorithm == 0xffff => Ok(SigningAlgorithm::AesCmac),
        _ => SigningAlgorithm::from_id(neg.signing_algorithm).map_err(|_| EPROTO),
    }
}
