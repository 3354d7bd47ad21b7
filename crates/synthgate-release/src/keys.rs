//! Operator and approver keys (Ed25519) and signed approvals. A key file holds the 32-byte
//! secret seed in hex; its public half (`KEY.pub`) is shared. A key is named by its fingerprint,
//! the SHA-256 of the public key's bytes in hex, which the policy lists per approver role.
//!
//! An approval is one line of `approvals.jsonl`: role, decision, comment, the SHA-256 of the
//! bundle's `manifest.json` it applies to, the signer's public key and fingerprint, the time,
//! the link to the decision before it, and the signature over the canonical JSON of those
//! fields. The links make the decisions one chain per bundle: the first links to the manifest's
//! digest, each later one to the digest of the whole line before it ([`decision_digest`]), so
//! a decision cannot be dropped from the middle, reordered or re-appended without breaking a
//! signature. (Approvals written before the chain have no link and are read as before, with
//! their order unauthenticated.)

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use synthgate_core::canonical::to_json;
use synthgate_core::{Error, Location, Result};
use synthgate_io::{Overwrite, sha256_bytes, write_bytes_atomically};

/// `bytes` as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The fingerprint of a public key: SHA-256 of its 32 bytes, hex.
pub fn fingerprint(key: &VerifyingKey) -> String {
    sha256_bytes(key.as_bytes())
}

/// Whether `text` is a key fingerprint: 64 hexadecimal digits (SHA-256 of the public key).
pub fn is_fingerprint(text: &str) -> bool {
    text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// The public key file beside `key`: `KEY.pub`.
pub fn public_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_os_string();
    name.push(".pub");
    PathBuf::from(name)
}

/// Make a new key pair at `out` (secret, created with mode 0600 on Unix, so no other user can
/// read it at any moment) and `out.pub`, from `entropy`; returns the fingerprint. Never
/// overwrites.
pub fn generate(out: &Path, entropy: &synthgate_core::Entropy) -> Result<String> {
    let mut seed = [0u8; 32];
    entropy.fill(&mut seed)?;
    let key = SigningKey::from_bytes(&seed);
    let public = key.verifying_key();
    let print = fingerprint(&public);
    let secret = format!(
        "# synthgate ed25519 secret key; keep it private. fingerprint {print}\n{}\n",
        hex(&seed)
    );
    if out.exists() {
        return Err(Error::usage(format!(
            "{} exists; a key is never overwritten.",
            out.display()
        )));
    }
    synthgate_io::write_secret_atomically(out, secret.as_bytes())?;
    let public_text = format!(
        "# synthgate ed25519 public key; fingerprint {print}\n{}\n",
        hex(public.as_bytes())
    );
    if let Err(error) =
        write_bytes_atomically(&public_path(out), Overwrite::Refuse, public_text.as_bytes())
    {
        let _ = std::fs::remove_file(out);
        return Err(error);
    }
    Ok(print)
}

/// Read a secret key file.
pub fn load(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        Error::usage(format!("the key file cannot be read: {error}.")).at(Location::file(path))
    })?;
    let line = text
        .lines()
        .find(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .unwrap_or("");
    let seed = unhex::<32>(line).ok_or_else(|| {
        Error::usage("this is not a synthgate secret key (64 hex digits).")
            .at(Location::file(path))
            .hint("Make one with `synthgate keygen --out KEY`.")
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A decision on a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approved for release.
    Approve,
    /// Rejected.
    Reject,
}

/// The signed fields of an approval, in signing order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalBody {
    /// The approver role.
    pub role: String,
    /// The decision.
    pub decision: Verdict,
    /// Conditions or remarks.
    pub comment: String,
    /// SHA-256 of the bundle's manifest.json: what was approved.
    pub manifest_sha256: String,
    /// The signer's public key, hex.
    pub public_key: String,
    /// Its fingerprint.
    pub key_fingerprint: String,
    /// When (RFC 3339, UTC).
    pub signed_at: String,
    /// The decision this one follows: the manifest's SHA-256 for a bundle's first decision,
    /// else [`decision_digest`] of the line before it. Absent in approvals written before the
    /// chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_sha256: Option<String>,
}

/// One line of `approvals.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// The signed fields.
    #[serde(flatten)]
    pub body: ApprovalBody,
    /// Ed25519 signature over the canonical JSON of `body`, hex.
    pub signature: String,
}

fn canonical(body: &ApprovalBody) -> Result<Vec<u8>> {
    to_json(body, "an approval")
}

/// The bytes a decision's signature covers: the canonical JSON of its body.
pub fn message(body: &ApprovalBody) -> Result<Vec<u8>> {
    canonical(body)
}

/// A public key given as 64 hex digits.
pub fn parse_public(text: &str) -> Result<VerifyingKey> {
    unhex::<32>(text)
        .and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
        .ok_or_else(|| Error::usage("the public key must be an Ed25519 key as 64 hex digits."))
}

/// The digest a later decision links to: SHA-256 of this approval's canonical JSON line
/// (signature included).
pub fn decision_digest(approval: &Approval) -> Result<String> {
    Ok(sha256_bytes(&to_json(approval, "an approval")?))
}

/// Sign `message` with `key`: (public key hex, fingerprint, signature hex).
pub fn sign_bytes(key: &SigningKey, message: &[u8]) -> (String, String, String) {
    let public = key.verifying_key();
    (
        hex(public.as_bytes()),
        fingerprint(&public),
        hex(&key.sign(message).to_bytes()),
    )
}

/// Check a signature over `message` by the key `public_key` (hex) with fingerprint
/// `key_fingerprint`; returns the problem, if any.
pub fn check_bytes(
    public_key: &str,
    key_fingerprint: &str,
    signature: &str,
    message: &[u8],
) -> Option<String> {
    let Some(public) =
        unhex::<32>(public_key).and_then(|bytes| VerifyingKey::from_bytes(&bytes).ok())
    else {
        return Some("its public key is not an Ed25519 key".into());
    };
    if fingerprint(&public) != key_fingerprint {
        return Some("its fingerprint is not its public key's".into());
    }
    let Some(signature) = unhex::<64>(signature) else {
        return Some("its signature is malformed".into());
    };
    public
        .verify(message, &Signature::from_bytes(&signature))
        .err()
        .map(|_| "its signature does not verify".into())
}

/// Sign `body` with `key` (the body's key fields are filled from the key).
pub fn sign(mut body: ApprovalBody, key: &SigningKey) -> Result<Approval> {
    let public = key.verifying_key();
    body.public_key = hex(public.as_bytes());
    body.key_fingerprint = fingerprint(&public);
    let (_, _, signature) = sign_bytes(key, &canonical(&body)?);
    Ok(Approval { body, signature })
}

/// Check an approval's signature and that its fingerprint is its public key's; returns the
/// problem, if any.
pub fn check(approval: &Approval) -> Option<String> {
    let message = match canonical(&approval.body) {
        Ok(message) => message,
        Err(error) => return Some(error.message().to_string()),
    };
    check_bytes(
        &approval.body.public_key,
        &approval.body.key_fingerprint,
        &approval.signature,
        &message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvals_sign_and_any_change_breaks_them() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let body = ApprovalBody {
            role: "dpo".into(),
            decision: Verdict::Approve,
            comment: String::new(),
            manifest_sha256: "ab".repeat(32),
            public_key: String::new(),
            key_fingerprint: String::new(),
            signed_at: "2026-11-24T00:00:00Z".into(),
            prev_sha256: Some("cd".repeat(32)),
        };
        let approval = sign(body, &key).expect("sign");
        assert_eq!(check(&approval), None);
        let mut changed = approval.clone();
        changed.body.decision = Verdict::Reject;
        assert!(check(&changed).is_some());
        let mut other = approval.clone();
        other.body.role = "data_steward".into();
        assert!(check(&other).is_some());
        // Forged: another key's signature over the same body.
        let mut relinked = approval.clone();
        relinked.body.prev_sha256 = Some("ef".repeat(32));
        assert!(check(&relinked).is_some(), "the link is signed");
        let forger =
            sign(approval.body.clone(), &SigningKey::from_bytes(&[9u8; 32])).expect("sign");
        let mut forged = approval;
        forged.signature = forger.signature;
        assert_eq!(
            check(&forged).as_deref(),
            Some("its signature does not verify")
        );
    }

    fn os_entropy() -> synthgate_core::Entropy {
        synthgate_core::Entropy::new(|bytes| {
            getrandom::fill(bytes).map_err(|e| synthgate_core::Error::environment(e.to_string()))
        })
    }

    #[test]
    fn key_files_are_private_from_creation_and_never_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let folder = tempfile::tempdir().expect("temp");
        let path = folder.path().join("k.key");
        generate(&path, &os_entropy()).expect("generate");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let before = std::fs::read(&path).expect("read");
        let error = generate(&path, &os_entropy()).expect_err("never overwritten");
        assert!(error.to_string().contains("never overwritten"), "{error}");
        assert_eq!(std::fs::read(&path).expect("read"), before);
        assert!(load(&path).is_ok());
    }
}
