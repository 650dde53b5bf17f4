// SPDX-License-Identifier: MIT
pragma solidity ^0.8.0;

/// @title AggregatorV3Interface
/// @notice Chainlink's price feed interface, declared exactly as Chainlink publishes it
///         (chainlink/contracts, src/v0.8/shared/interfaces/AggregatorV3Interface.sol), so any consumer written
///         against Chainlink reads automat's feeds unchanged.
interface AggregatorV3Interface {
    /// @notice Decimals of `answer`.
    /// @return The number of decimals.
    function decimals() external view returns (uint8);

    /// @notice What the feed reports (e.g. "aUSD / snack-101").
    /// @return The description.
    function description() external view returns (string memory);

    /// @notice Version of the feed implementation.
    /// @return The version.
    function version() external view returns (uint256);

    /// @notice The data of round `_roundId`.
    /// @param _roundId The round.
    /// @return roundId The round.
    /// @return answer The aggregated value.
    /// @return startedAt When the round started.
    /// @return updatedAt When the answer was written.
    /// @return answeredInRound The round in which the answer was computed.
    function getRoundData(uint80 _roundId)
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);

    /// @notice The data of the latest round with an answer.
    /// @return roundId The round.
    /// @return answer The aggregated value.
    /// @return startedAt When the round started.
    /// @return updatedAt When the answer was written.
    /// @return answeredInRound The round in which the answer was computed.
    function latestRoundData()
        external
        view
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
}
