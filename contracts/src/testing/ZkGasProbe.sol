// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Groth16, ISpendVerifier, IDisclosureVerifier} from "../zk/Groth16.sol";
import {PoseidonT3} from "../zk/PoseidonT3.sol";
import {PoseidonMerkleTree} from "../zk/PoseidonMerkleTree.sol";

/// @title ZkGasProbe
/// @notice Measures, with `gasleft()` around the very code the contracts run, what `automat bench zk` reports:
///         one circomlib Poseidon(2) hash, one insert into the depth-20 note tree (the ShieldedPool's library),
///         and a call to each generated verifier (including the call into it, as the pool and registry pay it).
contract ZkGasProbe {
    using PoseidonMerkleTree for PoseidonMerkleTree.Tree;

    PoseidonMerkleTree.Tree private _tree;

    /// @notice A leaf was inserted into the probe's tree for `gasUsed`.
    event Inserted(uint32 index, uint256 root, uint256 gasUsed);

    constructor() {
        _tree.init();
    }

    /// @notice Poseidon(a, b) and the gas it took.
    /// @param a first input
    /// @param b second input
    /// @return h the hash
    /// @return gasUsed gas of the hash
    function poseidon(uint256 a, uint256 b) external view returns (uint256 h, uint256 gasUsed) {
        uint256 start = gasleft();
        h = PoseidonT3.hash([a, b]);
        gasUsed = start - gasleft();
    }

    /// @notice Inserts `leaf` into the probe's tree; returns (and emits) the gas the insert took.
    /// @param leaf The leaf.
    /// @return gasUsed gas of the insert
    function insert(uint256 leaf) external returns (uint256 gasUsed) {
        uint256 start = gasleft();
        (uint32 index, uint256 newRoot) = _tree.insert(leaf);
        gasUsed = start - gasleft();
        emit Inserted(index, newRoot, gasUsed);
    }

    /// @notice The probe tree's current root.
    /// @return The root.
    function root() external view returns (uint256) {
        return _tree.currentRoot();
    }

    /// @notice Calls a spend verifier; returns its answer and the gas of the call.
    /// @param verifier The verifier.
    /// @param proof The proof.
    /// @param input The public inputs.
    /// @return ok whether it verified
    /// @return gasUsed gas of the call
    function verifySpend(ISpendVerifier verifier, Groth16.Proof calldata proof, uint256[5] calldata input)
        external
        view
        returns (bool ok, uint256 gasUsed)
    {
        uint256 start = gasleft();
        ok = verifier.verifyProof(proof.a, proof.b, proof.c, input);
        gasUsed = start - gasleft();
    }

    /// @notice Calls a disclosure verifier; returns its answer and the gas of the call.
    /// @param verifier The verifier.
    /// @param proof The proof.
    /// @param input The public inputs.
    /// @return ok whether it verified
    /// @return gasUsed gas of the call
    function verifyDisclosure(IDisclosureVerifier verifier, Groth16.Proof calldata proof, uint256[4] calldata input)
        external
        view
        returns (bool ok, uint256 gasUsed)
    {
        uint256 start = gasleft();
        ok = verifier.verifyProof(proof.a, proof.b, proof.c, input);
        gasUsed = start - gasleft();
    }
}
