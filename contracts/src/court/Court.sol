// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IArbitrator, IArbitrable} from "./IArbitrator.sol";
import {SortitionTree} from "./SortitionTree.sol";
import {RandomnessBeacon} from "./RandomnessBeacon.sol";

/// @title Court
/// @notice A Kleros-style jury court implementing {IArbitrator}, with fees in the payment token and juror stakes
///         in the network token.
///
///         Jurors {stake} the network token (at least `minStake`) and are drawn stake-weighted through a
///         {SortitionTree}, with randomness from a {RandomnessBeacon} round fixed when the dispute (or an appeal
///         round) is created: the beacon's {RandomnessBeacon-nextRound}, whose commit window has not started yet.
///         While any round waits for its draw, stake changes are delayed (queued, applied by
///         {executeDelayedStakes} or automatically when the last pending draw completes), so weight bought after
///         a dispute was filed cannot be drawn in it. Each draw locks `minStake * alphaBps / 10000` of the
///         juror's stake until the dispute's rewards are executed; a juror whose free stake is too small is
///         skipped. Slashing lowers a juror's drawable stake at once, even while draws are pending (it can only
///         remove weight).
///
///         Each round runs through the periods evidence → commit → reveal → appeal, then the dispute either
///         starts a new round (evidence again) or moves to execution; {passPeriod} moves on when the period's time
///         is up (or, for commit and reveal, once every drawn juror acted; evidence also needs the draw done).
///         Jurors commit `keccak256(abi.encode(choice, salt, juror, disputeId, round))` once per round (a juror
///         drawn k times casts k votes with one commitment) and reveal it.
///
///         Ruling: the plurality of revealed votes, weighted by draw count; a tie (or no reveal at all) rules 0,
///         "refused to arbitrate". Coherence is judged against the dispute's final ruling in every round: jurors
///         who did not reveal, or revealed another choice, lose their locked stake; coherent jurors share the
///         round's fees (payment token) and those penalties (network token) pro rata to their coherent votes;
///         rounding dust, and everything when nobody was coherent, goes to the treasury. Money moves by pull
///         ({withdraw}, {withdrawAppealContribution}).
///
///         Appeals are crowdfunded during the appeal period: each side raises {appealCost} (the fee of a round of
///         2n + 1 jurors). At the end of the period, two or more fully funded sides start a new round (its fee
///         taken from the pool); exactly one fully funded side wins outright; none leaves the ruling standing.
///         When a new round was funded, the contributors of the final ruling's side share what the pool has left
///         after the fee pro rata to their contributions (if the final ruling's side was not funded, every funded
///         contributor shares it); without a new round, and for sides not fully funded, contributions are
///         refunded in full.
contract Court is IArbitrator, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SortitionTree for SortitionTree.Tree;

    /// @notice A round's phases.
    enum Period {
        Evidence,
        Commit,
        Reveal,
        Appeal,
        Execution
    }

    /// @notice The court's parameters.
    struct Parameters {
        /// Least stake a juror may hold (network token); 0 leaves the court.
        uint256 minStake;
        /// Fee per juror vote (payment token).
        uint256 feePerJuror;
        /// Share of `minStake` each draw locks, in basis points.
        uint16 alphaBps;
        /// Jurors (votes) of a first round.
        uint32 initialJurors;
        /// Most rounds a dispute may have.
        uint32 maxRounds;
        /// Most delayed stake changes applied automatically when the last pending draw completes.
        uint32 delayedBatch;
        /// Evidence period (s).
        uint64 evidencePeriod;
        /// Commit period (s).
        uint64 commitPeriod;
        /// Reveal period (s).
        uint64 revealPeriod;
        /// Appeal period (s).
        uint64 appealPeriod;
    }

    /// @dev A dispute.
    struct Dispute {
        address arbitrable;
        Period period;
        bool ruled;
        uint64 lastPeriodChange;
        uint32 rounds;
        uint256 choices;
        uint256 ruling;
    }

    /// @dev A juror's vote in one round.
    struct Vote {
        uint32 draws;
        bool revealed;
        uint256 choice;
        bytes32 commitment;
    }

    /// @dev One round of a dispute.
    struct Round {
        uint64 beaconRound;
        uint32 votes;
        uint32 drawn;
        uint32 commits;
        uint32 reveals;
        uint32 rewardIndex;
        uint32 fundedSides;
        bool tied;
        bool appealed;
        bool rewardsDone;
        uint256 drawNonce;
        uint256 fees;
        uint256 lockPerDraw;
        uint256 winning;
        uint256 winningVotes;
        uint256 appealCost;
        uint256 totalFunded;
        uint256 fundedChoice;
        uint256 paidFees;
        uint256 paidTokens;
        address[] jurors;
        mapping(address juror => Vote) vote;
        mapping(uint256 choice => uint256) count;
        mapping(uint256 choice => uint256) raised;
        mapping(uint256 choice => mapping(address contributor => uint256)) contribution;
    }

    /// @dev A juror's stake: `staked` is in the tree, `held` is what the court holds for it, `target` is `staked`
    ///      after queued changes, `locked` is what active draws hold.
    struct Juror {
        uint256 staked;
        uint256 locked;
        uint256 target;
        uint256 held;
        bool queued;
    }

    /// @notice Most options a dispute may have.
    uint256 public constant MAX_CHOICES = 2 ** 32;

    /// @notice The payment token fees and appeals are paid in.
    IERC20 private immutable _feeToken;
    /// @notice The network token jurors stake.
    IERC20 public immutable stakeToken;
    /// @notice The randomness beacon draws read.
    RandomnessBeacon public immutable beacon;

    /// @notice Receives fees and penalties nobody coherent earned, and rounding dust.
    address public treasury;
    /// @notice Rounds waiting for their draw; while non-zero, stake changes are delayed.
    uint256 public pendingDraws;
    /// @notice Number of disputes created (ids run from 1).
    uint256 public disputeCount;

    Parameters private _params;
    SortitionTree.Tree private _tree;
    mapping(address juror => Juror) private _jurors;
    mapping(uint256 disputeId => Dispute) private _disputes;
    mapping(uint256 disputeId => mapping(uint256 round => Round)) private _rounds;
    mapping(address account => uint256) private _feeBalance;
    mapping(address account => uint256) private _tokenBalance;
    address[] private _delayed;
    uint256 private _delayedNext;

    /// @notice `juror`'s stake in the sortition tree is now `stake`.
    event StakeSet(address indexed juror, uint256 stake);
    /// @notice `juror` asked for stake `target` while draws are pending; it applies later.
    event StakeDelayed(address indexed juror, uint256 target);
    /// @notice `count` delayed stake changes were applied.
    event DelayedStakesExecuted(uint256 count);
    /// @notice Round `round` of `disputeId` needs `votes` votes drawn with randomness of `beaconRound`.
    event NewRound(uint256 indexed disputeId, uint256 round, uint256 votes, uint256 beaconRound);
    /// @notice The beacon round of `round` ended without randomness; the draw now waits for `newBeaconRound`.
    event BeaconRoundMoved(uint256 indexed disputeId, uint256 round, uint256 oldBeaconRound, uint256 newBeaconRound);
    /// @notice `juror` was drawn for vote `voteIndex` of `round`.
    event Draw(address indexed juror, uint256 indexed disputeId, uint256 round, uint256 voteIndex);
    /// @notice `juror` came up but lacked free stake; drawing went on.
    event DrawSkipped(address indexed juror, uint256 indexed disputeId, uint256 round);
    /// @notice `disputeId` entered `period`.
    event NewPeriod(uint256 indexed disputeId, Period period);
    /// @notice `party` submitted evidence whose file (stored off chain by CID) has sha2-256 `cidDigest`.
    event EvidenceSubmitted(uint256 indexed disputeId, address indexed party, bytes32 cidDigest);
    /// @notice `juror` committed its vote.
    event VoteCommitted(uint256 indexed disputeId, uint256 round, address indexed juror, bytes32 commitment);
    /// @notice `juror` revealed `choice` carrying `votes` votes.
    event VoteRevealed(uint256 indexed disputeId, uint256 round, address indexed juror, uint256 choice, uint256 votes);
    /// @notice `round` ended with `ruling` (0: tie or no vote).
    event RoundRuling(uint256 indexed disputeId, uint256 round, uint256 ruling);
    /// @notice `contributor` put `amount` towards appealing for `choice`.
    event AppealContribution(
        uint256 indexed disputeId, uint256 round, uint256 choice, address indexed contributor, uint256 amount
    );
    /// @notice `choice`'s side raised the full appeal cost.
    event AppealSideFunded(uint256 indexed disputeId, uint256 round, uint256 choice);
    /// @notice The appeal period of `round` ended with `fundedSides` funded sides; the ruling is `ruling`.
    event AppealDecided(uint256 indexed disputeId, uint256 round, uint256 fundedSides, uint256 ruling);
    /// @notice `ruling` was delivered to the arbitrable.
    event RulingExecuted(uint256 indexed disputeId, address indexed arbitrable, uint256 ruling);
    /// @notice Coherent `juror` earned `fees` (payment token) and `tokens` (network token); its lock was released.
    event JurorRewarded(
        uint256 indexed disputeId, uint256 round, address indexed juror, uint256 fees, uint256 tokens
    );
    /// @notice `juror` lost its locked `amount`.
    event JurorPenalized(uint256 indexed disputeId, uint256 round, address indexed juror, uint256 amount);
    /// @notice The treasury was credited what nobody earned in `round`.
    event TreasuryCredited(uint256 indexed disputeId, uint256 round, uint256 fees, uint256 tokens);
    /// @notice `contributor` withdrew `amount` of its appeal contribution (and reward).
    event AppealContributionWithdrawn(
        uint256 indexed disputeId, uint256 round, uint256 choice, address indexed contributor, uint256 amount
    );
    /// @notice `account` withdrew `fees` (payment token) and `tokens` (network token).
    event Withdrawn(address indexed account, uint256 fees, uint256 tokens);
    /// @notice The parameters changed.
    event ParametersChanged(Parameters params);
    /// @notice The treasury changed.
    event TreasuryChanged(address treasury);

    /// @notice No dispute `disputeId`.
    error CourtUnknownDispute(uint256 disputeId);
    /// @notice `disputeId` is in `period`, which does not allow this.
    error CourtWrongPeriod(uint256 disputeId, Period period);
    /// @notice The current period of `disputeId` has time left.
    error CourtPeriodNotOver(uint256 disputeId, Period period);
    /// @notice The round still waits for `missing` votes to be drawn.
    error CourtDrawIncomplete(uint256 disputeId, uint256 missing);
    /// @notice Every vote of the round is drawn.
    error CourtDrawComplete(uint256 disputeId, uint256 round);
    /// @notice The beacon round `beaconRound` has no randomness yet.
    error CourtRandomnessNotReady(uint256 disputeId, uint256 beaconRound);
    /// @notice Nobody is staked.
    error CourtNoJurors();
    /// @notice A dispute needs 2 to {MAX_CHOICES} options.
    error CourtInvalidChoices(uint256 choices);
    /// @notice `choice` is not an option of `disputeId`.
    error CourtInvalidChoice(uint256 disputeId, uint256 choice);
    /// @notice An amount of zero.
    error CourtZeroAmount();
    /// @notice A stake of `stake` is below the minimum `minStake`.
    error CourtBelowMinStake(uint256 stake, uint256 minStake);
    /// @notice Unstaking `amount` exceeds the stake `stake`.
    error CourtInsufficientStake(uint256 stake, uint256 amount);
    /// @notice The stake would fall to `remaining`, under `locked` held by active draws.
    error CourtStakeLocked(address juror, uint256 locked, uint256 remaining);
    /// @notice `juror` was not drawn in `round`.
    error CourtNotDrawn(uint256 disputeId, uint256 round, address juror);
    /// @notice `juror` already committed in `round`.
    error CourtAlreadyCommitted(uint256 disputeId, uint256 round, address juror);
    /// @notice `juror` did not commit in `round`.
    error CourtNotCommitted(uint256 disputeId, uint256 round, address juror);
    /// @notice `juror` already revealed in `round`.
    error CourtAlreadyRevealed(uint256 disputeId, uint256 round, address juror);
    /// @notice The revealed vote does not match `juror`'s commitment.
    error CourtCommitmentMismatch(uint256 disputeId, uint256 round, address juror);
    /// @notice The zero commitment.
    error CourtZeroCommitment();
    /// @notice The appeal period is over.
    error CourtAppealPeriodOver(uint256 disputeId);
    /// @notice `disputeId` reached the most rounds.
    error CourtMaxRoundsReached(uint256 disputeId, uint256 maxRounds);
    /// @notice `choice`'s side is already fully funded.
    error CourtSideFunded(uint256 disputeId, uint256 round, uint256 choice);
    /// @notice The ruling was already delivered.
    error CourtAlreadyExecuted(uint256 disputeId);
    /// @notice No round `round` in `disputeId`.
    error CourtUnknownRound(uint256 disputeId, uint256 round);
    /// @notice The rewards of `round` were already executed.
    error CourtRewardsDone(uint256 disputeId, uint256 round);
    /// @notice Nothing to withdraw.
    error CourtNothingToWithdraw(address account);
    /// @notice Delayed stakes wait while rounds wait for their draw.
    error CourtDrawsPending(uint256 pendingDraws);
    /// @notice A parameter is out of range.
    error CourtInvalidParameters();
    /// @notice The zero address where an address is needed.
    error CourtZeroAddress();

    /// @param admin Receives DEFAULT_ADMIN_ROLE (governance later).
    /// @param feeToken_ The payment token.
    /// @param stakeToken_ The network token.
    /// @param beacon_ The randomness beacon.
    /// @param treasury_ The treasury.
    /// @param params The parameters.
    constructor(
        address admin,
        IERC20 feeToken_,
        IERC20 stakeToken_,
        RandomnessBeacon beacon_,
        address treasury_,
        Parameters memory params
    ) {
        if (
            admin == address(0) || treasury_ == address(0) || address(feeToken_) == address(0)
                || address(stakeToken_) == address(0) || address(beacon_) == address(0)
        ) revert CourtZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _feeToken = feeToken_;
        stakeToken = stakeToken_;
        beacon = beacon_;
        treasury = treasury_;
        _setParameters(params);
    }

    // ------------------------------------------------------------------ staking

    /// @notice Adds `amount` network tokens to the sender's stake (approve first). The total must reach `minStake`.
    ///         Applied at once, or delayed while draws are pending ({StakeDelayed}).
    /// @param amount Amount in base units.
    function stake(uint256 amount) external nonReentrant {
        if (amount == 0) revert CourtZeroAmount();
        Juror storage j = _jurors[msg.sender];
        uint256 target = j.target + amount;
        if (target < _params.minStake) revert CourtBelowMinStake(target, _params.minStake);
        j.target = target;
        j.held += amount;
        uint256 refund = _setOrQueue(msg.sender, j);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
        if (refund > 0) stakeToken.safeTransfer(msg.sender, refund);
    }

    /// @notice Takes `amount` out of the sender's stake. What remains must cover its locked stake and be 0 or at
    ///         least `minStake`. Paid at once, or when the delayed change applies (then through {withdraw}).
    /// @param amount Amount in base units.
    function unstake(uint256 amount) external nonReentrant {
        Juror storage j = _jurors[msg.sender];
        uint256 current = j.target;
        if (amount == 0) revert CourtZeroAmount();
        if (amount > current) revert CourtInsufficientStake(current, amount);
        uint256 target = current - amount;
        if (target < j.locked) revert CourtStakeLocked(msg.sender, j.locked, target);
        if (target != 0 && target < _params.minStake) revert CourtBelowMinStake(target, _params.minStake);
        j.target = target;
        uint256 refund = _setOrQueue(msg.sender, j);
        if (refund > 0) stakeToken.safeTransfer(msg.sender, refund);
    }

    /// @notice Applies up to `count` delayed stake changes (anyone, once no draw is pending). Tokens freed by
    ///         decreases are credited for {withdraw}.
    /// @param count Most changes to apply.
    function executeDelayedStakes(uint256 count) external nonReentrant {
        if (pendingDraws != 0) revert CourtDrawsPending(pendingDraws);
        _executeDelayed(count);
    }

    // ------------------------------------------------------------------ disputes

    /// @inheritdoc IArbitrator
    function createDispute(uint256 choices, bytes calldata) external nonReentrant returns (uint256 disputeId) {
        if (choices < 2 || choices > MAX_CHOICES) revert CourtInvalidChoices(choices);
        uint256 cost = _params.feePerJuror * _params.initialJurors;
        disputeId = ++disputeCount;
        Dispute storage d = _disputes[disputeId];
        d.arbitrable = msg.sender;
        d.choices = choices;
        d.lastPeriodChange = uint64(block.timestamp);
        emit DisputeCreation(disputeId, IArbitrable(msg.sender));
        _newRound(disputeId, d, _params.initialJurors, cost);
        _feeToken.safeTransferFrom(msg.sender, address(this), cost);
    }

    /// @notice Records evidence on `disputeId` (anyone, before execution): the file is stored off chain by CID,
    ///         `cidDigest` is its sha2-256.
    /// @param disputeId The dispute.
    /// @param cidDigest sha2-256 of the evidence file.
    function submitEvidence(uint256 disputeId, bytes32 cidDigest) external {
        Dispute storage d = _dispute(disputeId);
        if (d.period == Period.Execution) revert CourtWrongPeriod(disputeId, d.period);
        emit EvidenceSubmitted(disputeId, msg.sender, cidDigest);
    }

    /// @notice Draws up to `iterations` jurors for the current round of `disputeId` (anyone, evidence period),
    ///         once its beacon round's randomness is available. A juror without enough free stake is skipped (the
    ///         iteration still counts). If the beacon round ended without randomness, the round moves to the
    ///         beacon's next round instead and nobody is drawn.
    /// @param disputeId The dispute.
    /// @param iterations Most draws to try.
    /// @return drawn Votes drawn by this call.
    function draw(uint256 disputeId, uint256 iterations) external nonReentrant returns (uint256 drawn) {
        Dispute storage d = _dispute(disputeId);
        if (d.period != Period.Evidence) revert CourtWrongPeriod(disputeId, d.period);
        uint256 r = d.rounds - 1;
        Round storage rd = _rounds[disputeId][r];
        if (rd.drawn == rd.votes) revert CourtDrawComplete(disputeId, r);
        uint256 b = rd.beaconRound;
        if (!beacon.isAvailable(b)) {
            if (!beacon.hasFailed(b)) revert CourtRandomnessNotReady(disputeId, b);
            uint256 next = beacon.nextRound();
            rd.beaconRound = uint64(next);
            emit BeaconRoundMoved(disputeId, r, b, next);
            return 0;
        }
        if (_tree.total() == 0) revert CourtNoJurors();
        drawn = _drawJurors(disputeId, r, rd, beacon.randomness(b), iterations);
        if (rd.drawn == rd.votes) {
            uint256 pending = pendingDraws - 1;
            pendingDraws = pending;
            if (pending == 0) _executeDelayed(_params.delayedBatch);
        }
    }

    /// @notice Moves `disputeId` to its next period once the current one's time is up (anyone). Evidence also
    ///         needs the draw complete; commit and reveal end early once every drawn juror acted. Leaving the
    ///         reveal period fixes the round's ruling; leaving the appeal period starts a new round or ends the
    ///         dispute (see the contract's notice).
    /// @param disputeId The dispute.
    function passPeriod(uint256 disputeId) external {
        Dispute storage d = _dispute(disputeId);
        Period p = d.period;
        uint256 r = d.rounds - 1;
        Round storage rd = _rounds[disputeId][r];
        uint256 elapsed = block.timestamp - d.lastPeriodChange;
        if (p == Period.Evidence) {
            if (rd.drawn < rd.votes) revert CourtDrawIncomplete(disputeId, rd.votes - rd.drawn);
            if (elapsed < _params.evidencePeriod) revert CourtPeriodNotOver(disputeId, p);
            d.period = Period.Commit;
        } else if (p == Period.Commit) {
            if (elapsed < _params.commitPeriod && rd.commits < rd.jurors.length) {
                revert CourtPeriodNotOver(disputeId, p);
            }
            d.period = Period.Reveal;
        } else if (p == Period.Reveal) {
            if (elapsed < _params.revealPeriod && rd.reveals < rd.jurors.length) {
                revert CourtPeriodNotOver(disputeId, p);
            }
            uint256 ruling = (rd.winningVotes == 0 || rd.tied) ? 0 : rd.winning;
            d.ruling = ruling;
            rd.appealCost = _params.feePerJuror * (2 * uint256(rd.votes) + 1);
            emit RoundRuling(disputeId, r, ruling);
            d.period = Period.Appeal;
        } else if (p == Period.Appeal) {
            if (elapsed < _params.appealPeriod) revert CourtPeriodNotOver(disputeId, p);
            if (rd.fundedSides >= 2) {
                rd.appealed = true;
                emit AppealDecided(disputeId, r, rd.fundedSides, d.ruling);
                d.period = Period.Evidence;
                _newRound(disputeId, d, 2 * rd.votes + 1, rd.appealCost);
            } else {
                if (rd.fundedSides == 1) d.ruling = rd.fundedChoice;
                emit AppealDecided(disputeId, r, rd.fundedSides, d.ruling);
                d.period = Period.Execution;
            }
        } else {
            revert CourtWrongPeriod(disputeId, p);
        }
        d.lastPeriodChange = uint64(block.timestamp);
        emit NewPeriod(disputeId, d.period);
    }

    /// @notice Commits the sender's vote in the current round of `disputeId` (commit period, drawn jurors, once
    ///         per round): `commitment = keccak256(abi.encode(choice, salt, juror, disputeId, round))`, see
    ///         {commitmentOf}.
    /// @param disputeId The dispute.
    /// @param commitment The commitment.
    function commit(uint256 disputeId, bytes32 commitment) external {
        Dispute storage d = _dispute(disputeId);
        if (d.period != Period.Commit) revert CourtWrongPeriod(disputeId, d.period);
        if (commitment == bytes32(0)) revert CourtZeroCommitment();
        uint256 r = d.rounds - 1;
        Round storage rd = _rounds[disputeId][r];
        Vote storage v = rd.vote[msg.sender];
        if (v.draws == 0) revert CourtNotDrawn(disputeId, r, msg.sender);
        if (v.commitment != bytes32(0)) revert CourtAlreadyCommitted(disputeId, r, msg.sender);
        v.commitment = commitment;
        rd.commits += 1;
        emit VoteCommitted(disputeId, r, msg.sender, commitment);
    }

    /// @notice Reveals the sender's committed vote (reveal period): `choice` (0 to the dispute's options; 0 means
    ///         "refuse") with all of its draws, checked against its commitment.
    /// @param disputeId The dispute.
    /// @param choice The choice committed to.
    /// @param salt The salt committed to.
    function reveal(uint256 disputeId, uint256 choice, bytes32 salt) external {
        Dispute storage d = _dispute(disputeId);
        if (d.period != Period.Reveal) revert CourtWrongPeriod(disputeId, d.period);
        if (choice > d.choices) revert CourtInvalidChoice(disputeId, choice);
        uint256 r = d.rounds - 1;
        Round storage rd = _rounds[disputeId][r];
        Vote storage v = rd.vote[msg.sender];
        if (v.draws == 0) revert CourtNotDrawn(disputeId, r, msg.sender);
        if (v.commitment == bytes32(0)) revert CourtNotCommitted(disputeId, r, msg.sender);
        if (v.revealed) revert CourtAlreadyRevealed(disputeId, r, msg.sender);
        if (commitmentOf(choice, salt, msg.sender, disputeId, r) != v.commitment) {
            revert CourtCommitmentMismatch(disputeId, r, msg.sender);
        }
        v.revealed = true;
        v.choice = choice;
        rd.reveals += 1;
        uint256 c = rd.count[choice] + v.draws;
        rd.count[choice] = c;
        if (c > rd.winningVotes) {
            rd.winning = choice;
            rd.winningVotes = c;
            rd.tied = false;
        } else if (c == rd.winningVotes && choice != rd.winning) {
            rd.tied = true;
        }
        emit VoteRevealed(disputeId, r, msg.sender, choice, v.draws);
    }

    /// @notice Puts up to `amount` payment tokens towards appealing for `choice` (appeal period; approve first).
    ///         Only what the side still lacks of {appealCost} is taken.
    /// @param disputeId The dispute.
    /// @param choice The side (1 to the dispute's options).
    /// @param amount Most to contribute.
    /// @return taken What was taken.
    function fundAppeal(uint256 disputeId, uint256 choice, uint256 amount)
        external
        nonReentrant
        returns (uint256 taken)
    {
        Dispute storage d = _dispute(disputeId);
        if (d.period != Period.Appeal) revert CourtWrongPeriod(disputeId, d.period);
        if (block.timestamp >= d.lastPeriodChange + _params.appealPeriod) revert CourtAppealPeriodOver(disputeId);
        if (d.rounds >= _params.maxRounds) revert CourtMaxRoundsReached(disputeId, _params.maxRounds);
        if (choice == 0 || choice > d.choices) revert CourtInvalidChoice(disputeId, choice);
        uint256 r = d.rounds - 1;
        Round storage rd = _rounds[disputeId][r];
        uint256 cost = rd.appealCost;
        uint256 raised = rd.raised[choice];
        if (raised >= cost) revert CourtSideFunded(disputeId, r, choice);
        taken = amount < cost - raised ? amount : cost - raised;
        if (taken == 0) revert CourtZeroAmount();
        rd.raised[choice] = raised + taken;
        rd.contribution[choice][msg.sender] += taken;
        emit AppealContribution(disputeId, r, choice, msg.sender, taken);
        if (raised + taken == cost) {
            rd.fundedSides += 1;
            rd.fundedChoice = choice;
            rd.totalFunded += cost;
            emit AppealSideFunded(disputeId, r, choice);
        }
        _feeToken.safeTransferFrom(msg.sender, address(this), taken);
    }

    /// @notice Pays the sender's appeal contribution to `choice` in `round` back, with its reward (execution
    ///         period; see the contract's notice for who gets what).
    /// @param disputeId The dispute.
    /// @param round The round whose appeal was funded.
    /// @param choice The side contributed to.
    /// @return amount What was paid.
    function withdrawAppealContribution(uint256 disputeId, uint256 round, uint256 choice)
        external
        nonReentrant
        returns (uint256 amount)
    {
        Dispute storage d = _dispute(disputeId);
        if (d.period != Period.Execution) revert CourtWrongPeriod(disputeId, d.period);
        if (round >= d.rounds) revert CourtUnknownRound(disputeId, round);
        amount = appealRefundOf(disputeId, round, choice, msg.sender);
        if (amount == 0) revert CourtNothingToWithdraw(msg.sender);
        _rounds[disputeId][round].contribution[choice][msg.sender] = 0;
        emit AppealContributionWithdrawn(disputeId, round, choice, msg.sender, amount);
        _feeToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Delivers the final ruling to the arbitrable (anyone, execution period, once).
    /// @param disputeId The dispute.
    function executeRuling(uint256 disputeId) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        if (d.period != Period.Execution) revert CourtWrongPeriod(disputeId, d.period);
        if (d.ruled) revert CourtAlreadyExecuted(disputeId);
        d.ruled = true;
        uint256 ruling = d.ruling;
        address arbitrable = d.arbitrable;
        emit RulingExecuted(disputeId, arbitrable, ruling);
        IArbitrable(arbitrable).rule(disputeId, ruling);
    }

    /// @notice Settles up to `count` more jurors of `round` (anyone, execution period): releases coherent
    ///         jurors' locks and credits their rewards, slashes the others' locked stake; after the last juror, the
    ///         treasury is credited what is left.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @param count Most jurors to settle.
    function executeRewards(uint256 disputeId, uint256 round, uint256 count) external nonReentrant {
        Dispute storage d = _dispute(disputeId);
        if (d.period != Period.Execution) revert CourtWrongPeriod(disputeId, d.period);
        if (round >= d.rounds) revert CourtUnknownRound(disputeId, round);
        Round storage rd = _rounds[disputeId][round];
        if (rd.rewardsDone) revert CourtRewardsDone(disputeId, round);
        uint256 ruling = d.ruling;
        uint256 coherent = rd.count[ruling];
        uint256 pot = (rd.drawn - coherent) * rd.lockPerDraw;
        uint256 i = rd.rewardIndex;
        uint256 n = rd.jurors.length;
        uint256 end = count < n - i ? i + count : n;
        for (; i < end; ++i) {
            _settle(disputeId, round, rd, rd.jurors[i], ruling, coherent, pot);
        }
        rd.rewardIndex = uint32(end);
        if (end == n) {
            rd.rewardsDone = true;
            uint256 fees = rd.fees - rd.paidFees;
            uint256 tokens = pot - rd.paidTokens;
            _feeBalance[treasury] += fees;
            _tokenBalance[treasury] += tokens;
            emit TreasuryCredited(disputeId, round, fees, tokens);
        }
    }

    /// @notice Pays the sender its credited fees (payment token) and tokens (network token: rewards and delayed
    ///         unstakes).
    function withdraw() external nonReentrant {
        uint256 fees = _feeBalance[msg.sender];
        uint256 tokens = _tokenBalance[msg.sender];
        if (fees == 0 && tokens == 0) revert CourtNothingToWithdraw(msg.sender);
        _feeBalance[msg.sender] = 0;
        _tokenBalance[msg.sender] = 0;
        emit Withdrawn(msg.sender, fees, tokens);
        if (fees > 0) _feeToken.safeTransfer(msg.sender, fees);
        if (tokens > 0) stakeToken.safeTransfer(msg.sender, tokens);
    }

    // ------------------------------------------------------------------ admin

    /// @notice Changes the parameters (DEFAULT_ADMIN_ROLE). Rounds already created keep their fee and lock.
    /// @param params The new parameters.
    function setParameters(Parameters calldata params) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParameters(params);
    }

    /// @notice Changes the treasury (DEFAULT_ADMIN_ROLE).
    /// @param treasury_ The new treasury.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert CourtZeroAddress();
        treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IArbitrator
    function arbitrationCost(bytes calldata) external view returns (uint256 cost) {
        return _params.feePerJuror * _params.initialJurors;
    }

    /// @inheritdoc IArbitrator
    function feeToken() external view returns (IERC20) {
        return _feeToken;
    }

    /// @inheritdoc IArbitrator
    function currentRuling(uint256 disputeId) external view returns (uint256 ruling, bool isFinal) {
        Dispute storage d = _dispute(disputeId);
        return (d.ruling, d.ruled);
    }

    /// @notice What each side must raise to appeal the current round of `disputeId`: the fee of a round with
    ///         2n + 1 jurors.
    /// @param disputeId The dispute.
    /// @return The cost, in payment-token base units.
    function appealCost(uint256 disputeId) external view returns (uint256) {
        Dispute storage d = _dispute(disputeId);
        Round storage rd = _rounds[disputeId][d.rounds - 1];
        if (d.period == Period.Appeal) return rd.appealCost;
        return _params.feePerJuror * (2 * uint256(rd.votes) + 1);
    }

    /// @notice The parameters.
    /// @return The parameters.
    function parameters() external view returns (Parameters memory) {
        return _params;
    }

    /// @notice A dispute.
    /// @param disputeId The dispute.
    /// @return arbitrable Who created it.
    /// @return period Its period.
    /// @return ruled Whether the ruling was delivered.
    /// @return lastPeriodChange When its period started.
    /// @return rounds Its number of rounds.
    /// @return choices Its number of options.
    /// @return ruling Its current ruling.
    function disputeOf(uint256 disputeId)
        external
        view
        returns (
            address arbitrable,
            Period period,
            bool ruled,
            uint64 lastPeriodChange,
            uint256 rounds,
            uint256 choices,
            uint256 ruling
        )
    {
        Dispute storage d = _dispute(disputeId);
        return (d.arbitrable, d.period, d.ruled, d.lastPeriodChange, d.rounds, d.choices, d.ruling);
    }

    /// @notice A round's progress.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @return beaconRound The beacon round its draw uses.
    /// @return votes Votes to draw.
    /// @return drawn Votes drawn.
    /// @return commits Jurors who committed.
    /// @return reveals Jurors who revealed.
    /// @return fees Its fees (payment token).
    /// @return lockPerDraw Stake each draw locks.
    /// @return jurors Its drawn jurors, each once, in order of first draw.
    function roundOf(uint256 disputeId, uint256 round)
        external
        view
        returns (
            uint256 beaconRound,
            uint256 votes,
            uint256 drawn,
            uint256 commits,
            uint256 reveals,
            uint256 fees,
            uint256 lockPerDraw,
            address[] memory jurors
        )
    {
        Round storage rd = _rounds[disputeId][round];
        return (rd.beaconRound, rd.votes, rd.drawn, rd.commits, rd.reveals, rd.fees, rd.lockPerDraw, rd.jurors);
    }

    /// @notice A round's appeal funding.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @return cost What each side must raise.
    /// @return fundedSides Fully funded sides.
    /// @return totalFunded What the fully funded sides raised.
    /// @return appealed Whether it led to a new round.
    /// @return rewardsDone Whether its rewards were executed.
    function appealOf(uint256 disputeId, uint256 round)
        external
        view
        returns (uint256 cost, uint256 fundedSides, uint256 totalFunded, bool appealed, bool rewardsDone)
    {
        Round storage rd = _rounds[disputeId][round];
        return (rd.appealCost, rd.fundedSides, rd.totalFunded, rd.appealed, rd.rewardsDone);
    }

    /// @notice What `choice`'s side raised in `round`, and what `contributor` put in.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @param choice The side.
    /// @param contributor The contributor.
    /// @return raised The side's total.
    /// @return contributed The contributor's part still held.
    function contributionOf(uint256 disputeId, uint256 round, uint256 choice, address contributor)
        external
        view
        returns (uint256 raised, uint256 contributed)
    {
        Round storage rd = _rounds[disputeId][round];
        return (rd.raised[choice], rd.contribution[choice][contributor]);
    }

    /// @notice What {withdrawAppealContribution} would pay `contributor` for `choice` in `round` once the dispute
    ///         is in execution.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @param choice The side.
    /// @param contributor The contributor.
    /// @return The amount.
    function appealRefundOf(uint256 disputeId, uint256 round, uint256 choice, address contributor)
        public
        view
        returns (uint256)
    {
        Round storage rd = _rounds[disputeId][round];
        uint256 c = rd.contribution[choice][contributor];
        if (c == 0 || !rd.appealed || rd.raised[choice] < rd.appealCost) return c;
        uint256 pool = rd.totalFunded - rd.appealCost;
        uint256 ruling = _disputes[disputeId].ruling;
        if (rd.raised[ruling] >= rd.appealCost && ruling != 0) {
            return choice == ruling ? pool * c / rd.appealCost : 0;
        }
        return pool * c / rd.totalFunded;
    }

    /// @notice `juror`'s vote in `round`.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @param juror The juror.
    /// @return draws Times drawn (its votes).
    /// @return commitment Its commitment (0: none).
    /// @return revealed Whether it revealed.
    /// @return choice What it revealed.
    function voteOf(uint256 disputeId, uint256 round, address juror)
        external
        view
        returns (uint256 draws, bytes32 commitment, bool revealed, uint256 choice)
    {
        Vote storage v = _rounds[disputeId][round].vote[juror];
        return (v.draws, v.commitment, v.revealed, v.choice);
    }

    /// @notice Revealed votes for `choice` in `round`.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @param choice The choice.
    /// @return The votes.
    function votesFor(uint256 disputeId, uint256 round, uint256 choice) external view returns (uint256) {
        return _rounds[disputeId][round].count[choice];
    }

    /// @notice `juror`'s stake.
    /// @param juror The juror.
    /// @return staked In the sortition tree (drawable weight).
    /// @return locked Held by active draws.
    /// @return target After delayed changes apply.
    /// @return held Network tokens the court holds for it.
    function jurorOf(address juror)
        external
        view
        returns (uint256 staked, uint256 locked, uint256 target, uint256 held)
    {
        Juror storage j = _jurors[juror];
        return (j.staked, j.locked, j.target, j.held);
    }

    /// @notice What `account` may {withdraw}.
    /// @param account The account.
    /// @return fees Payment tokens.
    /// @return tokens Network tokens.
    function withdrawableOf(address account) external view returns (uint256 fees, uint256 tokens) {
        return (_feeBalance[account], _tokenBalance[account]);
    }

    /// @notice Total drawable stake.
    /// @return The sum of the sortition tree.
    function totalStaked() external view returns (uint256) {
        return _tree.total();
    }

    /// @notice Delayed stake changes not yet applied.
    /// @return The count.
    function delayedStakesPending() external view returns (uint256) {
        return _delayed.length - _delayedNext;
    }

    /// @notice The commitment {commit} expects and {reveal} checks.
    /// @param choice The choice.
    /// @param salt The juror's salt.
    /// @param juror The juror.
    /// @param disputeId The dispute.
    /// @param round The round.
    /// @return keccak256(abi.encode(choice, salt, juror, disputeId, round)).
    function commitmentOf(uint256 choice, bytes32 salt, address juror, uint256 disputeId, uint256 round)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(choice, salt, juror, disputeId, round));
    }

    // ------------------------------------------------------------------ internals

    function _dispute(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.rounds == 0) revert CourtUnknownDispute(disputeId);
    }

    function _setParameters(Parameters memory p) private {
        if (p.minStake == 0 || p.alphaBps > 10_000 || p.initialJurors == 0 || p.maxRounds == 0) {
            revert CourtInvalidParameters();
        }
        _params = p;
        emit ParametersChanged(p);
    }

    function _newRound(uint256 disputeId, Dispute storage d, uint256 votes, uint256 fees) private {
        uint256 r = d.rounds;
        d.rounds = uint32(r + 1);
        Round storage rd = _rounds[disputeId][r];
        uint256 b = beacon.nextRound();
        rd.beaconRound = uint64(b);
        rd.votes = uint32(votes);
        rd.fees = fees;
        rd.lockPerDraw = _params.minStake * _params.alphaBps / 10_000;
        pendingDraws += 1;
        emit NewRound(disputeId, r, votes, b);
    }

    function _drawJurors(uint256 disputeId, uint256 r, Round storage rd, bytes32 seed, uint256 iterations)
        private
        returns (uint256 drawn)
    {
        uint256 nonce = rd.drawNonce;
        uint256 have = rd.drawn;
        uint256 need = rd.votes;
        for (uint256 i; i < iterations && have < need; ++i) {
            address juror = _tree.draw(uint256(keccak256(abi.encode(seed, disputeId, r, nonce))) % _tree.total());
            ++nonce;
            if (_lockDraw(disputeId, r, rd, juror, have)) {
                ++have;
                ++drawn;
            }
        }
        rd.drawNonce = nonce;
        rd.drawn = uint32(have);
    }

    /// @dev Locks one draw's stake of `juror` and records its vote, or skips it when its free stake is short.
    function _lockDraw(uint256 disputeId, uint256 r, Round storage rd, address juror, uint256 voteIndex)
        private
        returns (bool)
    {
        Juror storage j = _jurors[juror];
        uint256 lock = rd.lockPerDraw;
        if (j.staked - j.locked < lock) {
            emit DrawSkipped(juror, disputeId, r);
            return false;
        }
        j.locked += lock;
        Vote storage v = rd.vote[juror];
        if (v.draws == 0) rd.jurors.push(juror);
        v.draws += 1;
        emit Draw(juror, disputeId, r, voteIndex);
        return true;
    }

    function _settle(
        uint256 disputeId,
        uint256 round,
        Round storage rd,
        address juror,
        uint256 ruling,
        uint256 coherent,
        uint256 pot
    ) private {
        Vote storage v = rd.vote[juror];
        uint256 amount = v.draws * rd.lockPerDraw;
        Juror storage j = _jurors[juror];
        j.locked -= amount;
        if (v.revealed && v.choice == ruling) {
            uint256 fees = rd.fees * v.draws / coherent;
            uint256 tokens = pot * v.draws / coherent;
            rd.paidFees += fees;
            rd.paidTokens += tokens;
            _feeBalance[juror] += fees;
            _tokenBalance[juror] += tokens;
            emit JurorRewarded(disputeId, round, juror, fees, tokens);
        } else {
            j.staked -= amount;
            j.held -= amount;
            j.target = j.target > amount ? j.target - amount : 0;
            _tree.set(juror, j.staked);
            emit JurorPenalized(disputeId, round, juror, amount);
        }
    }

    /// @dev Applies `juror`'s target now when no draw is pending, else queues it. Returns tokens freed.
    function _setOrQueue(address juror, Juror storage j) private returns (uint256) {
        if (pendingDraws == 0) return _apply(juror, j);
        if (!j.queued) {
            j.queued = true;
            _delayed.push(juror);
        }
        emit StakeDelayed(juror, j.target);
        return 0;
    }

    /// @dev Moves `juror`'s drawable stake to its target (never under its locked stake) and returns the tokens
    ///      the court no longer holds for it.
    function _apply(address juror, Juror storage j) private returns (uint256 freed) {
        uint256 target = j.target;
        if (target < j.locked) target = j.locked;
        j.target = target;
        j.staked = target;
        freed = j.held - target;
        j.held = target;
        _tree.set(juror, target);
        emit StakeSet(juror, target);
    }

    function _executeDelayed(uint256 count) private {
        uint256 next = _delayedNext;
        uint256 end = _delayed.length;
        if (end - next > count) end = next + count;
        uint256 applied = end - next;
        for (; next < end; ++next) {
            address juror = _delayed[next];
            Juror storage j = _jurors[juror];
            j.queued = false;
            uint256 freed = _apply(juror, j);
            if (freed > 0) _tokenBalance[juror] += freed;
        }
        _delayedNext = end;
        if (applied > 0) emit DelayedStakesExecuted(applied);
    }
}
