// SPDX-License-Identifier: GPL-2.0
//! Sessions: NTLMSSP with NTLMv2 over SESSION_SETUP (MS-SMB2 3.2.4.2.3,
//! 3.2.5.3; MS-NLMP 3.1.5), key derivation with the 3.1.1 preauth integrity
//! hash, request signing, and TREE_CONNECT (MS-SMB2 3.2.4.2.4).
#![forbid(unsafe_code)]

use crate::kext::crypto::memzero_explicit;
use crate::kext::iter::KernelIter;
use crate::kext::random;
use crate::proto::crypto::Cipher;
use crate::proto::crypto::Segments;
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
use crate::smb_xprt::{CallData, Negotiated, Signer, Transport};
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Error, Result};
use kernel::sync::Arc;

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
    pub(crate) session_id: u64,
    pub(crate) dialect: u16,
    /// The algorithm and Session.SigningKey (none for a guest session).
    signing: Option<(SigningAlgorithm, Secret<16>)>,
    /// Every request is signed (the server requires it, or the caller
    /// asked); otherwise only those whose header says SMB2_FLAGS_SIGNED
    /// (VALIDATE_NEGOTIATE_INFO).
    sign_all: bool,
    pub(crate) guest: bool,
    /// The transport holds this session's encryption keys (a cipher was
    /// negotiated), so its requests can be sealed.
    keys_set: bool,
    /// Session.EncryptData: every request is sealed (the server asked, or
    /// the caller did).
    pub(crate) encrypt: bool,
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.keys_set {
            self.xprt
                .clear_session_keys(self.generation, self.session_id);
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
        // The key is kept even when requests are not signed: a few must be.
        let signing = match (!guest).then(|| algorithm(&neg)) {
            Some(Ok(alg)) => Secret::new(keys.signing_key).map(|k| Some((alg, k))),
            Some(Err(e)) if must_sign => Err(e),
            _ => Ok(None),
        };
        let keys_set = match (&keys.encryption_key, &keys.decryption_key) {
            (Some(enc), Some(dec)) => xprt
                .set_session_keys(neg.generation, session_id, enc.as_bytes(), dec.as_bytes())
                .map(|()| true),
            _ => Ok(false),
        };
        memzero_explicit(&mut keys.signing_key);
        memzero_explicit(&mut keys.application_key);
        for k in [&mut keys.encryption_key, &mut keys.decryption_key]
            .into_iter()
            .flatten()
        {
            k.wipe();
        }
        let (signing, keys_set) = (signing?, keys_set?);
        Ok(Self {
            xprt,
            generation: neg.generation,
            session_id,
            dialect: neg.dialect,
            signing,
            sign_all: must_sign,
            guest,
            keys_set,
            encrypt: seal || server_seals,
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
        if !self.keys_set {
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

    /// Whether the request starting with `header` gets signed: all of them
    /// on a signing session, else those that ask (SMB2_FLAGS_SIGNED).
    fn signs_request(&self, hdr: &[u8]) -> bool {
        self.signing.is_some() && (self.sign_all || header::is_signed(hdr).unwrap_or(false))
    }

    /// Signs a request in place: one PDU or a compound, each PDU on its
    /// own (MS-SMB2 3.2.4.1.1). A PDU begins at a part with its header and
    /// spans the parts up to its NextCommand (its padding included); `data`
    /// is the payload that ends the last PDU (a WRITE's), if any.
    pub(crate) fn sign(&self, parts: &mut [&mut [u8]], data: Option<KernelIter<'_>>) -> Result {
        let Some((alg, key)) = &self.signing else {
            return Ok(());
        };
        let mut rest_parts = parts;
        loop {
            let (first, rest) = rest_parts.split_first_mut().ok_or(EINVAL)?;
            let next = crate::proto::wire::get_u32(first, 20).map_err(|_| EINVAL)? as usize;
            // The parts after the header that belong to this PDU.
            let mut take = 0usize;
            let mut len = first.len();
            while next != 0 && len < next {
                len = len
                    .checked_add(rest.get(take).ok_or(EINVAL)?.len())
                    .ok_or(EINVAL)?;
                take += 1;
            }
            if next != 0 && len != next {
                return Err(EINVAL);
            }
            let (mine, others) = if next == 0 {
                let all = rest.len();
                rest.split_at_mut(all)
            } else {
                rest.split_at_mut(take)
            };
            let tail = PduTail {
                parts: mine,
                data: if next == 0 { data.as_ref() } else { None },
            };
            if self.sign_all || header::is_signed(first).unwrap_or(false) {
                signing::sign(&SmbCrypto, *alg, key.get(), first, &tail).map_err(|_| EINVAL)?;
            }
            if next == 0 {
                return Ok(());
            }
            rest_parts = others;
        }
    }

    /// Sends one request on tree `tree_id` (header SessionId and TreeId
    /// filled in here; sealed if `flags` has SMB_XPRT_CALL_SEAL, else
    /// signed if the session signs) and returns the reply length in
    /// `reply`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call(
        &self,
        parts: &mut [&mut [u8]],
        tree_id: u32,
        flags: u32,
        reply: &mut [u8],
        timeout_ms: Option<u32>,
        signer: Option<&Signer>,
        data: CallData<'_, '_>,
    ) -> Result<usize> {
        let signer = if self.prepare(parts, tree_id, flags)? {
            signer
        } else {
            None
        };
        self.xprt
            .call(parts, flags, reply, timeout_ms, signer, data)
    }

    /// Stamps this session's SessionId and `tree_id` into `parts`; returns
    /// whether the request is to be signed (never when sealed).
    pub(crate) fn prepare(
        &self,
        parts: &mut [&mut [u8]],
        tree_id: u32,
        flags: u32,
    ) -> Result<bool> {
        stamp(parts, self.session_id, tree_id)?;
        let sealed = flags & crate::bindings::SMB_XPRT_CALL_SEAL != 0;
        let asks = parts.first().is_some_and(|p| self.signs_request(p));
        Ok(asks && !sealed)
    }

    /// A request of the session's own (TREE_CONNECT,
    /// VALIDATE_NEGOTIATE_INFO): it skips the credit line, waits the setup
    /// timeout, and is sealed when the session encrypts everything (MS-SMB2
    /// 3.2.4.1.8).
    fn setup_call(
        &self,
        req: &mut [u8],
        tree_id: u32,
        reply: &mut [u8],
        signer: Option<&Signer>,
    ) -> Result<usize> {
        let seal = if self.encrypt {
            crate::bindings::SMB_XPRT_CALL_SEAL
        } else {
            0
        };
        self.call(
            &mut [req],
            tree_id,
            crate::bindings::SMB_XPRT_CALL_PRIORITY | seal,
            reply,
            Some(SETUP_TIMEOUT_MS),
            signer,
            CallData::default(),
        )
    }

    /// TREE_CONNECT to `\\server\share` (`unc`, UTF-8); returns the TreeId
    /// and the share flags.
    pub(crate) fn tree_connect(&self, unc: &str, signer: Option<&Signer>) -> Result<(u32, u32)> {
        let mut path = KVec::from_elem(0u8, unc.len().checked_mul(2).ok_or(EINVAL)?, GFP_KERNEL)?;
        let plen = encode_utf16le(unc, &mut path).map_err(|_| EINVAL)?;
        let mut req = KVec::from_elem(0u8, HEADER_LEN + 8 + plen.max(1), GFP_KERNEL)?;
        let body = TreeConnectRequest {
            flags: 0,
            path: &path[..plen],
        };
        let mut h = Header::request(Command::TreeConnect);
        // SMB 3.1.1 signs TREE_CONNECT on an authenticated session even
        // when the session does not sign everything (MS-SMB2 3.2.4.1.1;
        // a server disconnects otherwise, 3.3.5.7), unless it is sealed.
        if self.dialect == 0x0311 && !self.guest && self.signing.is_some() && !self.encrypt {
            h.flags |= header::flags::SIGNED;
        }
        let n = encode(&h, &body, &mut req).map_err(|_| EINVAL)?;
        let mut reply = [0u8; 256];
        let rlen = self.setup_call(&mut req[..n], 0, &mut reply, signer)?;
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
            self.validate_negotiate(tree_id, signer)?;
        }
        Ok((tree_id, rsp.share_flags))
    }

    /// VALIDATE_NEGOTIATE_INFO (MS-SMB2 3.2.5.5, 2.2.31.4): SMB 3.0 and
    /// 3.0.2 have no preauth integrity, so after a tree connect the client
    /// repeats what it negotiated in a signed (or sealed) request, and the
    /// server answers with what it saw; a difference means someone in
    /// between changed the NEGOTIATE (to strip signing or encryption, say).
    /// The reply must be signed with the session's key (or sealed).
    fn validate_negotiate(&self, tree_id: u32, signer: Option<&Signer>) -> Result {
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
        let mut h = Header::request(Command::Ioctl);
        // Signed, unless sealed: a sealed message is not signed, and a
        // server checks the signature of any request flagged SIGNED.
        if !self.encrypt {
            h.flags |= header::flags::SIGNED;
        }
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
        let rlen = self.setup_call(&mut req[..n], tree_id, &mut reply, signer)?;
        let r = &reply[..rlen];
        let rh = header_of(r)?;
        // A sealed reply is authenticated by its AEAD tag; a plain one must
        // carry a valid signature.
        if !self.encrypt {
            let (alg, key) = self.signing.as_ref().ok_or(EPROTO)?;
            let verified = header::is_signed(r).unwrap_or(false)
                && signing::verify(
                    &SmbCrypto,
                    *alg,
                    key.get(),
                    &r[..HEADER_LEN],
                    &r[HEADER_LEN..],
                )
                .is_ok();
            if !verified {
                kernel::pr_err!(
                    "session {:#x}: the VALIDATE_NEGOTIATE_INFO reply is not signed with the session's key (status {:#x}); refusing the connection\n",
                    self.session_id,
                    rh.status
                );
                return Err(ECONNABORTED);
            }
        }
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
        None,
        CallData::default(),
    );
    if let Some(p) = preauth {
        p.update(&SmbCrypto, &*req);
    }
    r
}

/// Writes SessionId and TreeId into every PDU header of a request (one
/// PDU, or a compound chained by NextCommand over the parts).
fn stamp(parts: &mut [&mut [u8]], session_id: u64, tree_id: u32) -> Result {
    let mut i = 0usize;
    loop {
        let first = parts.get_mut(i).ok_or(EINVAL)?;
        let mut h = header_of(first)?;
        h.session_id = session_id;
        h.target = HeaderTarget::Sync { tree_id };
        h.emit(first).map_err(|_| EINVAL)?;
        let next = h.next_command as usize;
        if next == 0 {
            return Ok(());
        }
        let mut len = 0usize;
        while len < next {
            len = len
                .checked_add(parts.get(i).ok_or(EINVAL)?.len())
                .ok_or(EINVAL)?;
            i += 1;
        }
        if len != next {
            return Err(EINVAL);
        }
    }
}

/// What follows a PDU's first part, for the MAC: the other parts, then the
/// payload iterator, read through a small buffer from a duplicate cursor
/// (kernel memory only, so this may run under the transmit lock).
struct PduTail<'a, 'b> {
    parts: &'a [&'a mut [u8]],
    data: Option<&'a KernelIter<'b>>,
}

impl Segments for PduTail<'_, '_> {
    fn total_len(&self) -> usize {
        self.parts
            .iter()
            .fold(0usize, |n, p| n.saturating_add(p.len()))
            .saturating_add(self.data.map_or(0, |d| d.count()))
    }

    fn for_each_segment(&self, f: &mut dyn FnMut(&[u8])) {
        for p in self.parts {
            f(p);
        }
        if let Some(d) = self.data {
            let mut cursor = d.duplicate();
            let mut buf = [0u8; 512];
            while cursor.count() > 0 {
                match cursor.copy_from(&mut buf) {
                    Ok(n) if n > 0 => f(&buf[..n]),
                    // A short copy of kernel memory cannot happen; stop
                    // rather than spin (the signature then fails to verify).
                    _ => break,
                }
            }
        }
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
