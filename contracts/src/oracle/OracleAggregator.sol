// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {OracleFeed} from "./OracleFeed.sol";

/// @title OracleAggregator
/// @notice Aggregates the signed observations of automat's oracle nodes into feeds (prices, demand forecasts, risk
///         scores), one value per feed and round.
///
///         Committee: ORACLE_ADMIN_ROLE (governance) sets the n node signers and the fault tolerance f, with
///         n >= 3f + 1. A report needs a quorum of 2f + 1 observations; a supermajority is n - f observations that
///         agree with the median (within the feed's `outlierBps`): with at most f faulty nodes that is at least
///         f + 1 honest ones.
///
///         Observation: each node signs the EIP-712 struct {Observation} (feed id, round, value, when observed) under
///         the domain ("automat OracleAggregator", "1", chain id, this contract), so a signature is bound to one
///         chain, one aggregator, one feed and one round.
///
///         Report: anyone (the round's leader) submits the observations for round `last + 1` of a feed, signers in
///         strictly ascending address order (so a duplicate is impossible and the check is one comparison). Each
///         signer must be registered and each observation no older than the feed's `maxObservationAge` (and at
///         most MAX_CLOCK_SKEW in the future); a price feed refuses values <= 0. The median is the middle value of
///         the sorted observations; for an even count the mean of the two middle ones, rounded towards negative
///         infinity. With at most f liars among >= 2f + 1 observations both middle values lie between the lowest and
///         the highest honest observation, so the median does too. It must lie within the feed's bounds.
///
///         Manipulation (error path A2): observations deviating more than `outlierBps` from the median are flagged
///         (`ObservationFlagged`) and count against their signer. A report whose median moves more than
///         `maxDeviationBps` from the current value, or more than `maxDriftBps` from the drift anchor, is accepted
///         only with a supermajority; otherwise it triggers the consensus override: the feed freezes at its last
///         good value (`FeedFrozen`), refuses reports, and consumers fall back to their manual prices until
///         governance calls {clearFreeze}. Proof that a registered signer signed two values for one feed and round
///         ({reportEquivocation}, by anyone) freezes the feed the same way.
///
///         Drift: the anchor is the value that was current when the drift window opened; a window lasts
///         `driftWindow` seconds and the next accepted report after it opens a new one. Within a window every value
///         accepted without a supermajority lies within `maxDriftBps` of the anchor, so a slow drift just under
///         `maxDeviationBps` per round is bounded. A value accepted with a supermajority that needed it becomes the
///         new anchor.
///
///         Heartbeat: a report whose median differs from the current value by less than `deviationThresholdBps` is
///         refused until `heartbeat` seconds have passed since the last update (no no-op updates); the first report
///         of a feed is always due. Consumers judge staleness themselves ({isFresh}, or `updatedAt`).
///
///         Every feed also has an {OracleFeed}: Chainlink's AggregatorV3Interface over this contract.
contract OracleAggregator is AccessControl, EIP712 {
    /// @notice What a feed measures. Price feeds refuse values <= 0.
    enum FeedKind {
        Price,
        Forecast,
        Risk
    }

    /// @notice Where a feed stands.
    enum FeedStatus {
        None,
        Active,
        Frozen
    }

    /// @notice Why a feed froze.
    enum FreezeReason {
        None,
        Deviation,
        Drift,
        Equivocation
    }

    /// @notice What a node signs: its value for one feed and round.
    struct Observation {
        bytes32 feedId;
        uint64 round;
        int256 value;
        uint64 observedAt;
    }

    /// @notice One node's observation as a report carries it (feed id and round are the report's).
    struct SignedObservation {
        int256 value;
        uint64 observedAt;
        bytes signature;
    }

    /// @notice A feed's parameters. Values are fixed point with `decimals` decimals.
    struct FeedConfig {
        int192 minValue;
        uint16 deviationThresholdBps;
        uint16 maxDeviationBps;
        uint16 outlierBps;
        uint16 maxDriftBps;
        int192 maxValue;
        uint32 heartbeat;
        uint32 maxObservationAge;
        uint32 driftWindow;
        FeedKind kind;
        uint8 decimals;
    }

    /// @notice A feed's progress: the last round reported (accepted or not), the last round with an answer, and
    ///         the drift anchor.
    struct FeedState {
        FeedStatus status;
        uint64 round;
        uint64 answerRound;
        int192 anchor;
        uint32 anchorAt;
    }

    /// @notice An accepted round.
    struct Round {
        int192 answer;
        uint32 startedAt;
        uint32 updatedAt;
    }

    /// @notice A node's record.
    struct Node {
        bool registered;
        uint32 misbehaviour;
    }

    /// @notice Role of governance: sets the committee, creates and configures feeds, clears freezes.
    bytes32 public constant ORACLE_ADMIN_ROLE = keccak256("ORACLE_ADMIN_ROLE");
    /// @notice How many rounds a report may skip (a stalled round is skipped; the bound keeps a leader from
    ///         burning the round space).
    uint64 public constant MAX_ROUND_SKIP = 16;
    /// @notice EIP-712 type hash of {Observation}.
    bytes32 public constant OBSERVATION_TYPEHASH =
        keccak256("Observation(bytes32 feedId,uint64 round,int256 value,uint64 observedAt)");
    /// @notice Largest committee.
    uint8 public constant MAX_NODES = 31;
    /// @notice How far in the future (by the block's clock) an observation may be dated.
    uint64 public constant MAX_CLOCK_SKEW = 60;

    /// @notice Number of registered signers (n).
    uint8 public committeeSize;
    /// @notice Faulty nodes tolerated (f).
    uint8 public faultTolerance;

    address[] private _signers;
    mapping(address signer => Node) private _nodes;
    mapping(bytes32 feedId => FeedConfig) private _configs;
    mapping(bytes32 feedId => FeedState) private _states;
    mapping(bytes32 feedId => address) private _proxies;
    mapping(bytes32 feedId => mapping(uint64 round => Round)) private _rounds;
    mapping(bytes32 proof => bool) private _equivocations;

    /// @notice The committee changed.
    event CommitteeChanged(address[] signers, uint8 faultTolerance);
    /// @notice A feed was created, with its AggregatorV3Interface at `proxy`.
    event FeedCreated(bytes32 indexed feedId, address proxy, string description);
    /// @notice A feed's parameters changed (or were set at creation).
    event FeedConfigured(bytes32 indexed feedId, FeedConfig config);
    /// @notice A report was accepted: `value` is the feed's new value.
    event ReportAccepted(bytes32 indexed feedId, uint64 indexed round, int256 value, uint8 observations, uint8 agreeing);
    /// @notice A report moved the value too far without a supermajority; the feed froze instead.
    event ReportRejected(bytes32 indexed feedId, uint64 indexed round, int256 median, uint8 observations, uint8 agreeing);
    /// @notice An observation deviated more than `outlierBps` from the report's median.
    event ObservationFlagged(
        bytes32 indexed feedId, uint64 indexed round, address indexed signer, int256 value, int256 median
    );
    /// @notice A registered signer signed two values for one feed and round.
    event EquivocationReported(
        bytes32 indexed feedId, uint64 indexed round, address indexed signer, int256 valueA, int256 valueB
    );
    /// @notice Consensus override: the feed froze at `value`, its last good value.
    event FeedFrozen(bytes32 indexed feedId, uint64 round, FreezeReason reason, int256 value);
    /// @notice Governance cleared a freeze; the feed is active again at `value`.
    event FeedUnfrozen(bytes32 indexed feedId, address by, int256 value);
    /// @notice The drift anchor moved to `anchor` at `at`.
    event DriftAnchorMoved(bytes32 indexed feedId, int256 anchor, uint64 at);

    /// @notice The committee is empty, too large, or too small for f (n >= 3f + 1).
    error InvalidCommittee(uint256 size, uint8 faultTolerance);
    /// @notice The zero address cannot sign.
    error InvalidSigner();
    /// @notice A signer appears twice.
    error DuplicateSigner(address signer);
    /// @notice The signers of a report are not in strictly ascending order.
    error SignersNotAscending(address previous, address signer);
    /// @notice The signer is not in the committee.
    error UnknownSigner(address signer);
    /// @notice No feed has this id.
    error FeedNotFound(bytes32 feedId);
    /// @notice A feed with this id exists.
    error FeedExists(bytes32 feedId);
    /// @notice The bounds are empty, beyond int192, or not positive for a price feed.
    error InvalidBounds(int192 minValue, int192 maxValue);
    /// @notice The thresholds must satisfy deviationThreshold <= maxDeviation <= maxDrift <= 10000, outlier <= 10000.
    error InvalidThresholds(uint16 deviationThresholdBps, uint16 maxDeviationBps, uint16 outlierBps, uint16 maxDriftBps);
    /// @notice Heartbeat, observation age and drift window must be positive.
    error InvalidTiming(uint32 heartbeat, uint32 maxObservationAge, uint32 driftWindow);
    /// @notice A feed's kind and decimals cannot change.
    error FeedUnitChanged(bytes32 feedId);
    /// @notice The feed is frozen (consensus override) until governance clears it.
    error FeedIsFrozen(bytes32 feedId);
    /// @notice The feed is not frozen.
    error FeedNotFrozen(bytes32 feedId);
    /// @notice Reports must carry round `expected` (replays and old rounds are refused).
    error UnexpectedRound(bytes32 feedId, uint64 round, uint64 expected);
    /// @notice Fewer observations than the quorum (2f + 1).
    error InsufficientObservations(uint256 count, uint256 quorum);
    /// @notice The observation is older than the feed's `maxObservationAge`.
    error ObservationTooOld(address signer, uint64 observedAt, uint64 oldest);
    /// @notice The observation is dated more than MAX_CLOCK_SKEW in the future.
    error ObservationFromFuture(address signer, uint64 observedAt, uint64 latest);
    /// @notice A price feed refuses values <= 0.
    error NonPositiveValue(address signer, int256 value);
    /// @notice The median lies outside the feed's bounds.
    error ValueOutOfBounds(int256 median, int192 minValue, int192 maxValue);
    /// @notice The median moved less than `deviationThresholdBps` and the heartbeat has not elapsed.
    error UpdateNotDue(bytes32 feedId, int256 median, int256 current, uint64 heartbeatAt);
    /// @notice The two observations of an equivocation proof recover to different signers.
    error SignersDiffer(address signerA, address signerB);
    /// @notice The two observations of an equivocation proof carry the same value.
    error SameValue(int256 value);
    /// @notice This signer's equivocation in this feed and round was reported before.
    error EquivocationAlreadyReported(bytes32 feedId, uint64 round, address signer);

    /// @param admin Receives DEFAULT_ADMIN_ROLE and ORACLE_ADMIN_ROLE.
    constructor(address admin) EIP712("automat OracleAggregator", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ORACLE_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- governance

    /// @notice Replaces the committee: `signers` (n of them, distinct, non-zero) with fault tolerance `f`,
    ///         n >= 3f + 1. Misbehaviour records stay with their signers.
    /// @param signers The node signing keys.
    /// @param f Faulty nodes tolerated.
    function setCommittee(address[] calldata signers, uint8 f) external onlyRole(ORACLE_ADMIN_ROLE) {
        uint256 n = signers.length;
        if (n == 0 || n > MAX_NODES || n < 3 * uint256(f) + 1) revert InvalidCommittee(n, f);
        uint256 old = _signers.length;
        for (uint256 i = 0; i < old; ++i) {
            _nodes[_signers[i]].registered = false;
        }
        delete _signers;
        for (uint256 i = 0; i < n; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert InvalidSigner();
            Node storage node = _nodes[signer];
            if (node.registered) revert DuplicateSigner(signer);
            node.registered = true;
            _signers.push(signer);
        }
        committeeSize = uint8(n);
        faultTolerance = f;
        emit CommitteeChanged(signers, f);
    }

    /// @notice Creates feed `feedId` with `config` and deploys its AggregatorV3Interface.
    /// @param feedId The feed (e.g. keccak256 of its name).
    /// @param config Its parameters.
    /// @param description What it reports (the AggregatorV3Interface description).
    /// @return proxy The feed's {OracleFeed}.
    function createFeed(bytes32 feedId, FeedConfig calldata config, string calldata description)
        external
        onlyRole(ORACLE_ADMIN_ROLE)
        returns (address proxy)
    {
        FeedState storage state = _states[feedId];
        if (state.status != FeedStatus.None) revert FeedExists(feedId);
        _checkConfig(config);
        state.status = FeedStatus.Active;
        proxy = address(new OracleFeed(this, feedId, config.decimals, description));
        _proxies[feedId] = proxy;
        emit FeedCreated(feedId, proxy, description);
        _configs[feedId] = config;
        emit FeedConfigured(feedId, config);
    }

    /// @notice Changes a feed's parameters; its kind and decimals stay.
    /// @param feedId The feed.
    /// @param config The new parameters.
    function setFeedConfig(bytes32 feedId, FeedConfig calldata config) external onlyRole(ORACLE_ADMIN_ROLE) {
        _stateOf(feedId);
        FeedConfig storage current = _configs[feedId];
        if (config.kind != current.kind || config.decimals != current.decimals) revert FeedUnitChanged(feedId);
        _checkConfig(config);
        _configs[feedId] = config;
        emit FeedConfigured(feedId, config);
    }

    /// @notice Lifts a consensus override: the feed is active again at its last good value, which also becomes the
    ///         drift anchor. The next report must still agree with that value (or carry a supermajority).
    /// @param feedId The feed.
    function clearFreeze(bytes32 feedId) external onlyRole(ORACLE_ADMIN_ROLE) {
        FeedState storage state = _stateOf(feedId);
        if (state.status != FeedStatus.Frozen) revert FeedNotFrozen(feedId);
        int192 value = _rounds[feedId][state.answerRound].answer;
        state.status = FeedStatus.Active;
        emit FeedUnfrozen(feedId, msg.sender, value);
        _moveAnchor(feedId, state, value);
    }

    // ---------------------------------------------------------------- reports

    /// @notice Submits the report of round `round` of feed `feedId`. Anyone may submit it.
    /// @param feedId The feed.
    /// @param round The round: after the feed's last round, by at most MAX_ROUND_SKIP more (a round whose
    ///        observations aged out before anyone reported it is skipped: honest nodes never sign a second value
    ///        for it, so a fresh report needs a fresh round).
    /// @param observations At least 2f + 1 signed observations, signers strictly ascending.
    /// @return accepted Whether the median became the feed's value (false: the report froze the feed).
    function submitReport(bytes32 feedId, uint64 round, SignedObservation[] calldata observations)
        external
        returns (bool accepted)
    {
        FeedState storage state = _stateOf(feedId);
        if (state.status == FeedStatus.Frozen) revert FeedIsFrozen(feedId);
        uint64 expected = state.round + 1;
        if (round < expected || round - expected > MAX_ROUND_SKIP) revert UnexpectedRound(feedId, round, expected);
        uint256 needed = 2 * uint256(faultTolerance) + 1;
        if (observations.length < needed) revert InsufficientObservations(observations.length, needed);

        FeedConfig memory config = _configs[feedId];
        (int256[] memory values, address[] memory signers, uint32 startedAt) =
            _verifyObservations(feedId, round, observations, config);
        int256 median = _median(values);
        if (median < config.minValue || median > config.maxValue) {
            revert ValueOutOfBounds(median, config.minValue, config.maxValue);
        }
        uint256 agreeing = _flagOutliers(feedId, round, values, signers, median, config.outlierBps);
        Tally memory tally = Tally({
            median: median,
            startedAt: startedAt,
            observations: uint8(values.length),
            agreeing: uint8(agreeing),
            supermajority: agreeing + faultTolerance >= committeeSize
        });
        return _apply(feedId, round, state, config, tally);
    }

    /// @notice Reports a signer that signed two different values for one feed and round: records its misbehaviour
    ///         and freezes the feed (consensus override). Anyone may call it; each (feed, round, signer) once.
    /// @param feedId The feed.
    /// @param round The round both observations name.
    /// @param a One signed observation.
    /// @param b Another, by the same signer, with a different value.
    function reportEquivocation(
        bytes32 feedId,
        uint64 round,
        SignedObservation calldata a,
        SignedObservation calldata b
    ) external {
        FeedState storage state = _stateOf(feedId);
        address signer = _recover(feedId, round, a);
        address other = _recover(feedId, round, b);
        if (signer != other) revert SignersDiffer(signer, other);
        Node storage node = _nodes[signer];
        if (!node.registered) revert UnknownSigner(signer);
        if (a.value == b.value) revert SameValue(a.value);
        bytes32 proof = keccak256(abi.encode(feedId, round, signer));
        if (_equivocations[proof]) revert EquivocationAlreadyReported(feedId, round, signer);
        _equivocations[proof] = true;
        node.misbehaviour += 1;
        emit EquivocationReported(feedId, round, signer, a.value, b.value);
        if (state.status != FeedStatus.Frozen) {
            state.status = FeedStatus.Frozen;
            emit FeedFrozen(feedId, round, FreezeReason.Equivocation, _rounds[feedId][state.answerRound].answer);
        }
    }

    // ---------------------------------------------------------------- views

    /// @notice A feed's current value.
    /// @param feedId The feed.
    /// @return value The last good value (0 before the first report).
    /// @return updatedAt When it was written (0 before the first report).
    /// @return status Active, or Frozen (consensus override: `value` is the value it froze at).
    /// @return round The round that produced `value`.
    function latest(bytes32 feedId)
        external
        view
        returns (int256 value, uint64 updatedAt, FeedStatus status, uint64 round)
    {
        FeedState storage state = _stateOf(feedId);
        round = state.answerRound;
        Round storage r = _rounds[feedId][round];
        return (r.answer, r.updatedAt, state.status, round);
    }

    /// @notice Whether a feed is active and was updated at most `maxAge` seconds ago. A frozen feed is never fresh.
    /// @param feedId The feed.
    /// @param maxAge Largest acceptable age in seconds.
    /// @return Whether it is fresh.
    function isFresh(bytes32 feedId, uint64 maxAge) external view returns (bool) {
        FeedState storage state = _stateOf(feedId);
        uint256 updatedAt = _rounds[feedId][state.answerRound].updatedAt;
        return state.status == FeedStatus.Active && updatedAt != 0 && block.timestamp <= updatedAt + maxAge;
    }

    /// @notice An accepted round's data (zero for rounds without an answer).
    /// @param feedId The feed.
    /// @param round The round.
    /// @return The round record.
    function roundData(bytes32 feedId, uint64 round) external view returns (Round memory) {
        _stateOf(feedId);
        return _rounds[feedId][round];
    }

    /// @notice A feed's parameters.
    /// @param feedId The feed.
    /// @return The parameters.
    function feedConfig(bytes32 feedId) external view returns (FeedConfig memory) {
        _stateOf(feedId);
        return _configs[feedId];
    }

    /// @notice A feed's progress.
    /// @param feedId The feed.
    /// @return The state record.
    function feedState(bytes32 feedId) external view returns (FeedState memory) {
        return _stateOf(feedId);
    }

    /// @notice A feed's AggregatorV3Interface.
    /// @param feedId The feed.
    /// @return The {OracleFeed} address.
    function feedProxy(bytes32 feedId) external view returns (address) {
        _stateOf(feedId);
        return _proxies[feedId];
    }

    /// @notice The committee.
    /// @return signers The registered signers, in registration order.
    /// @return f Faulty nodes tolerated.
    function committee() external view returns (address[] memory signers, uint8 f) {
        return (_signers, faultTolerance);
    }

    /// @notice Observations a report needs: 2f + 1.
    /// @return The quorum.
    function quorum() external view returns (uint256) {
        return 2 * uint256(faultTolerance) + 1;
    }

    /// @notice Agreeing observations that make a supermajority: n - f.
    /// @return The supermajority.
    function supermajority() external view returns (uint256) {
        return uint256(committeeSize) - faultTolerance;
    }

    /// @notice Whether `signer` is in the committee.
    /// @param signer The signer.
    /// @return Whether it is registered.
    function isNode(address signer) external view returns (bool) {
        return _nodes[signer].registered;
    }

    /// @notice How often `signer` was flagged as an outlier or caught equivocating.
    /// @param signer The signer.
    /// @return The count.
    function misbehaviourOf(address signer) external view returns (uint32) {
        return _nodes[signer].misbehaviour;
    }

    /// @notice Whether `signer`'s equivocation in `feedId`/`round` was reported.
    /// @param feedId The feed.
    /// @param round The round.
    /// @param signer The signer.
    /// @return Whether it was.
    function equivocationReported(bytes32 feedId, uint64 round, address signer) external view returns (bool) {
        return _equivocations[keccak256(abi.encode(feedId, round, signer))];
    }

    /// @notice The EIP-712 digest a node signs for `observation`.
    /// @param observation The observation.
    /// @return The digest.
    function observationDigest(Observation calldata observation) external view returns (bytes32) {
        return _hashTypedDataV4(
            _hashObservation(observation.feedId, observation.round, observation.value, observation.observedAt)
        );
    }

    // ---------------------------------------------------------------- internals

    /// @dev What a report amounts to once verified.
    struct Tally {
        int256 median;
        uint32 startedAt;
        uint8 observations;
        uint8 agreeing;
        bool supermajority;
    }

    /// @dev What every observation of a report must satisfy.
    struct Limits {
        uint64 oldest;
        uint64 newest;
        bool positive;
    }

    /// @dev Recovers and checks every observation; returns the values and signers in report order and the oldest
    ///      observation time.
    function _verifyObservations(
        bytes32 feedId,
        uint64 round,
        SignedObservation[] calldata observations,
        FeedConfig memory config
    ) private view returns (int256[] memory values, address[] memory signers, uint32 startedAt) {
        values = new int256[](observations.length);
        signers = new address[](observations.length);
        Limits memory limits = Limits({
            oldest: block.timestamp > config.maxObservationAge ? uint64(block.timestamp) - config.maxObservationAge : 0,
            newest: uint64(block.timestamp) + MAX_CLOCK_SKEW,
            positive: config.kind == FeedKind.Price
        });
        uint64 earliest = type(uint64).max;
        address previous = address(0);
        for (uint256 i = 0; i < observations.length; ++i) {
            SignedObservation calldata o = observations[i];
            previous = _checkObservation(o, _recover(feedId, round, o), previous, limits);
            if (o.observedAt < earliest) earliest = o.observedAt;
            values[i] = o.value;
            signers[i] = previous;
        }
        startedAt = uint32(earliest);
    }

    /// @dev Checks one observation recovered to `signer`, following `previous` in the report; returns `signer`.
    function _checkObservation(SignedObservation calldata o, address signer, address previous, Limits memory limits)
        private
        view
        returns (address)
    {
        if (!_nodes[signer].registered) revert UnknownSigner(signer);
        if (signer <= previous) {
            if (signer == previous) revert DuplicateSigner(signer);
            revert SignersNotAscending(previous, signer);
        }
        if (o.observedAt < limits.oldest) revert ObservationTooOld(signer, o.observedAt, limits.oldest);
        if (o.observedAt > limits.newest) revert ObservationFromFuture(signer, o.observedAt, limits.newest);
        if (limits.positive && o.value <= 0) revert NonPositiveValue(signer, o.value);
        return signer;
    }

    /// @dev Flags the observations deviating more than `outlierBps` from `median`; returns how many agree.
    function _flagOutliers(
        bytes32 feedId,
        uint64 round,
        int256[] memory values,
        address[] memory signers,
        int256 median,
        uint16 outlierBps
    ) private returns (uint256 agreeing) {
        for (uint256 i = 0; i < values.length; ++i) {
            if (_exceeds(values[i], median, outlierBps)) {
                _nodes[signers[i]].misbehaviour += 1;
                emit ObservationFlagged(feedId, round, signers[i], values[i], median);
            } else {
                ++agreeing;
            }
        }
    }

    /// @dev Applies the deviation, drift and heartbeat rules and records the outcome.
    function _apply(
        bytes32 feedId,
        uint64 round,
        FeedState storage state,
        FeedConfig memory config,
        Tally memory tally
    ) private returns (bool) {
        state.round = round;
        int256 median = tally.median;
        uint64 lastRound = state.answerRound;
        bool moveAnchor = lastRound == 0;
        int192 anchor = moveAnchor ? int192(median) : state.anchor;
        if (!moveAnchor) {
            Round storage last = _rounds[feedId][lastRound];
            int192 current = last.answer;
            if (block.timestamp >= uint256(state.anchorAt) + config.driftWindow) {
                anchor = current;
                moveAnchor = true;
            }
            bool deviates = _exceeds(median, current, config.maxDeviationBps);
            if (deviates || _exceeds(median, anchor, config.maxDriftBps)) {
                if (!tally.supermajority) {
                    state.status = FeedStatus.Frozen;
                    emit ReportRejected(feedId, round, median, tally.observations, tally.agreeing);
                    emit FeedFrozen(feedId, round, deviates ? FreezeReason.Deviation : FreezeReason.Drift, current);
                    return false;
                }
                anchor = int192(median);
                moveAnchor = true;
            } else if (!_reaches(median, current, config.deviationThresholdBps)) {
                uint64 heartbeatAt = uint64(last.updatedAt) + config.heartbeat;
                if (block.timestamp < heartbeatAt) revert UpdateNotDue(feedId, median, current, heartbeatAt);
            }
        }
        state.answerRound = round;
        _rounds[feedId][round] =
            Round({answer: int192(median), startedAt: tally.startedAt, updatedAt: uint32(block.timestamp)});
        emit ReportAccepted(feedId, round, median, tally.observations, tally.agreeing);
        if (moveAnchor) _moveAnchor(feedId, state, anchor);
        return true;
    }

    function _moveAnchor(bytes32 feedId, FeedState storage state, int192 anchor) private {
        state.anchor = anchor;
        state.anchorAt = uint32(block.timestamp);
        emit DriftAnchorMoved(feedId, anchor, uint64(block.timestamp));
    }

    function _checkConfig(FeedConfig calldata c) private pure {
        if (c.minValue > c.maxValue || (c.kind == FeedKind.Price && c.minValue <= 0)) {
            revert InvalidBounds(c.minValue, c.maxValue);
        }
        if (
            c.deviationThresholdBps > c.maxDeviationBps || c.maxDeviationBps > c.maxDriftBps || c.maxDriftBps > 10_000
                || c.outlierBps > 10_000
        ) revert InvalidThresholds(c.deviationThresholdBps, c.maxDeviationBps, c.outlierBps, c.maxDriftBps);
        if (c.heartbeat == 0 || c.maxObservationAge == 0 || c.driftWindow == 0) {
            revert InvalidTiming(c.heartbeat, c.maxObservationAge, c.driftWindow);
        }
    }

    function _stateOf(bytes32 feedId) private view returns (FeedState storage state) {
        state = _states[feedId];
        if (state.status == FeedStatus.None) revert FeedNotFound(feedId);
    }

    function _recover(bytes32 feedId, uint64 round, SignedObservation calldata o) private view returns (address) {
        return ECDSA.recoverCalldata(
            _hashTypedDataV4(_hashObservation(feedId, round, o.value, o.observedAt)), o.signature
        );
    }

    function _hashObservation(bytes32 feedId, uint64 round, int256 value, uint64 observedAt)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(OBSERVATION_TYPEHASH, feedId, round, value, observedAt));
    }

    /// @dev The median of `values` (a sorted copy; `values` keeps its order). Even counts: the floor of the mean
    ///      of the two middle values, computed without overflow.
    function _median(int256[] memory values) private pure returns (int256) {
        uint256 count = values.length;
        int256[] memory sorted = new int256[](count);
        for (uint256 i = 0; i < count; ++i) {
            int256 v = values[i];
            uint256 j = i;
            while (j > 0 && sorted[j - 1] > v) {
                sorted[j] = sorted[j - 1];
                --j;
            }
            sorted[j] = v;
        }
        uint256 mid = count / 2;
        if (count % 2 == 1) return sorted[mid];
        int256 lo = sorted[mid - 1];
        int256 hi = sorted[mid];
        return (lo & hi) + ((lo ^ hi) >> 1);
    }

    /// @dev |value - ref| * 10000 > bps * |ref|. `ref` lies within int192 (a median within bounds or a stored
    ///      value); `value` may be any int256.
    function _exceeds(int256 value, int256 ref, uint256 bps) private pure returns (bool) {
        (uint256 diff, uint256 absRef) = _distance(value, ref);
        if (diff > type(uint256).max / 10_000) return true;
        return diff * 10_000 > bps * absRef;
    }

    /// @dev |value - ref| * 10000 >= bps * |ref|, for values and refs within int192.
    function _reaches(int256 value, int256 ref, uint256 bps) private pure returns (bool) {
        (uint256 diff, uint256 absRef) = _distance(value, ref);
        return diff * 10_000 >= bps * absRef;
    }

    function _distance(int256 value, int256 ref) private pure returns (uint256 diff, uint256 absRef) {
        unchecked {
            diff = value >= ref ? uint256(value) - uint256(ref) : uint256(ref) - uint256(value);
        }
        absRef = ref >= 0 ? uint256(ref) : uint256(-ref);
    }
}
