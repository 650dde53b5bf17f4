// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AggregatorV3Interface} from "./AggregatorV3Interface.sol";
import {OracleAggregator} from "./OracleAggregator.sol";

/// @title OracleFeed
/// @notice One {OracleAggregator} feed behind Chainlink's AggregatorV3Interface, deployed by the aggregator when the
///         feed is created, so existing Chainlink consumers read it unchanged.
///
///         Round ids are the aggregator's report rounds; only accepted rounds have data (a round that froze the feed
///         has none). `startedAt` is the oldest observation of the round, `updatedAt` when the report was accepted,
///         `answeredInRound` equals `roundId`. A frozen feed keeps answering its last good value with its old
///         `updatedAt`, so a consumer's staleness check sees it age; {OracleAggregator-latest} tells frozen from
///         merely stale.
contract OracleFeed is AggregatorV3Interface {
    /// @notice Implementation version.
    uint256 public constant override version = 1;

    /// @notice The aggregator.
    OracleAggregator public immutable aggregator;
    /// @notice The aggregator's feed.
    bytes32 public immutable feedId;
    /// @notice Decimals of the feed's values.
    uint8 public immutable override decimals;
    /// @notice What the feed reports.
    string public override description;

    /// @notice The round has no data (never reported, not accepted, or beyond uint64).
    error RoundNotFound(bytes32 feedId, uint80 roundId);

    /// @param aggregator_ The aggregator.
    /// @param feedId_ The feed.
    /// @param decimals_ Decimals of its values.
    /// @param description_ What it reports.
    constructor(OracleAggregator aggregator_, bytes32 feedId_, uint8 decimals_, string memory description_) {
        aggregator = aggregator_;
        feedId = feedId_;
        decimals = decimals_;
        description = description_;
    }

    /// @inheritdoc AggregatorV3Interface
    function getRoundData(uint80 _roundId)
        external
        view
        override
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        return _round(_roundId);
    }

    /// @inheritdoc AggregatorV3Interface
    function latestRoundData()
        external
        view
        override
        returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound)
    {
        (,,, uint64 round) = aggregator.latest(feedId);
        return _round(round);
    }

    function _round(uint80 roundId)
        private
        view
        returns (uint80, int256, uint256, uint256, uint80)
    {
        if (roundId > type(uint64).max) revert RoundNotFound(feedId, roundId);
        OracleAggregator.Round memory r = aggregator.roundData(feedId, uint64(roundId));
        if (r.updatedAt == 0) revert RoundNotFound(feedId, roundId);
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }
}
