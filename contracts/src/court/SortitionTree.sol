// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title SortitionTree
/// @notice Stake-weighted drawing over a Fenwick (binary-indexed) sum tree. Each juror gets an index on its
///         first non-zero {set} (1, 2, 3, ...; never reused); {draw} maps a number `r < total()` to the juror
///         whose cumulative range [prefix(i - 1), prefix(i)) contains it, so a juror is drawn with probability
///         value / total. {set} and {draw} are O(log n) in the number of jurors ever indexed.
library SortitionTree {
    /// @notice {draw} was given `r` not below the total `total`.
    error SortitionTreeOutOfRange(uint256 r, uint256 total);

    /// @dev The tree. `fenwick[i]` (1-based) holds the sum of values of indices (i - lowbit(i), i].
    struct Tree {
        uint256 sum;
        address[] jurors;
        mapping(address juror => uint256) indexOf;
        mapping(uint256 index => uint256) values;
        mapping(uint256 index => uint256) fenwick;
    }

    /// @notice Sets `juror`'s weight to `value`, indexing the juror on its first non-zero value.
    function set(Tree storage tree, address juror, uint256 value) internal {
        uint256 index = tree.indexOf[juror];
        if (index == 0) {
            if (value == 0) return;
            tree.jurors.push(juror);
            index = tree.jurors.length;
            tree.indexOf[juror] = index;
            // fenwick[index] covers (index - lowbit, index]: the new value plus the nodes index - 1,
            // index - 2, index - 4, ... below its lowbit (all already final, the tree grows at the end).
            uint256 sum = value;
            uint256 low = index & (~index + 1);
            for (uint256 step = 1; step < low; step <<= 1) {
                sum += tree.fenwick[index - step];
            }
            tree.fenwick[index] = sum;
            tree.values[index] = value;
            tree.sum += value;
            return;
        }
        uint256 old = tree.values[index];
        if (old == value) return;
        tree.values[index] = value;
        uint256 n = tree.jurors.length;
        if (value > old) {
            uint256 up = value - old;
            tree.sum += up;
            // Unchecked: i <= n and n is far below 2^255, so i + lowbit(i) cannot overflow; ~i + 1 is the
            // two's complement of i, intended to wrap.
            unchecked {
                for (uint256 i = index; i <= n; i += i & (~i + 1)) {
                    tree.fenwick[i] += up;
                }
            }
        } else {
            uint256 down = old - value;
            tree.sum -= down;
            // Unchecked as above; every node on the path includes the old value, so the subtraction cannot
            // underflow.
            unchecked {
                for (uint256 i = index; i <= n; i += i & (~i + 1)) {
                    tree.fenwick[i] -= down;
                }
            }
        }
    }

    /// @notice The sum of all weights.
    function total(Tree storage tree) internal view returns (uint256) {
        return tree.sum;
    }

    /// @notice `juror`'s weight.
    function valueOf(Tree storage tree, address juror) internal view returns (uint256) {
        uint256 index = tree.indexOf[juror];
        return index == 0 ? 0 : tree.values[index];
    }

    /// @notice Number of jurors ever indexed.
    function size(Tree storage tree) internal view returns (uint256) {
        return tree.jurors.length;
    }

    /// @notice The juror whose cumulative range contains `r` (`r < total()`).
    function draw(Tree storage tree, uint256 r) internal view returns (address) {
        uint256 t = tree.sum;
        if (r >= t) revert SortitionTreeOutOfRange(r, t);
        uint256 n = tree.jurors.length;
        uint256 step = 1;
        while (step <= n >> 1) step <<= 1;
        uint256 pos = 0;
        // Binary lifting: the largest pos with prefix(pos) <= r; the answer is index pos + 1.
        for (; step > 0; step >>= 1) {
            uint256 next = pos + step;
            if (next <= n) {
                uint256 node = tree.fenwick[next];
                if (node <= r) {
                    pos = next;
                    r -= node;
                }
            }
        }
        return tree.jurors[pos];
    }
}
