// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Storefront} from "../vending/Storefront.sol";
import {Groth16, ISpendVerifier} from "./Groth16.sol";
import {PoseidonT3} from "./PoseidonT3.sol";
import {PoseidonMerkleTree} from "./PoseidonMerkleTree.sol";

/// @title ShieldedPool
/// @notice Pays Storefront orders without linking the payment to the payer's address (Privacy Pools / Tornado
///         Nova style).
///
///         Deposit: the payer locks `amount` of the payment token and adds the note commitment
///         `Poseidon(amount, precommitment)` (computed here, so a note can never claim more than was locked) as the
///         next leaf of an incremental depth-20 Poseidon Merkle tree, where `precommitment = Poseidon(nullifier,
///         secret)` stays private. Spend: a Groth16 proof shows knowledge of a note under one of the last
///         {ROOT_HISTORY_SIZE} roots, reveals `nullifierHash = Poseidon(nullifier)` (recorded: each note spends
///         once), takes `withdrawn` out of it and commits the rest as a change note, inserted as a new leaf. The
///         proof's last public input, `context`, hashes the chain id, this pool, the order (its Storefront binding),
///         the relayer and the relayer's fee, so none of them can be changed once proved. `withdrawn − fee` pays the
///         order (placed for a one-time buyer address, which receives the receipt and any refund), `fee` pays the
///         relayer who submitted the transaction, at most {maxRelayerFee}.
///
///         Invariant: the pool's token balance equals the sum of deposits minus the sum of withdrawals.
contract ShieldedPool is ReentrancyGuard {
    using SafeERC20 for IERC20;
    using PoseidonMerkleTree for PoseidonMerkleTree.Tree;

    /// @notice The public half of a spend (the proof's inputs, besides the context this contract derives).
    struct Spend {
        uint256 root;
        uint256 nullifierHash;
        uint128 withdrawn;
        uint256 changeCommitment;
        address relayer;
        uint128 fee;
    }

    /// @notice Depth of the note tree (2^20 notes).
    uint8 public constant DEPTH = PoseidonMerkleTree.DEPTH;
    /// @notice Number of recent roots a spend may be proved against.
    uint32 public constant ROOT_HISTORY_SIZE = PoseidonMerkleTree.ROOT_HISTORY_SIZE;

    /// @notice The payment token notes hold.
    IERC20 public immutable token;
    /// @notice Verifier of spend proofs.
    ISpendVerifier public immutable verifier;
    /// @notice The storefront whose orders the pool pays.
    Storefront public immutable storefront;
    /// @notice Highest fee a relayer may take from one spend.
    uint128 public immutable maxRelayerFee;

    /// @notice Sum of all deposits minus all withdrawals: what the notes are worth together.
    uint256 public totalLocked;
    PoseidonMerkleTree.Tree private _tree;
    mapping(uint256 nullifierHash => bool) private _spent;

    /// @notice A leaf was added to the tree (a deposit or a change note); `root` is the tree's new root.
    event LeafInserted(uint256 indexed commitment, uint32 indexed leafIndex, uint256 root);
    /// @notice `depositor` locked `amount` in a new note.
    event Deposited(address indexed depositor, uint256 indexed commitment, uint32 leafIndex, uint128 amount);
    /// @notice A note was spent on an order.
    event OrderPaid(
        uint256 indexed nullifierHash, uint256 indexed orderId, uint128 value, address relayer, uint128 fee
    );
    /// @notice A note was spent to a plain address (leaving the pool).
    event Withdrawn(uint256 indexed nullifierHash, address indexed recipient, uint128 value, address relayer, uint128 fee);

    /// @notice Deposits and spends need a nonzero amount.
    error ZeroAmount();
    /// @notice The precommitment or a commitment is zero (the empty leaf) or not a field element.
    error InvalidCommitment(uint256 commitment);
    /// @notice The root is zero or not among the last {ROOT_HISTORY_SIZE} roots.
    error UnknownRoot(uint256 root);
    /// @notice The note behind this nullifier hash was spent already (or the hash is not a field element).
    error NullifierSpent(uint256 nullifierHash);
    /// @notice The relayer's fee is above the cap, above what is withdrawn, or set without a relayer.
    error RelayerFeeTooHigh(uint128 fee, uint128 cap);
    /// @notice `withdrawn − fee` must equal the quoted price of the order it pays.
    error ValueMismatch(uint128 value, uint128 price);
    /// @notice The order's buyer (the receipt and refund address) or the recipient is the zero address.
    error ZeroRecipient();
    /// @notice The spend proof does not verify for these public inputs.
    error InvalidSpendProof();

    /// @param token_ The payment token.
    /// @param verifier_ The spend verifier (generated from the spend circuit's verifying key).
    /// @param storefront_ The storefront whose orders the pool pays.
    /// @param maxRelayerFee_ Highest relayer fee per spend.
    constructor(IERC20 token_, ISpendVerifier verifier_, Storefront storefront_, uint128 maxRelayerFee_) {
        token = token_;
        verifier = verifier_;
        storefront = storefront_;
        maxRelayerFee = maxRelayerFee_;
        _tree.init();
    }

    // ---------------------------------------------------------------- deposits

    /// @notice Locks `amount` of the payment token in a new note `Poseidon(amount, precommitment)`.
    /// @param amount The note's amount (pulled from the caller; needs an allowance).
    /// @param precommitment `Poseidon(nullifier, secret)` of the note's private randomness.
    /// @return commitment The new leaf.
    /// @return leafIndex Its index in the tree.
    function deposit(uint128 amount, uint256 precommitment)
        external
        nonReentrant
        returns (uint256 commitment, uint32 leafIndex)
    {
        if (amount == 0) revert ZeroAmount();
        if (precommitment == 0 || precommitment >= Groth16.SCALAR_FIELD) revert InvalidCommitment(precommitment);
        commitment = PoseidonT3.hash([uint256(amount), precommitment]);
        leafIndex = _insert(commitment);
        totalLocked += amount;
        emit Deposited(msg.sender, commitment, leafIndex, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    // ---------------------------------------------------------------- spends

    /// @notice Pays a Storefront order from a note: verifies the spend proof, records the nullifier, inserts the
    ///         change note, places the order for `buyer` (paying `withdrawn − fee`, which must equal the quoted
    ///         price) and pays the relayer its fee. The whole call reverts, spending nothing, if the order cannot
    ///         be placed (expired quote, sold out, missing or invalid disclosure proof, ...).
    /// @param proof The spend proof.
    /// @param spend The spend's public inputs besides the context.
    /// @param quote The machine's signed quote.
    /// @param quoteSignature The machine key's signature of `quote`.
    /// @param deadline The order's deadline.
    /// @param buyer The order's buyer: receives the receipt and any refund (a fresh address keeps the payment
    ///        unlinkable).
    /// @param disclosure The order's compliance disclosure (empty when the machine asks for none).
    /// @return orderId The order placed.
    function payOrder(
        Groth16.Proof calldata proof,
        Spend calldata spend,
        Storefront.Quote calldata quote,
        bytes calldata quoteSignature,
        uint64 deadline,
        address buyer,
        bytes calldata disclosure
    ) external nonReentrant returns (uint256 orderId) {
        if (buyer == address(0)) revert ZeroRecipient();
        uint128 value = _consume(proof, spend, storefront.orderBinding(buyer, quote, deadline));
        if (value != quote.price) revert ValueMismatch(value, quote.price);
        token.forceApprove(address(storefront), value);
        orderId = storefront.placeOrderFor(buyer, quote, quoteSignature, value, deadline, disclosure);
        emit OrderPaid(spend.nullifierHash, orderId, value, spend.relayer, spend.fee);
        if (spend.fee > 0) token.safeTransfer(spend.relayer, spend.fee);
    }

    /// @notice Takes `withdrawn − fee` out of the pool to `recipient` (and the fee to the relayer): the exit that
    ///         keeps nothing locked forever. The proof's context binds `recipient` in place of an order.
    /// @param proof The spend proof.
    /// @param spend The spend's public inputs besides the context.
    /// @param recipient Receives the value.
    function withdraw(Groth16.Proof calldata proof, Spend calldata spend, address recipient) external nonReentrant {
        if (recipient == address(0)) revert ZeroRecipient();
        uint128 value = _consume(proof, spend, withdrawalBinding(recipient));
        emit Withdrawn(spend.nullifierHash, recipient, value, spend.relayer, spend.fee);
        if (value > 0) token.safeTransfer(recipient, value);
        if (spend.fee > 0) token.safeTransfer(spend.relayer, spend.fee);
    }

    // ---------------------------------------------------------------- views

    /// @notice The proof's `context` input for a spend bound to `binding` (an order's {Storefront-orderBinding} or
    ///         a {withdrawalBinding}), `relayer` and `fee`, on this chain and pool.
    /// @param binding The order or withdrawal binding.
    /// @param relayer The relayer paid the fee.
    /// @param fee The relayer's fee.
    /// @return A field element (the keccak hash shifted right by 3 bits, so below 2^253 < r).
    function spendContext(uint256 binding, address relayer, uint128 fee) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), binding, relayer, fee))) >> 3;
    }

    /// @notice The binding of a withdrawal to `recipient` (what {spendContext} hashes in place of an order).
    /// @param recipient The recipient.
    /// @return The binding.
    function withdrawalBinding(address recipient) public pure returns (uint256) {
        return uint256(keccak256(abi.encode("automat.ShieldedPool.withdraw", recipient))) >> 3;
    }

    /// @notice Whether `root` is one of the last {ROOT_HISTORY_SIZE} roots (never true for 0).
    /// @param root The root.
    /// @return Whether it is known.
    function isKnownRoot(uint256 root) public view returns (bool) {
        return _tree.isKnownRoot(root);
    }

    /// @notice The current root.
    /// @return The root.
    function currentRoot() external view returns (uint256) {
        return _tree.currentRoot();
    }

    /// @notice Number of leaves in the tree (the index the next one gets).
    /// @return The count.
    function nextIndex() external view returns (uint32) {
        return _tree.nextIndex;
    }

    /// @notice Root of an empty subtree of height `level` (0 = the empty leaf).
    /// @param level Height, 0 to {DEPTH}.
    /// @return The root of the empty subtree.
    function zeros(uint256 level) external pure returns (uint256) {
        return PoseidonMerkleTree.zeros(level);
    }

    /// @notice Whether the note behind `nullifierHash` was spent.
    /// @param nullifierHash The nullifier hash.
    /// @return Whether it was spent.
    function isSpent(uint256 nullifierHash) external view returns (bool) {
        return _spent[nullifierHash];
    }

    // ---------------------------------------------------------------- internals

    /// @dev Checks a spend (root, nullifier, fee, change commitment, proof), records the nullifier, inserts the
    ///      change note and lowers {totalLocked}; returns the value to pay (`withdrawn − fee`).
    function _consume(Groth16.Proof calldata proof, Spend calldata spend, uint256 binding)
        private
        returns (uint128 value)
    {
        if (spend.withdrawn == 0) revert ZeroAmount();
        if (!isKnownRoot(spend.root)) revert UnknownRoot(spend.root);
        uint256 nullifierHash = spend.nullifierHash;
        if (_spent[nullifierHash] || nullifierHash >= Groth16.SCALAR_FIELD) revert NullifierSpent(nullifierHash);
        if (spend.fee > maxRelayerFee || spend.fee > spend.withdrawn || (spend.relayer == address(0) && spend.fee > 0))
        {
            revert RelayerFeeTooHigh(spend.fee, maxRelayerFee);
        }
        uint256 change = spend.changeCommitment;
        if (change == 0 || change >= Groth16.SCALAR_FIELD) revert InvalidCommitment(change);
        uint256[5] memory input =
            [spend.root, nullifierHash, uint256(spend.withdrawn), change, spendContext(binding, spend.relayer, spend.fee)];
        if (!verifier.verifyProof(proof.a, proof.b, proof.c, input)) revert InvalidSpendProof();

        _spent[nullifierHash] = true;
        _insert(change);
        totalLocked -= spend.withdrawn;
        value = spend.withdrawn - spend.fee;
    }

    /// @dev Appends `leaf` to the note tree.
    function _insert(uint256 leaf) private returns (uint32 index) {
        uint256 root;
        (index, root) = _tree.insert(leaf);
        emit LeafInserted(leaf, index, root);
    }
}
