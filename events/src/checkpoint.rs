//! Signed checkpoints: the log's size and Merkle root ([`crate::merkle`]) as a C2SP
//! `tlog-checkpoint`, signed with Ed25519 as a C2SP `signed-note`.
//!
//! ```text
//! acta-3f9a0c1d2e4b5a69          ← origin (the key's name)
//! 42                             ← tree size: the head's seq
//! 4vTQFA0h8Nk5vX0hxJdKZ0Iy0Q1YqTWkxJ8mZ0hVxYc=   ← base64 of the root hash
//!                                ← blank line
//! — acta-3f9a0c1d2e4b5a69 BAdEnwZ0aG…   ← em dash, name, base64(key id ‖ signature)
//! ```
//!
//! The signature covers the text up to and including the root line's newline. The key id is
//! the first 4 bytes of `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)`; a verifier key is written
//! `name+<key id, 8 hex>+<base64(0x01 ‖ public key)>` and a signing key
//! `PRIVATE+KEY+name+<key id>+<base64(0x01 ‖ seed)>`, as Go's `sumdb/note` writes them, so
//! that other tools of that ecosystem read acta's keys and checkpoints.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::Signer;
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// The signature type of Ed25519 in a signed note.
const ED25519: u8 = 0x01;

/// The start of a signature line: an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Most bytes of a note acta reads (a checkpoint is about 150).
pub const NOTE_BYTES_MAX: usize = 64 * 1024;

/// Most signature lines of a note acta reads (Go's `note.Open` takes as many).
const SIGNATURES_MAX: usize = 100;

/// Longest key name acta makes or reads, in bytes.
const KEY_NAME_BYTES_MAX: usize = 200;

/// Why a key or a note is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("not a signed note acta reads: {0}")]
    Malformed(String),
    #[error("not a key acta reads: {0}")]
    Key(String),
    #[error("the note has no signature by {0}")]
    NotSigned(String),
    #[error("the signature by {0} does not verify: the note was altered or signed by another key")]
    BadSignature(String),
}

fn check_name(name: &str) -> Result<(), CheckpointError> {
    if name.is_empty()
        || name.len() > KEY_NAME_BYTES_MAX
        || name.contains('+')
        || name.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CheckpointError::Key(format!(
            "a key name is 1..={KEY_NAME_BYTES_MAX} bytes with no space and no +, not {name:?}"
        )));
    }
    Ok(())
}

fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Decodes `0x01 ‖ 32 bytes` from base64.
fn typed_key_bytes(text: &str) -> Result<[u8; 32], CheckpointError> {
    let bytes = BASE64
        .decode(text)
        .map_err(|_| CheckpointError::Key("its key is not base64".into()))?;
    match bytes.split_first() {
        Some((&ED25519, key)) => key
            .try_into()
            .map_err(|_| CheckpointError::Key("an Ed25519 key is 32 bytes".into())),
        _ => Err(CheckpointError::Key(
            "only Ed25519 keys (type 0x01) are read".into(),
        )),
    }
}

/// The log's signing key, with the name its notes are signed by.
pub struct SigningKey {
    name: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        write!(formatter, "SigningKey({})", self.verifier())
    }
}

impl SigningKey {
    /// A key made of `seed` (the Ed25519 secret), signing as `name`.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<SigningKey, CheckpointError> {
        check_name(name)?;
        Ok(SigningKey {
            name: name.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(&seed),
        })
    }

    /// A new key from the operating system's randomness, named `acta-` and 16 hex digits of
    /// its public key's hash: a name no other acta log has.
    pub fn generate() -> Result<SigningKey, CheckpointError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|error| CheckpointError::Key(format!("no randomness for a key: {error}")))?;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let digest = Sha256::digest(key.verifying_key().as_bytes());
        let name: String = digest[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        SigningKey::from_seed(&format!("acta-{name}"), seed)
    }

    /// Reads `PRIVATE+KEY+name+<key id>+<base64(0x01 ‖ seed)>` (one line; surrounding white
    /// space is ignored).
    pub fn parse(text: &str) -> Result<SigningKey, CheckpointError> {
        let text = text.trim();
        // The base64 may hold a +: it is all that follows the fourth.
        let parts: Vec<&str> = text.splitn(5, '+').collect();
        let ["PRIVATE", "KEY", name, id, key] = parts.as_slice() else {
            return Err(CheckpointError::Key(
                "a signing key is written PRIVATE+KEY+name+keyid+base64".into(),
            ));
        };
        let key = SigningKey::from_seed(name, typed_key_bytes(key)?)?;
        if *id != format!("{:08x}", key.verifier().key_id) {
            return Err(CheckpointError::Key(format!(
                "its key id {id} is not that of its key"
            )));
        }
        Ok(key)
    }

    /// The key as [`SigningKey::parse`] reads it: a secret, for a file only its owner reads.
    pub fn to_private_text(&self) -> String {
        let mut typed = vec![ED25519];
        typed.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.verifier().key_id,
            BASE64.encode(typed)
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public half, which auditors check notes with.
    pub fn verifier(&self) -> VerifierKey {
        let public_key = self.key.verifying_key();
        VerifierKey {
            key_id: key_id(&self.name, public_key.as_bytes()),
            name: self.name.clone(),
            key: public_key,
        }
    }

    /// `text` (which must end in a newline) signed: the text, a blank line, the signature line.
    pub fn sign_note(&self, text: &str) -> String {
        debug_assert!(text.ends_with('\n') && !text.contains("\n\n"));
        let signature = self.key.sign(text.as_bytes());
        let mut payload = self.verifier().key_id.to_be_bytes().to_vec();
        payload.extend_from_slice(&signature.to_bytes());
        format!(
            "{text}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(payload)
        )
    }

    /// The checkpoint of a log of `size` events whose Merkle root is `root`, signed.
    pub fn sign_checkpoint(&self, size: u64, root: &Hash) -> String {
        self.sign_note(
            &Checkpoint {
                origin: self.name.clone(),
                size,
                root: *root,
            }
            .body(),
        )
    }
}

/// A public key notes are checked with, and the name it signs as.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_id: u32,
    key: ed25519_dalek::VerifyingKey,
}

impl std::fmt::Display for VerifierKey {
    /// `name+<key id>+<base64(0x01 ‖ public key)>`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut typed = vec![ED25519];
        typed.extend_from_slice(self.key.as_bytes());
        write!(
            formatter,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            BASE64.encode(typed)
        )
    }
}

impl std::fmt::Debug for VerifierKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "VerifierKey({self})")
    }
}

impl VerifierKey {
    /// Reads `name+<key id>+<base64(0x01 ‖ public key)>`.
    pub fn parse(text: &str) -> Result<VerifierKey, CheckpointError> {
        let text = text.trim();
        let parts: Vec<&str> = text.splitn(3, '+').collect();
        let [name, id, key] = parts.as_slice() else {
            return Err(CheckpointError::Key(
                "a verifier key is written name+keyid+base64".into(),
            ));
        };
        check_name(name)?;
        let bytes = typed_key_bytes(key)?;
        let key = ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map_err(|_| CheckpointError::Key("not an Ed25519 public key".into()))?;
        let verifier = VerifierKey {
            key_id: key_id(name, &bytes),
            name: (*name).to_owned(),
            key,
        };
        if *id != format!("{:08x}", verifier.key_id) {
            return Err(CheckpointError::Key(format!(
                "its key id {id} is not that of its key"
            )));
        }
        Ok(verifier)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text of `note` if it carries a good signature by this key. A signature line by
    /// another key is passed over (a note may be cosigned); a bad one by this key refuses the
    /// note.
    pub fn open_note<'a>(&self, note: &'a str) -> Result<&'a str, CheckpointError> {
        if note.len() > NOTE_BYTES_MAX {
            return Err(CheckpointError::Malformed(format!(
                "longer than {NOTE_BYTES_MAX} bytes"
            )));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| CheckpointError::Malformed("no blank line before signatures".into()))?;
        let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
        let Some(signatures) = signatures.strip_suffix('\n') else {
            return Err(CheckpointError::Malformed(
                "its last line does not end in a newline".into(),
            ));
        };
        let lines: Vec<&str> = signatures.split('\n').collect();
        if lines.len() > SIGNATURES_MAX {
            return Err(CheckpointError::Malformed(format!(
                "more than {SIGNATURES_MAX} signatures"
            )));
        }
        for line in lines {
            let (name, signature) = line
                .strip_prefix(SIGNATURE_PREFIX)
                .and_then(|rest| rest.split_once(' '))
                .ok_or_else(|| {
                    CheckpointError::Malformed(format!("{line:?} is not a signature line"))
                })?;
            let payload = BASE64.decode(signature).map_err(|_| {
                CheckpointError::Malformed(format!("the signature by {name} is not base64"))
            })?;
            if payload.len() < 4 {
                return Err(CheckpointError::Malformed(format!(
                    "the signature by {name} is too short"
                )));
            }
            let id = u32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]]);
            if name != self.name || id != self.key_id {
                continue;
            }
            let signature = ed25519_dalek::Signature::from_slice(&payload[4..])
                .map_err(|_| CheckpointError::BadSignature(self.name.clone()))?;
            return match self.key.verify_strict(text.as_bytes(), &signature) {
                Ok(()) => Ok(text),
                Err(_) => Err(CheckpointError::BadSignature(self.name.clone())),
            };
        }
        Err(CheckpointError::NotSigned(self.to_string()))
    }

    /// The checkpoint `note` states, if signed by this key and its origin is this key's name.
    pub fn open_checkpoint(&self, note: &str) -> Result<Checkpoint, CheckpointError> {
        let checkpoint = Checkpoint::parse(self.open_note(note)?)?;
        if checkpoint.origin != self.name {
            return Err(CheckpointError::Malformed(format!(
                "its origin {:?} is not the key's name {:?}",
                checkpoint.origin, self.name
            )));
        }
        Ok(checkpoint)
    }
}

/// What a checkpoint states: the log named `origin` had `size` events, with Merkle root `root`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note's text: origin, size and base64 root, each on its own line.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root)
        )
    }

    /// Reads a checkpoint's text (as [`VerifierKey::open_note`] gives it); extension lines after
    /// the root are allowed and ignored.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let mut lines = text.split_terminator('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Malformed(
                "a checkpoint has an origin, a size and a root line".into(),
            ));
        };
        let size_is_canonical = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        let size = size
            .parse()
            .ok()
            .filter(|_| size_is_canonical)
            .ok_or_else(|| CheckpointError::Malformed(format!("{size:?} is not a tree size")))?;
        let root = BASE64
            .decode(root)
            .ok()
            .and_then(|bytes| Hash::try_from(bytes).ok())
            .ok_or_else(|| {
                CheckpointError::Malformed(format!("{root:?} is not a base64 SHA-256 root hash"))
            })?;
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Go's sumdb/note test key and note (also in C2SP's signed-note examples).
    const GO_SIGNING_KEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                           then you don't know what your problem is.\n";
    const GO_SIGNATURE: &str = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";

    #[test]
    fn notes_are_signed_exactly_as_go_s_sumdb_note_signs_them() {
        let key = SigningKey::parse(GO_SIGNING_KEY).unwrap();
        assert_eq!(key.to_private_text(), GO_SIGNING_KEY);
        let note = key.sign_note(GO_TEXT);
        assert_eq!(
            note,
            format!("{GO_TEXT}\n\u{2014} PeterNeumann {GO_SIGNATURE}\n")
        );
        let verifier = VerifierKey::parse(&key.verifier().to_string()).unwrap();
        assert_eq!(verifier, key.verifier());
        assert!(verifier.to_string().starts_with("PeterNeumann+c74f20a3+"));
        assert_eq!(verifier.open_note(&note).unwrap(), GO_TEXT);
    }

    #[test]
    fn a_checkpoint_round_trips_and_any_change_breaks_its_signature() {
        let key = SigningKey::from_seed("acta-test", [7; 32]).unwrap();
        let root = [9u8; 32];
        let note = key.sign_checkpoint(42, &root);
        let verifier = key.verifier();
        let checkpoint = verifier.open_checkpoint(&note).unwrap();
        assert_eq!(
            checkpoint,
            Checkpoint {
                origin: "acta-test".into(),
                size: 42,
                root
            }
        );
        assert!(note.starts_with("acta-test\n42\nCQkJ"));
        let altered = note.replacen("\n42\n", "\n41\n", 1);
        assert_eq!(
            verifier.open_checkpoint(&altered),
            Err(CheckpointError::BadSignature("acta-test".into()))
        );
        let other = SigningKey::from_seed("acta-test", [8; 32])
            .unwrap()
            .verifier();
        assert!(matches!(
            other.open_checkpoint(&note),
            Err(CheckpointError::NotSigned(_))
        ));
        // A cosignature by a key the verifier does not know is passed over.
        let cosigned = format!("{note}\u{2014} witness AAAAAAAA\n");
        assert_eq!(verifier.open_checkpoint(&cosigned).unwrap().size, 42);
    }

    #[test]
    fn generated_keys_are_read_back_from_their_text() {
        let key = SigningKey::generate().unwrap();
        assert!(key.name().starts_with("acta-") && key.name().len() == 21);
        let again = SigningKey::parse(&key.to_private_text()).unwrap();
        assert_eq!(again.verifier(), key.verifier());
        assert!(!format!("{key:?}").contains(&key.to_private_text()));
    }

    #[test]
    fn malformed_notes_keys_and_checkpoints_are_refused() {
        let verifier = SigningKey::from_seed("acta-test", [7; 32])
            .unwrap()
            .verifier();
        for note in [
            "",
            "acta-test\n1\n",
            "acta-test\n1\nAAAA\n\n\u{2014} acta-test",
            "x\n\nnot a signature\n",
        ] {
            assert!(verifier.open_checkpoint(note).is_err(), "{note:?}");
        }
        for key in [
            "",
            "a+b",
            "PRIVATE+KEY+n+00000000+AQ==",
            "PeterNeumann+00000000+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        ] {
            assert!(
                VerifierKey::parse(key).is_err() && SigningKey::parse(key).is_err(),
                "{key:?}"
            );
        }
        for text in ["o\n01\nAAAA\n", "o\n-1\n", "o\n1\nAAAA\n", "o\n"] {
            assert!(Checkpoint::parse(text).is_err(), "{text:?}");
        }
    }
}
