//! The RFC 9162 (Certificate Transparency v2, §2.1) Merkle tree over the log, alongside the
//! linear `prev_hash` chain: its root hash, inclusion and consistency proofs, and their checks.
//!
//! The tree's leaves are the events in `seq` order (leaf index = `seq - 1`); a leaf's bytes are
//! the 32 bytes of the event's `hash` (the chain hash, hex-decoded). So `MTH({d0}) =
//! SHA-256(0x00 || d0)` and `MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))`, `k` the
//! largest power of two below `n`; the empty tree's hash is `SHA-256()`.
//!
//! [`MerkleTree`] keeps in memory only the hashes of the complete subtrees of
//! [`CHUNK_LEAVES`] leaves and more (two hashes per chunk in all) and the leaf hashes of the last,
//! incomplete chunk: the root of any size is then a few hash operations, and a proof reads at
//! most a few chunks' worth of stored event hashes (through the `leaves` reader it is given).

use sha2::{Digest, Sha256};

/// A node's or leaf's hash.
pub type Hash = [u8; 32];

/// log2 of [`CHUNK_LEAVES`].
const CHUNK_LEVEL: u32 = 8;

/// Leaves of the smallest subtree whose hash [`MerkleTree`] keeps; smaller ones are computed
/// from the stored event hashes when a proof needs them.
pub const CHUNK_LEAVES: u64 = 1 << CHUNK_LEVEL;

/// The hash of a leaf whose bytes are `leaf` (RFC 9162 §2.1.1: `SHA-256(0x00 || leaf)`).
pub fn leaf_hash(leaf: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(leaf);
    hasher.finalize().into()
}

/// The hash of an interior node (`SHA-256(0x01 || left || right)`).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The hash of the empty tree (`SHA-256()` of nothing).
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The 32 bytes of a chain hash written as 64 lowercase hex characters (a leaf's bytes).
pub fn hash_of_hex(hex: &str) -> Option<Hash> {
    let digit = |byte: u8| match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    };
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut hash = [0u8; 32];
    for (index, pair) in bytes.chunks_exact(2).enumerate() {
        hash[index] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(hash)
}

/// The largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The root of the tree over `leaf_hashes` (already hashed with [`leaf_hash`]), computed
/// straight from RFC 9162's definition.
pub fn root_of_leaf_hashes(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes.len() {
        0 => empty_root(),
        1 => leaf_hashes[0],
        n => {
            let k = split_point(n as u64) as usize;
            node_hash(
                &root_of_leaf_hashes(&leaf_hashes[..k]),
                &root_of_leaf_hashes(&leaf_hashes[k..]),
            )
        }
    }
}

/// Reads the leaf hashes of leaves `from..to` (leaf indexes, `seq - 1`), for a proof.
pub type LeafReader<'a, E> = dyn FnMut(u64, u64) -> Result<Vec<Hash>, E> + 'a;

/// Why a proof cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError<E> {
    /// The asked sizes or index do not fit the tree (`400`).
    #[error("{0}")]
    OutOfRange(String),
    /// The stored event hashes could not be read (`500`, or `503`).
    #[error(transparent)]
    Read(E),
}

/// The Merkle tree of a log, grown one leaf at a time in `seq` order.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    size: u64,
    /// `levels[j][i]`: the hash of the complete subtree over leaves `i·2^(8+j) .. (i+1)·2^(8+j)`.
    levels: Vec<Vec<Hash>>,
    /// The leaf hashes of the last, incomplete chunk.
    tail: Vec<Hash>,
}

impl MerkleTree {
    pub fn new() -> MerkleTree {
        MerkleTree::default()
    }

    /// Leaves in the tree: the `seq` of the newest event it holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the leaf whose bytes are `leaf` (an event's 32 hash bytes).
    pub fn push(&mut self, leaf: &[u8]) {
        self.push_leaf_hash(leaf_hash(leaf));
    }

    /// Adds a leaf already hashed with [`leaf_hash`].
    pub fn push_leaf_hash(&mut self, hash: Hash) {
        self.tail.push(hash);
        self.size += 1;
        if self.tail.len() as u64 == CHUNK_LEAVES {
            let mut carry = root_of_leaf_hashes(&self.tail);
            self.tail.clear();
            let mut level = 0;
            loop {
                if self.levels.len() == level {
                    self.levels.push(Vec::new());
                }
                self.levels[level].push(carry);
                let count = self.levels[level].len();
                if !count.is_multiple_of(2) {
                    break;
                }
                carry = node_hash(
                    &self.levels[level][count - 2],
                    &self.levels[level][count - 1],
                );
                level += 1;
            }
        }
    }

    /// Bytes this tree holds in memory, roughly.
    pub fn memory_bytes(&self) -> usize {
        let kept: usize = self.levels.iter().map(Vec::len).sum();
        (kept + self.tail.len()) * std::mem::size_of::<Hash>()
    }

    /// The root of the tree of the first `size` leaves (`size <= self.size()`), from what is
    /// kept in memory when `size` is the current size or a multiple of [`CHUNK_LEAVES`], else
    /// with one read of at most a chunk of leaves.
    pub fn root<E>(
        &self,
        size: u64,
        leaves: &mut LeafReader<'_, E>,
    ) -> Result<Hash, ProofError<E>> {
        if size > self.size {
            return Err(ProofError::OutOfRange(format!(
                "the tree has {} leaves, not {size}",
                self.size
            )));
        }
        if size == 0 {
            return Ok(empty_root());
        }
        self.subtree(0, size, leaves)
    }

    /// The hash of the subtree over leaves `start..end`, a range the RFC's recursion makes: it
    /// starts at a multiple of the largest power of two not above its length.
    fn subtree<E>(
        &self,
        start: u64,
        end: u64,
        leaves: &mut LeafReader<'_, E>,
    ) -> Result<Hash, ProofError<E>> {
        let n = end - start;
        if n.is_power_of_two() && n >= CHUNK_LEAVES && start.is_multiple_of(n) {
            let level = (n.trailing_zeros() - CHUNK_LEVEL) as usize;
            if let Some(hash) = self
                .levels
                .get(level)
                .and_then(|hashes| hashes.get((start / n) as usize))
            {
                return Ok(*hash);
            }
        }
        if start / CHUNK_LEAVES == (end - 1) / CHUNK_LEAVES {
            let tail_start = self.size - self.tail.len() as u64;
            if start >= tail_start {
                let from = (start - tail_start) as usize;
                let to = (end - tail_start) as usize;
                return Ok(root_of_leaf_hashes(&self.tail[from..to]));
            }
            let read = leaves(start, end).map_err(ProofError::Read)?;
            return Ok(root_of_leaf_hashes(&read));
        }
        let k = split_point(n);
        Ok(node_hash(
            &self.subtree(start, start + k, leaves)?,
            &self.subtree(start + k, end, leaves)?,
        ))
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162
    /// §2.1.3.1), from the leaf up.
    pub fn inclusion_proof<E>(
        &self,
        index: u64,
        size: u64,
        leaves: &mut LeafReader<'_, E>,
    ) -> Result<Vec<Hash>, ProofError<E>> {
        if size > self.size || index >= size {
            return Err(ProofError::OutOfRange(format!(
                "leaf {index} is not in a tree of {size} leaves (the log holds {})",
                self.size
            )));
        }
        let mut proof = Vec::new();
        self.path(index, 0, size, leaves, &mut proof)?;
        Ok(proof)
    }

    fn path<E>(
        &self,
        index: u64,
        start: u64,
        end: u64,
        leaves: &mut LeafReader<'_, E>,
        proof: &mut Vec<Hash>,
    ) -> Result<(), ProofError<E>> {
        let n = end - start;
        if n == 1 {
            return Ok(());
        }
        let k = split_point(n);
        if index < k {
            self.path(index, start, start + k, leaves, proof)?;
            proof.push(self.subtree(start + k, end, leaves)?);
        } else {
            self.path(index - k, start + k, end, leaves, proof)?;
            proof.push(self.subtree(start, start + k, leaves)?);
        }
        Ok(())
    }

    /// The proof that the tree of the first `to` leaves extends that of the first `from`
    /// (RFC 9162 §2.1.4.1), for `1 <= from <= to <= size`; empty when `from == to`.
    pub fn consistency_proof<E>(
        &self,
        from: u64,
        to: u64,
        leaves: &mut LeafReader<'_, E>,
    ) -> Result<Vec<Hash>, ProofError<E>> {
        if from == 0 || from > to || to > self.size {
            return Err(ProofError::OutOfRange(format!(
                "a consistency proof needs 1 <= from <= to <= {} (the log's size), not from {from} \
                 to {to}",
                self.size
            )));
        }
        let mut proof = Vec::new();
        if from < to {
            self.subproof(from, 0, to, true, leaves, &mut proof)?;
        }
        Ok(proof)
    }

    fn subproof<E>(
        &self,
        m: u64,
        start: u64,
        end: u64,
        whole: bool,
        leaves: &mut LeafReader<'_, E>,
        proof: &mut Vec<Hash>,
    ) -> Result<(), ProofError<E>> {
        let n = end - start;
        if m == n {
            if !whole {
                proof.push(self.subtree(start, end, leaves)?);
            }
            return Ok(());
        }
        let k = split_point(n);
        if m <= k {
            self.subproof(m, start, start + k, whole, leaves, proof)?;
            proof.push(self.subtree(start + k, end, leaves)?);
        } else {
            self.subproof(m - k, start + k, end, false, leaves, proof)?;
            proof.push(self.subtree(start, start + k, leaves)?);
        }
        Ok(())
    }
}

/// Whether `proof` shows that the leaf hashed `leaf` is leaf `index` of the tree of `size`
/// leaves whose root is `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut hash = *leaf;
    for sibling in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            hash = node_hash(sibling, &hash);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && hash == *root
}

/// Whether `proof` shows that the tree of `second` leaves with root `second_root` extends the
/// tree of `first` leaves with root `first_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut first_hash, mut second_hash) = (*head, *head);
    for node in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            first_hash = node_hash(node, &first_hash);
            second_hash = node_hash(node, &second_hash);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            second_hash = node_hash(&second_hash, node);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    first_hash == *first_root && second_hash == *second_root && snode == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::convert::Infallible;

    fn leaves_of(count: u64) -> Vec<Vec<u8>> {
        (0..count)
            .map(|i| Sha256::digest(i.to_be_bytes()).to_vec())
            .collect()
    }

    fn tree_of(leaves: &[Vec<u8>]) -> MerkleTree {
        let mut tree = MerkleTree::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    fn reader(hashes: &[Hash]) -> impl FnMut(u64, u64) -> Result<Vec<Hash>, Infallible> + '_ {
        move |from, to| Ok(hashes[from as usize..to as usize].to_vec())
    }

    fn hex(hash: &Hash) -> String {
        hash.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// RFC 9162's definitions, written out with no shortcut: MTH, PATH and PROOF.
    mod naive {
        use super::super::*;

        pub fn mth(leaves: &[Vec<u8>]) -> Hash {
            match leaves.len() {
                0 => empty_root(),
                1 => leaf_hash(&leaves[0]),
                n => {
                    let k = split_point(n as u64) as usize;
                    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
                }
            }
        }

        pub fn path(m: usize, leaves: &[Vec<u8>]) -> Vec<Hash> {
            let n = leaves.len();
            if n == 1 {
                return Vec::new();
            }
            let k = split_point(n as u64) as usize;
            if m < k {
                let mut proof = path(m, &leaves[..k]);
                proof.push(mth(&leaves[k..]));
                proof
            } else {
                let mut proof = path(m - k, &leaves[k..]);
                proof.push(mth(&leaves[..k]));
                proof
            }
        }

        pub fn subproof(m: usize, leaves: &[Vec<u8>], whole: bool) -> Vec<Hash> {
            let n = leaves.len();
            if m == n {
                return if whole { Vec::new() } else { vec![mth(leaves)] };
            }
            let k = split_point(n as u64) as usize;
            if m <= k {
                let mut proof = subproof(m, &leaves[..k], whole);
                proof.push(mth(&leaves[k..]));
                proof
            } else {
                let mut proof = subproof(m - k, &leaves[k..], false);
                proof.push(mth(&leaves[..k]));
                proof
            }
        }
    }

    #[test]
    fn the_empty_tree_and_one_leaf_match_rfc_6962_s_test_vectors() {
        // From the reference tests of RFC 6962's implementation (certificate-transparency,
        // merkle_tree_test): the empty tree, and the tree of the one empty leaf.
        assert_eq!(
            hex(&empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn roots_match_rfc_6962_s_test_vectors_for_its_eight_leaves() {
        // The eight leaves of the reference tests, and the root of each prefix.
        let leaves: Vec<Vec<u8>> = [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|text| {
            (0..text.len() / 2)
                .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap())
                .collect()
        })
        .collect();
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut tree = MerkleTree::new();
        let hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        for (leaf, expected) in leaves.iter().zip(roots) {
            tree.push(leaf);
            let root = tree.root(tree.size(), &mut reader(&hashes)).unwrap();
            assert_eq!(hex(&root), expected, "root of {} leaves", tree.size());
        }
        // The reference tests' consistency proof of the tree of 6 in that of 8.
        let proof = tree.consistency_proof(6, 8, &mut reader(&hashes)).unwrap();
        assert_eq!(
            proof.iter().map(hex).collect::<Vec<_>>(),
            [
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ]
        );
    }

    #[test]
    fn every_root_and_proof_of_sizes_1_to_64_matches_the_rfc_s_definitions() {
        let leaves = leaves_of(64);
        let hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        let tree = tree_of(&leaves);
        for size in 1..=64usize {
            let root = tree.root(size as u64, &mut reader(&hashes)).unwrap();
            assert_eq!(root, naive::mth(&leaves[..size]), "root of {size}");
            for index in 0..size {
                let proof = tree
                    .inclusion_proof(index as u64, size as u64, &mut reader(&hashes))
                    .unwrap();
                assert_eq!(
                    proof,
                    naive::path(index, &leaves[..size]),
                    "path {index} in {size}"
                );
                assert!(verify_inclusion(
                    index as u64,
                    size as u64,
                    &hashes[index],
                    &proof,
                    &root
                ));
            }
            for from in 1..=size {
                let proof = tree
                    .consistency_proof(from as u64, size as u64, &mut reader(&hashes))
                    .unwrap();
                let expected = if from == size {
                    Vec::new()
                } else {
                    naive::subproof(from, &leaves[..size], true)
                };
                assert_eq!(proof, expected, "consistency {from} to {size}");
                let first_root = naive::mth(&leaves[..from]);
                assert!(verify_consistency(
                    from as u64,
                    size as u64,
                    &first_root,
                    &root,
                    &proof
                ));
            }
        }
    }

    #[test]
    fn trees_beyond_one_chunk_read_only_the_leaves_they_lack() {
        let count = 3 * CHUNK_LEAVES + 17;
        let leaves = leaves_of(count);
        let hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        let tree = tree_of(&leaves);
        let read = std::cell::Cell::new(0u64);
        let mut counting = |from: u64, to: u64| -> Result<Vec<Hash>, Infallible> {
            read.set(read.get() + to - from);
            Ok(hashes[from as usize..to as usize].to_vec())
        };
        // The current root and the roots at chunk boundaries read nothing.
        assert_eq!(
            tree.root(count, &mut counting).unwrap(),
            naive::mth(&leaves)
        );
        assert_eq!(
            tree.root(2 * CHUNK_LEAVES, &mut counting).unwrap(),
            naive::mth(&leaves[..2 * CHUNK_LEAVES as usize])
        );
        assert_eq!(read.get(), 0);
        // A proof reads at most a few chunks.
        let proof = tree.inclusion_proof(5, count, &mut counting).unwrap();
        assert_eq!(proof, naive::path(5, &leaves));
        assert!(read.get() <= 2 * CHUNK_LEAVES, "read {} leaves", read.get());
        assert_eq!(tree.memory_bytes(), (3 + 1 + 17) * 32);
    }

    #[test]
    fn out_of_range_sizes_are_refused() {
        let leaves = leaves_of(5);
        let hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
        let tree = tree_of(&leaves);
        let mut read = reader(&hashes);
        assert!(matches!(
            tree.root(6, &mut read),
            Err(ProofError::OutOfRange(_))
        ));
        assert!(matches!(
            tree.inclusion_proof(5, 5, &mut read),
            Err(ProofError::OutOfRange(_))
        ));
        assert!(matches!(
            tree.inclusion_proof(0, 6, &mut read),
            Err(ProofError::OutOfRange(_))
        ));
        assert!(matches!(
            tree.consistency_proof(0, 5, &mut read),
            Err(ProofError::OutOfRange(_))
        ));
        assert!(matches!(
            tree.consistency_proof(4, 3, &mut read),
            Err(ProofError::OutOfRange(_))
        ));
        assert!(matches!(
            tree.consistency_proof(1, 6, &mut read),
            Err(ProofError::OutOfRange(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn proofs_of_large_trees_verify_and_a_changed_leaf_fails_them(
            size in 1u64..2000, index_seed in any::<u64>(), from_seed in any::<u64>(),
        ) {
            let leaves = leaves_of(size);
            let hashes: Vec<Hash> = leaves.iter().map(|leaf| leaf_hash(leaf)).collect();
            let tree = tree_of(&leaves);
            let root = tree.root(size, &mut reader(&hashes)).unwrap();
            prop_assert_eq!(root, root_of_leaf_hashes(&hashes));
            let index = index_seed % size;
            let proof = tree.inclusion_proof(index, size, &mut reader(&hashes)).unwrap();
            prop_assert!(verify_inclusion(index, size, &hashes[index as usize], &proof, &root));
            prop_assert!(!verify_inclusion(index, size, &leaf_hash(b"other"), &proof, &root));
            let from = 1 + from_seed % size;
            let first_root = tree.root(from, &mut reader(&hashes)).unwrap();
            prop_assert_eq!(first_root, root_of_leaf_hashes(&hashes[..from as usize]));
            let proof = tree.consistency_proof(from, size, &mut reader(&hashes)).unwrap();
            prop_assert!(verify_consistency(from, size, &first_root, &root, &proof));
            // A rewritten leaf below `from` changes the first root: the proof fails.
            let mut changed = hashes.clone();
            changed[(from_seed % from) as usize] = leaf_hash(b"rewritten");
            let changed_root = root_of_leaf_hashes(&changed[..from as usize]);
            prop_assert!(!verify_consistency(from, size, &changed_root, &root, &proof));
        }
    }
}
