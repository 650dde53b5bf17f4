// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ScaleLib
/// @notice Test fixture: an external library, so its users carry link references that the artifact loader must fill.
library ScaleLib {
    /// @notice `x` times `factor`, checked.
    /// @param x Value.
    /// @param factor Multiplier.
    /// @return The product.
    function scale(uint256 x, uint256 factor) public pure returns (uint256) {
        return x * factor;
    }
}

/// @title LinkedMath
/// @notice Test fixture that calls an external library (needs linking before deployment).
contract LinkedMath {
    /// @notice Triples `x` through the linked library.
    /// @param x Value.
    /// @return The tripled value.
    function triple(uint256 x) external pure returns (uint256) {
        return ScaleLib.scale(x, 3);
    }
}
