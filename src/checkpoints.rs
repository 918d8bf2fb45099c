//! Signed checkpoints of the log: where the signing key lives (made at the first start of
//! `acta serve`), the Merkle tree of a running service, kept up with the log's head, and the
//! offline check of a saved checkpoint (`acta verify --checkpoint`). The tree, the proofs and
//! the note format are `acta-events`' (`merkle`, `checkpoint`); this is the wiring.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};

use acta_events::checkpoint::{Checkpoint, SigningKey, VerifierKey};
use acta_events::merkle::{self, Hash, MerkleTree, ProofError};
use acta_events::store::EVENT_HASHES_READ_MAX;
use acta_events::{Database, Log, StoreError};

/// What is added to a SQLite database's path to name its key file, beside it.
pub const SIGNING_KEY_SUFFIX: &str = ".signing-key";

/// Where the signing key lives (docs/DESIGN.md, "Where does the checkpoints' signing key
/// live?").
#[derive(Debug, Clone)]
pub enum KeyPlace {
    /// A file that only its owner may read: `--signing-key FILE`, or by default beside a SQLite
    /// database.
    File(PathBuf),
    /// The `acta_signing_key` table of the PostgreSQL database, shared by every instance.
    Database(String),
}

impl std::fmt::Display for KeyPlace {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyPlace::File(path) => write!(formatter, "{}", path.display()),
            KeyPlace::Database(_) => write!(formatter, "the database's acta_signing_key table"),
        }
    }
}

/// Where the key of `database` lives: `signing_key` if given, else beside a SQLite file or in
/// a PostgreSQL database.
pub fn key_place(database: &Database, signing_key: Option<&Path>) -> KeyPlace {
    match (signing_key, database) {
        (Some(path), _) => KeyPlace::File(path.to_owned()),
        (None, Database::Sqlite(path)) => {
            let mut name = path.as_os_str().to_owned();
            name.push(SIGNING_KEY_SUFFIX);
            KeyPlace::File(PathBuf::from(name))
        }
        (None, Database::Postgres(url)) => KeyPlace::Database(url.clone()),
    }
}

/// The key at `place`, made and stored there first if there is none; with whether it was made.
pub fn load_or_create_key(place: &KeyPlace) -> Result<(SigningKey, bool), String> {
    let fresh = || SigningKey::generate().map_err(|error| error.to_string());
    match place {
        KeyPlace::Database(url) => {
            let made = fresh()?;
            let stored =
                acta_events::store::postgres::signing_key_text(url, &made.to_private_text())
                    .map_err(|error| format!("cannot read or store the signing key: {error}"))?;
            let key = SigningKey::parse(&stored)
                .map_err(|error| format!("the signing key in {place}: {error}"))?;
            let created = key.verifier() == made.verifier();
            Ok((key, created))
        }
        KeyPlace::File(path) => {
            if path.exists() {
                return Ok((read_key_file(path)?, false));
            }
            let key = fresh()?;
            write_key_file(path, &key)?;
            Ok((key, true))
        }
    }
}

/// The public key of the key at `place`, without making one (for `acta verify`).
pub fn load_verifier(place: &KeyPlace) -> Result<VerifierKey, String> {
    match place {
        KeyPlace::Database(url) => {
            let text = acta_events::store::postgres::stored_signing_key_text(url)
                .map_err(|error| format!("cannot read the signing key: {error}"))?
                .ok_or("this database has no signing key yet: `acta serve` makes it")?;
            SigningKey::parse(&text)
                .map(|key| key.verifier())
                .map_err(|error| format!("the signing key in {place}: {error}"))
        }
        KeyPlace::File(path) => Ok(read_key_file(path)?.verifier()),
    }
}

fn read_key_file(path: &Path) -> Result<SigningKey, String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|error| format!("cannot read the signing key {}: {error}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "the signing key {} may be read by others (mode {:o}): make it the owner's \
                 only with chmod 600",
                path.display(),
                mode & 0o777
            ));
        }
    }
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the signing key {}: {error}", path.display()))?;
    SigningKey::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
}

/// Writes a new key file, readable by its owner only, refusing to replace one.
fn write_key_file(path: &Path, key: &SigningKey) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let cannot =
        |error: std::io::Error| format!("cannot write the signing key {}: {error}", path.display());
    let mut file = options.open(path).map_err(cannot)?;
    writeln!(file, "{}", key.to_private_text()).map_err(cannot)?;
    file.sync_all().map_err(cannot)
}

/// The Merkle tree of the first `size` events of `log`, read in chunks.
pub fn tree_of_log(log: &Log, size: u64) -> Result<MerkleTree, StoreError> {
    let mut tree = MerkleTree::new();
    extend(&mut tree, log, size)?;
    Ok(tree)
}

/// Grows `tree` with the events after its size, up to `size`.
fn extend(tree: &mut MerkleTree, log: &Log, size: u64) -> Result<(), StoreError> {
    while tree.size() < size {
        let first = tree.size() + 1;
        let last = size.min(first + EVENT_HASHES_READ_MAX - 1);
        for hash in log.event_hashes(first, last)? {
            tree.push(&hash);
        }
    }
    Ok(())
}

/// The leaf hashes of leaves `from..to` (`seq` `from + 1 ..= to`), read from the log.
fn leaves_of(log: &Log) -> impl FnMut(u64, u64) -> Result<Vec<Hash>, StoreError> + '_ {
    move |from, to| {
        Ok(log
            .event_hashes(from + 1, to)?
            .iter()
            .map(|hash| merkle::leaf_hash(hash))
            .collect())
    }
}

/// Why a checkpoint or a proof cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointFailure {
    /// A size, seq or range that the log does not hold (`422`, like every bad parameter), and
    /// the query parameter at fault.
    #[error("{message}")]
    OutOfRange {
        parameter: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tree of the log as it was at start is still being built (`503`, retry shortly).
    #[error("{0}")]
    NotReady(String),
    /// The log holds fewer events than this server has seen (`500`, logged): it was cut short
    /// behind the server's back, and no checkpoint of it is signed.
    #[error("{0}")]
    LogShrank(String),
}

impl From<ProofError<StoreError>> for CheckpointFailure {
    fn from(error: ProofError<StoreError>) -> CheckpointFailure {
        match error {
            ProofError::OutOfRange(message) => CheckpointFailure::OutOfRange {
                parameter: "size",
                message,
            },
            ProofError::Read(error) => CheckpointFailure::Store(error),
        }
    }
}

fn out_of_range(parameter: &'static str, asked: u64, size: u64) -> CheckpointFailure {
    CheckpointFailure::OutOfRange {
        parameter,
        message: format!("must be at most {size}, the log's size now; got {asked}"),
    }
}

/// An inclusion proof, as `GET /v1/proof/inclusion` gives it.
pub struct InclusionProof {
    pub seq: u64,
    pub size: u64,
    pub event_hash: Hash,
    pub root: Hash,
    pub proof: Vec<Hash>,
}

/// A consistency proof, as `GET /v1/proof/consistency` gives it.
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub from_root: Hash,
    pub to_root: Hash,
    pub proof: Vec<Hash>,
}

/// A running service's checkpoints: its key and the Merkle tree of its log.
pub struct Checkpoints {
    key: SigningKey,
    log: Log,
    /// Grown from the log's stored hashes as the head moves: each event is read once after the
    /// start (whichever instance committed it), never the whole log again.
    tree: RwLock<MerkleTree>,
    /// Whether the tree of the log as it was at start is built.
    ready: AtomicBool,
}

/// Most events whose tree [`Checkpoints::start`] builds before it returns; the tree of a larger
/// log is built on a thread of its own while the server already serves everything else.
pub const TREE_BUILT_AT_ONCE_MAX: u64 = EVENT_HASHES_READ_MAX;

impl Checkpoints {
    /// Builds the tree of `log` as it is now (the one read of every event's hash): at once for
    /// a small log, else on its own thread, `on_built` told how long it took, and until then
    /// checkpoints and proofs are answered [`CheckpointFailure::NotReady`].
    pub fn start(
        log: Log,
        key: SigningKey,
        on_built: impl FnOnce(Result<(u64, std::time::Duration), StoreError>) + Send + 'static,
    ) -> Result<Arc<Checkpoints>, StoreError> {
        let head = log.head()?.seq;
        let checkpoints = Arc::new(Checkpoints {
            key,
            log,
            tree: RwLock::new(MerkleTree::new()),
            ready: AtomicBool::new(false),
        });
        let build = {
            let checkpoints = Arc::clone(&checkpoints);
            move || {
                let started = std::time::Instant::now();
                let built = tree_of_log(&checkpoints.log, head);
                let outcome = built.map(|tree| {
                    *checkpoints
                        .tree
                        .write()
                        .unwrap_or_else(|poison| poison.into_inner()) = tree;
                    (head, started.elapsed())
                });
                // A failed build is tried again by the next request's catch-up, from seq 1.
                checkpoints.ready.store(true, Ordering::Release);
                on_built(outcome);
            }
        };
        if head <= TREE_BUILT_AT_ONCE_MAX {
            build();
        } else {
            std::thread::Builder::new()
                .name("acta-merkle".into())
                .spawn(build)
                .map_err(|error| StoreError::Io(format!("cannot start a thread: {error}")))?;
        }
        Ok(checkpoints)
    }

    pub fn verifier(&self) -> VerifierKey {
        self.key.verifier()
    }

    /// The tree, grown to the log's head.
    fn tree(&self) -> Result<RwLockReadGuard<'_, MerkleTree>, CheckpointFailure> {
        if !self.ready.load(Ordering::Acquire) {
            return Err(CheckpointFailure::NotReady(
                "the Merkle tree of the log is still being built after the start; retry shortly"
                    .into(),
            ));
        }
        let head = self.log.head()?.seq;
        let tree = self
            .tree
            .read()
            .unwrap_or_else(|poison| poison.into_inner());
        if tree.size() == head {
            return Ok(tree);
        }
        drop(tree);
        let mut tree = self
            .tree
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        if tree.size() > head {
            return Err(CheckpointFailure::LogShrank(format!(
                "the log ends at seq {head}, but this server has seen {} events: it was cut \
                 short behind the server's back",
                tree.size()
            )));
        }
        extend(&mut tree, &self.log, head)?;
        drop(tree);
        Ok(self
            .tree
            .read()
            .unwrap_or_else(|poison| poison.into_inner()))
    }

    /// The signed checkpoint of the log's head.
    pub fn note(&self) -> Result<String, CheckpointFailure> {
        let tree = self.tree()?;
        let root = tree.root(tree.size(), &mut leaves_of(&self.log))?;
        Ok(self.key.sign_checkpoint(tree.size(), &root))
    }

    /// The proof that event `seq` is in the log of `size` events (default: the head).
    pub fn inclusion(
        &self,
        seq: u64,
        size: Option<u64>,
    ) -> Result<InclusionProof, CheckpointFailure> {
        let tree = self.tree()?;
        let size = size.unwrap_or(tree.size());
        if size > tree.size() {
            return Err(out_of_range("size", size, tree.size()));
        }
        if seq == 0 || seq > size {
            return Err(CheckpointFailure::OutOfRange {
                parameter: "seq",
                message: format!("must be within 1..={size} (the size asked), got {seq}"),
            });
        }
        let leaves = &mut leaves_of(&self.log);
        let proof = tree.inclusion_proof(seq - 1, size, leaves)?;
        let root = tree.root(size, leaves)?;
        let event_hash = self.log.event_hashes(seq, seq)?[0];
        Ok(InclusionProof {
            seq,
            size,
            event_hash,
            root,
            proof,
        })
    }

    /// The proof that the log of `to` events (default: the head) extends that of `from`.
    pub fn consistency(
        &self,
        from: u64,
        to: Option<u64>,
    ) -> Result<ConsistencyProof, CheckpointFailure> {
        let tree = self.tree()?;
        let to = to.unwrap_or(tree.size());
        if to > tree.size() {
            return Err(out_of_range("to", to, tree.size()));
        }
        if from == 0 || from > to {
            return Err(CheckpointFailure::OutOfRange {
                parameter: "from",
                message: format!("must be within 1..={to} (the size to prove), got {from}"),
            });
        }
        let leaves = &mut leaves_of(&self.log);
        let proof = tree.consistency_proof(from, to, leaves)?;
        Ok(ConsistencyProof {
            from,
            to,
            from_root: tree.root(from, leaves)?,
            to_root: tree.root(to, leaves)?,
            proof,
        })
    }
}

/// What the offline check of a saved checkpoint found.
#[derive(Debug)]
pub struct CheckpointCheck {
    pub checkpoint: Checkpoint,
    pub head_seq: u64,
    /// `None` when the log still holds the checkpoint and extends it; else why not, naming the
    /// first seq that differs where it can be told.
    pub problem: Option<String>,
    pub first_bad_seq: Option<u64>,
}

/// Checks the checkpoint `note` against `log`: its signature by `verifier`, that the log's
/// first `size` events have its root, and the consistency proof from it to the head.
/// `chain_bad_seq` is where the chain check found the log broken, if it did.
pub fn check_checkpoint(
    log: &Log,
    verifier: &VerifierKey,
    note: &str,
    chain_bad_seq: Option<u64>,
) -> Result<CheckpointCheck, String> {
    let checkpoint = verifier
        .open_checkpoint(note)
        .map_err(|error| format!("the checkpoint is refused: {error}"))?;
    let head_seq = log.head().map_err(|error| error.to_string())?.seq;
    let size = checkpoint.size;
    let mut check = CheckpointCheck {
        checkpoint,
        head_seq,
        problem: None,
        first_bad_seq: None,
    };
    if head_seq < size {
        check.first_bad_seq = Some(head_seq + 1);
        check.problem = Some(format!(
            "the log is TRUNCATED: it ends at seq {head_seq}, but the checkpoint holds {size} \
             events; seq {} is the first missing",
            head_seq + 1
        ));
        return Ok(check);
    }
    let failed = |error: StoreError| match error {
        StoreError::Corrupt { seq, problem } => format!("seq {seq}: {problem}"),
        other => other.to_string(),
    };
    let tree = tree_of_log(log, head_seq).map_err(failed)?;
    let leaves = &mut leaves_of(log);
    let proof_failed = |error: ProofError<StoreError>| match error {
        ProofError::OutOfRange(message) => message,
        ProofError::Read(error) => failed(error),
    };
    let root_then = tree.root(size, leaves).map_err(proof_failed)?;
    let root_now = tree.root(head_seq, leaves).map_err(proof_failed)?;
    let consistent = size == 0
        || tree
            .consistency_proof(size, head_seq, leaves)
            .map(|proof| {
                merkle::verify_consistency(
                    size,
                    head_seq,
                    &check.checkpoint.root,
                    &root_now,
                    &proof,
                )
            })
            .map_err(proof_failed)?;
    let chain_bad_seq = chain_bad_seq.filter(|seq| *seq <= size);
    if root_then != check.checkpoint.root || !consistent {
        // The tree says only that the first `size` events changed; the chain says where, when
        // the rewrite broke it.
        check.first_bad_seq = chain_bad_seq;
        check.problem = Some(match chain_bad_seq {
            Some(seq) => format!(
                "the log was REWRITTEN: its first {size} events no longer have the checkpoint's \
                 root; seq {seq} is the first that differs (the hash chain breaks there)"
            ),
            None => format!(
                "the log was REWRITTEN: its first {size} events no longer have the checkpoint's \
                 root (the chain was recomputed over the change, so the tree alone tells that \
                 some event at or before seq {size} differs, not which)"
            ),
        });
    } else if let Some(seq) = chain_bad_seq {
        // The hashes the checkpoint covers are unchanged, but an event no longer matches its
        // own: its content was rewritten after the checkpoint.
        check.first_bad_seq = Some(seq);
        check.problem = Some(format!(
            "the log was REWRITTEN: seq {seq} is the first that differs (its content no longer \
             matches the hash the checkpoint covers)"
        ));
    }
    Ok(check)
}

/// `acta verify --checkpoint FILE [--key VKEY] [--signing-key FILE]`.
pub struct CheckpointArgs {
    pub file: PathBuf,
    pub key: Option<String>,
    pub signing_key: Option<PathBuf>,
}

/// Checks the saved checkpoint of `args` against `log`.
pub fn check_saved_checkpoint(
    database: &Database,
    log: &Log,
    args: &CheckpointArgs,
    chain_bad_seq: Option<u64>,
) -> Result<CheckpointCheck, String> {
    let verifier = match &args.key {
        Some(text) => acta_events::checkpoint::VerifierKey::parse(text)
            .map_err(|error| format!("--key: {error}"))?,
        None => load_verifier(&key_place(database, args.signing_key.as_deref()))?,
    };
    let note = std::fs::read(&args.file)
        .map_err(|error| format!("cannot read {}: {error}", args.file.display()))?;
    if note.len() > acta_events::checkpoint::NOTE_BYTES_MAX {
        return Err(format!(
            "{} is too large for a checkpoint",
            args.file.display()
        ));
    }
    let note = String::from_utf8(note)
        .map_err(|_| format!("{} is not UTF-8 text", args.file.display()))?;
    check_checkpoint(log, &verifier, &note, chain_bad_seq)
}
