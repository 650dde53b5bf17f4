// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {PoseidonT3} from "./PoseidonT3.sol";

/// @title PoseidonMerkleTree
/// @notice An append-only depth-20 Merkle tree over circomlib Poseidon(2) (Tornado Cash's incremental tree: one
///         hash per level per insert, the left siblings kept in `filledSubtrees`) with a ring of the last
///         {ROOT_HISTORY_SIZE} roots. Empty leaves are 0 and the empty subtree of height h + 1 is
///         `Poseidon(zeros(h), zeros(h))`, exactly as automat-zk's `merkle` module, so the circuits' paths open it.
library PoseidonMerkleTree {
    /// @notice Depth of the tree (2^20 leaves).
    uint8 internal constant DEPTH = 20;
    /// @notice Number of recent roots kept.
    uint32 internal constant ROOT_HISTORY_SIZE = 32;

    /// @notice The tree's state.
    struct Tree {
        uint32 nextIndex;
        uint32 currentRootIndex;
        uint256[DEPTH] filledSubtrees;
        uint256[ROOT_HISTORY_SIZE] roots;
    }

    /// @notice The tree holds 2^20 leaves already.
    error TreeFull();

    /// @notice Sets an empty tree up (its root is `zeros(DEPTH)`).
    /// @param tree The tree.
    function init(Tree storage tree) internal {
        for (uint256 level = 0; level < DEPTH; ++level) {
            tree.filledSubtrees[level] = zeros(level);
        }
        tree.roots[0] = zeros(DEPTH);
    }

    /// @notice Appends `leaf` and pushes the new root into the history.
    /// @param tree The tree.
    /// @param leaf The leaf.
    /// @return index The leaf's index.
    /// @return root The new root.
    function insert(Tree storage tree, uint256 leaf) internal returns (uint32 index, uint256 root) {
        index = tree.nextIndex;
        if (index == uint32(1) << DEPTH) revert TreeFull();
        uint256 node = leaf;
        uint32 i = index;
        for (uint256 level = 0; level < DEPTH; ++level) {
            if (i & 1 == 0) {
                tree.filledSubtrees[level] = node;
                node = PoseidonT3.hash([node, zeros(level)]);
            } else {
                node = PoseidonT3.hash([tree.filledSubtrees[level], node]);
            }
            i >>= 1;
        }
        uint32 rootIndex = (tree.currentRootIndex + 1) % ROOT_HISTORY_SIZE;
        tree.currentRootIndex = rootIndex;
        tree.roots[rootIndex] = node;
        tree.nextIndex = index + 1;
        return (index, node);
    }

    /// @notice Whether `root` is one of the last {ROOT_HISTORY_SIZE} roots (never true for 0).
    /// @param tree The tree.
    /// @param root The root.
    /// @return Whether it is known.
    function isKnownRoot(Tree storage tree, uint256 root) internal view returns (bool) {
        if (root == 0) return false;
        uint32 i = tree.currentRootIndex;
        for (uint32 n = 0; n < ROOT_HISTORY_SIZE; ++n) {
            if (tree.roots[i] == root) return true;
            i = i == 0 ? ROOT_HISTORY_SIZE - 1 : i - 1;
        }
        return false;
    }

    /// @notice The current root.
    /// @param tree The tree.
    /// @return The root.
    function currentRoot(Tree storage tree) internal view returns (uint256) {
        return tree.roots[tree.currentRootIndex];
    }

    /// @notice Root of an empty subtree of height `level` (0 = the empty leaf): `zeros(h + 1) =
    ///         Poseidon(zeros(h), zeros(h))`, circomlib Poseidon.
    /// @param level Height, 0 to {DEPTH}.
    /// @return The root of the empty subtree.
    function zeros(uint256 level) internal pure returns (uint256) {
        if (level == 0) return 0;
        if (level == 1) return 14744269619966411208579211824598458697587494354926760081771325075741142829156;
        if (level == 2) return 7423237065226347324353380772367382631490014989348495481811164164159255474657;
        if (level == 3) return 11286972368698509976183087595462810875513684078608517520839298933882497716792;
        if (level == 4) return 3607627140608796879659380071776844901612302623152076817094415224584923813162;
        if (level == 5) return 19712377064642672829441595136074946683621277828620209496774504837737984048981;
        if (level == 6) return 20775607673010627194014556968476266066927294572720319469184847051418138353016;
        if (level == 7) return 3396914609616007258851405644437304192397291162432396347162513310381425243293;
        if (level == 8) return 21551820661461729022865262380882070649935529853313286572328683688269863701601;
        if (level == 9) return 6573136701248752079028194407151022595060682063033565181951145966236778420039;
        if (level == 10) return 12413880268183407374852357075976609371175688755676981206018884971008854919922;
        if (level == 11) return 14271763308400718165336499097156975241954733520325982997864342600795471836726;
        if (level == 12) return 20066985985293572387227381049700832219069292839614107140851619262827735677018;
        if (level == 13) return 9394776414966240069580838672673694685292165040808226440647796406499139370960;
        if (level == 14) return 11331146992410411304059858900317123658895005918277453009197229807340014528524;
        if (level == 15) return 15819538789928229930262697811477882737253464456578333862691129291651619515538;
        if (level == 16) return 19217088683336594659449020493828377907203207941212636669271704950158751593251;
        if (level == 17) return 21035245323335827719745544373081896983162834604456827698288649288827293579666;
        if (level == 18) return 6939770416153240137322503476966641397417391950902474480970945462551409848591;
        if (level == 19) return 10941962436777715901943463195175331263348098796018438960955633645115732864202;
        if (level == 20) return 15019797232609675441998260052101280400536945603062888308240081994073687793470;
        revert TreeFull();
    }

}
