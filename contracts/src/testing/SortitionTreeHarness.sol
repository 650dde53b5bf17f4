// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SortitionTree} from "../court/SortitionTree.sol";

/// @title SortitionTreeHarness
/// @notice Test fixture only: exposes the {SortitionTree} library so tests can compare it with a model.
contract SortitionTreeHarness {
    using SortitionTree for SortitionTree.Tree;

    SortitionTree.Tree private _tree;

    /// @notice Sets `juror`'s weight.
    /// @param juror The juror.
    /// @param value Its weight.
    function set(address juror, uint256 value) external {
        _tree.set(juror, value);
    }

    /// @notice Sets several weights in one transaction.
    /// @param jurors The jurors.
    /// @param values Their weights.
    function setMany(address[] calldata jurors, uint256[] calldata values) external {
        for (uint256 i; i < jurors.length; ++i) {
            _tree.set(jurors[i], values[i]);
        }
    }

    /// @notice The sum of all weights.
    /// @return The sum.
    function total() external view returns (uint256) {
        return _tree.total();
    }

    /// @notice `juror`'s weight.
    /// @param juror The juror.
    /// @return Its weight.
    function valueOf(address juror) external view returns (uint256) {
        return _tree.valueOf(juror);
    }

    /// @notice Jurors ever indexed.
    /// @return The count.
    function size() external view returns (uint256) {
        return _tree.size();
    }

    /// @notice The juror drawn by `r`.
    /// @param r A number below {total}.
    /// @return The juror.
    function draw(uint256 r) external view returns (address) {
        return _tree.draw(r);
    }
}
