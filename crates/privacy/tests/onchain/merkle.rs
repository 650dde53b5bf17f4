//! The Solidity PoseidonMerkleTree (inside the ShieldedPool) against automat-zk's native tree.

use alloy_primitives::U256;
use automat_chain::ChainClientExt;
use automat_contracts::privacy::ShieldedPool;
use automat_privacy::fr_to_u256;
use automat_zk::merkle::{MerkleTree, zero_values};
use automat_zk::spend::SPEND_DEPTH;

use crate::common::*;

async fn zeros_at(fx: &Fixture, level: u64) -> Result<U256, automat_chain::ChainError> {
    fx.admin.call_sol(fx.addresses.pool, &ShieldedPool::zerosCall { level: U256::from(level) }).await
}

#[tokio::test]
async fn the_pool_tree_agrees_with_the_native_tree() {
    let fx = Fixture::new().await;
    let pool = fx.addresses.pool;

    let depth = fx.admin.call_sol(pool, &ShieldedPool::DEPTHCall {}).await.expect("succeeds");
    assert_eq!(usize::from(depth), SPEND_DEPTH);
    let zeros = zero_values(SPEND_DEPTH);
    for (level, zero) in zeros.iter().enumerate() {
        assert_eq!(zeros_at(&fx, level as u64).await.expect("succeeds"), fr_to_u256(zero), "zeros({level})");
    }
    assert_revert(zeros_at(&fx, SPEND_DEPTH as u64 + 1).await, ShieldedPool::TreeFull {});

    let privacy = fx.privacy(&fx.admin);
    let mut native = MerkleTree::new(SPEND_DEPTH).expect("succeeds");
    assert_eq!(privacy.current_root().await.expect("succeeds"), fr_to_u256(&native.root()));
    assert_eq!(fr_to_u256(&native.root()), fr_to_u256(&zeros[SPEND_DEPTH]), "the empty tree's root");

    let mut rng = rng(13);
    let mut roots = vec![native.root()];
    for (i, amount) in [1u128, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144].into_iter().enumerate() {
        let note = fx.deposit(amount * USD, &mut rng).await;
        assert_eq!(native.insert(note.commitment()).expect("succeeds"), i as u64);
        let root = privacy.current_root().await.expect("succeeds");
        assert_eq!(root, fr_to_u256(&native.root()), "root after {} leaves", i + 1);
        assert!(!roots.contains(&native.root()), "every insert changes the root");
        roots.push(native.root());
        assert!(privacy.is_known_root(root).await.expect("succeeds"));
    }
    // Every root so far is in the history (fewer than 32), and the leaves' events match.
    for root in &roots {
        assert!(privacy.is_known_root(fr_to_u256(root)).await.expect("succeeds"));
    }
    let leaves = privacy.leaves(0).await.expect("succeeds");
    assert_eq!(leaves.len() as u64, native.len());
    for leaf in &leaves {
        assert_eq!(leaf.commitment, fr_to_u256(&native.leaf(u64::from(leaf.index)).expect("succeeds")));
    }
    assert!(!privacy.is_known_root(U256::ZERO).await.expect("succeeds"), "0 is never a known root");
}
