//! Incremental (append-only) Poseidon Merkle tree, circomlib / Tornado style: node = Poseidon(left, right)
//! (circomlib `Poseidon(2)`), empty leaves are the zero field element and the empty subtree of height h+1
//! is `zeros[h+1] = Poseidon(zeros[h], zeros[h])` (so `zeros[1]` = 14744269…29156).
//!
//! Because an empty slot holds 0, a commitment of 0 is indistinguishable from an empty slot: contracts
//! inserting leaves must refuse the zero commitment.

use ark_bn254::Fr;
use ark_ff::Zero;

use crate::{Result, ZkError, poseidon};

/// An authentication path: the sibling at each level, from the leaf up, and on which side the path runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerklePath {
    /// Sibling hashes from the leaf level (index 0) to the level below the root.
    pub siblings: Vec<Fr>,
    /// `index_bits[i]` is true when the node on the path at level i is a right child (so its sibling is on
    /// the left): bit i of the leaf index.
    pub index_bits: Vec<bool>,
}

impl MerklePath {
    /// Depth of the tree the path belongs to.
    pub fn depth(&self) -> usize {
        self.siblings.len()
    }

    /// The leaf index the bits encode (bit i = level i).
    pub fn index(&self) -> u64 {
        self.index_bits.iter().enumerate().fold(0u64, |acc, (i, b)| acc | (u64::from(*b) << i))
    }

    /// The root reached from `leaf` along this path (native Poseidon).
    pub fn root(&self, leaf: Fr) -> Fr {
        self.siblings.iter().zip(&self.index_bits).fold(leaf, |node, (sibling, right)| {
            if *right { poseidon::hash2(*sibling, node) } else { poseidon::hash2(node, *sibling) }
        })
    }
}

/// Append-only Poseidon Merkle tree of fixed depth that keeps every filled node, so paths can be served for
/// any leaf.
#[derive(Clone, Debug)]
pub struct MerkleTree {
    depth: usize,
    /// `zeros[h]`: root of an empty subtree of height h (`zeros[0]` = the empty leaf, 0).
    zeros: Vec<Fr>,
    /// `layers[h]`: the filled prefix of level h (`layers[0]` = leaves).
    layers: Vec<Vec<Fr>>,
}

/// Largest supported depth (leaf indices must fit in 64 bits with room to spare).
pub const MAX_DEPTH: usize = 32;

/// Roots of empty subtrees of heights `0..=depth`: `zeros[0] = 0`, `zeros[h+1] = Poseidon(zeros[h], zeros[h])`.
pub fn zero_values(depth: usize) -> Vec<Fr> {
    let mut zeros = Vec::with_capacity(depth + 1);
    zeros.push(Fr::zero());
    for h in 0..depth {
        let z = zeros[h];
        zeros.push(poseidon::hash2(z, z));
    }
    zeros
}

impl MerkleTree {
    /// An empty tree of `depth` levels (1..=[`MAX_DEPTH`]); capacity 2^depth leaves.
    pub fn new(depth: usize) -> Result<Self> {
        if depth == 0 || depth > MAX_DEPTH {
            return Err(ZkError::Depth(depth));
        }
        Ok(Self { depth, zeros: zero_values(depth), layers: vec![Vec::new(); depth + 1] })
    }

    /// Number of levels below the root.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Number of leaves inserted so far.
    pub fn len(&self) -> u64 {
        self.layers[0].len() as u64
    }

    /// Whether no leaf has been inserted.
    pub fn is_empty(&self) -> bool {
        self.layers[0].is_empty()
    }

    /// Maximum number of leaves.
    pub fn capacity(&self) -> u64 {
        1u64 << self.depth
    }

    /// The current root (`zeros[depth]` when empty).
    pub fn root(&self) -> Fr {
        self.layers[self.depth].first().copied().unwrap_or(self.zeros[self.depth])
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Result<Fr> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.layers[0].get(i).copied())
            .ok_or(ZkError::LeafIndex { index, len: self.len() })
    }

    /// Appends a leaf, updates the path above it and returns its index.
    pub fn insert(&mut self, leaf: Fr) -> Result<u64> {
        let index = self.len();
        if index >= self.capacity() {
            return Err(ZkError::TreeFull { depth: self.depth, capacity: self.capacity() });
        }
        self.layers[0].push(leaf);
        let mut pos = self.layers[0].len() - 1;
        for h in 0..self.depth {
            let parent = pos / 2;
            let left = self.layers[h][parent * 2];
            let right = self.layers[h].get(parent * 2 + 1).copied().unwrap_or(self.zeros[h]);
            let node = poseidon::hash2(left, right);
            let above = &mut self.layers[h + 1];
            if parent < above.len() {
                above[parent] = node;
            } else {
                above.push(node);
            }
            pos = parent;
        }
        Ok(index)
    }

    /// The authentication path of the leaf at `index` in the current tree.
    pub fn path(&self, index: u64) -> Result<MerklePath> {
        self.leaf(index)?;
        let mut pos = usize::try_from(index).map_err(|_| ZkError::LeafIndex { index, len: self.len() })?;
        let mut siblings = Vec::with_capacity(self.depth);
        let mut index_bits = Vec::with_capacity(self.depth);
        for h in 0..self.depth {
            let sibling = pos ^ 1;
            siblings.push(self.layers[h].get(sibling).copied().unwrap_or(self.zeros[h]));
            index_bits.push(pos & 1 == 1);
            pos /= 2;
        }
        Ok(MerklePath { siblings, index_bits })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_std::rand::{SeedableRng, rngs::StdRng};

    #[test]
    fn empty_root_is_the_zero_chain() {
        let tree = MerkleTree::new(20).expect("tree");
        let zeros = zero_values(20);
        assert_eq!(tree.root(), zeros[20]);
        assert_eq!(
            poseidon::fr_to_decimal(&zeros[1]),
            "14744269619966411208579211824598458697587494354926760081771325075741142829156"
        );
    }

    #[test]
    fn paths_reach_the_root_and_match_a_full_recomputation() {
        let mut rng = StdRng::seed_from_u64(20);
        let depth = 5;
        let mut tree = MerkleTree::new(depth).expect("tree");
        let mut leaves = Vec::new();
        for n in 0..19u64 {
            let leaf = Fr::rand(&mut rng);
            assert_eq!(tree.insert(leaf).expect("insert"), n);
            leaves.push(leaf);
            // Recompute the root from scratch over the padded leaf layer.
            let mut layer: Vec<Fr> = leaves.clone();
            layer.resize(1 << depth, Fr::zero());
            while layer.len() > 1 {
                layer = layer.chunks(2).map(|p| poseidon::hash2(p[0], p[1])).collect();
            }
            assert_eq!(tree.root(), layer[0]);
            for (i, leaf) in leaves.iter().enumerate() {
                let path = tree.path(i as u64).expect("path");
                assert_eq!(path.index(), i as u64);
                assert_eq!(path.root(*leaf), tree.root());
            }
        }
    }

    #[test]
    fn full_tree_and_bad_indices_are_errors() {
        let mut tree = MerkleTree::new(2).expect("tree");
        for i in 0..4u64 {
            tree.insert(Fr::from(i + 1)).expect("insert");
        }
        assert!(matches!(tree.insert(Fr::from(9u64)), Err(ZkError::TreeFull { capacity: 4, .. })));
        assert!(matches!(tree.path(4), Err(ZkError::LeafIndex { index: 4, len: 4 })));
        assert!(MerkleTree::new(0).is_err());
        assert!(MerkleTree::new(MAX_DEPTH + 1).is_err());
    }
}
