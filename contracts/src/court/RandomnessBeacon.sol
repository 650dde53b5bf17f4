// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @title RandomnessBeacon
/// @notice Commit-reveal randomness in back-to-back rounds. Round r opens with a commit window, then a reveal
///         window. Anyone commits `keccak256(abi.encode(secret, contributor))` during the commit window, bonding
///         {bond} network tokens, and reveals `secret` during the reveal window to get the bond back; a bond
///         never revealed is forfeited to the treasury ({forfeit}), so withholding a reveal costs the bond.
///         Once the reveal window is over and at least one secret was revealed, {randomness} is keccak256 of the
///         XOR of the revealed secrets and of the hash of the block of the round's first reveal (a block after
///         the reveal window opened), when a later reveal or {seal} recorded it during the reveal window.
///         A consumer picks {nextRound} (a round whose commit window has not started, so nobody has committed
///         to it yet) and reads {randomness} once it {isAvailable}; a round that {hasFailed} (ended with no
///         reveal) is replaced by a later one.
/// @dev Durations changed by the admin apply from {nextRound} on; rounds already started keep their windows if
///      anyone committed to them (a started round nobody committed to yet is closed).
contract RandomnessBeacon is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @dev A contribution to a round.
    struct Contribution {
        bytes32 commitment;
        uint256 bond;
        bool revealed;
    }

    /// @dev A round's state: its windows (recorded at its first commit), the XOR of revealed secrets and the
    ///      block mixed in.
    struct RoundState {
        uint64 start;
        uint64 commitEnd;
        uint64 revealEnd;
        uint32 commits;
        uint32 reveals;
        uint64 firstRevealBlock;
        bytes32 blockMix;
        bytes32 xorSecrets;
    }

    /// @notice The bond token (the network token).
    IERC20 public immutable bondToken;

    /// @notice Where forfeited bonds go.
    address public treasury;
    /// @notice What a commitment bonds, in bond-token base units (may be 0).
    uint256 public bond;
    /// @notice Length of each round's commit window, in seconds.
    uint64 public commitDuration;
    /// @notice Length of each round's reveal window, in seconds.
    uint64 public revealDuration;
    /// @notice First round of the current schedule.
    uint256 public epochRound;
    /// @notice When {epochRound}'s commit window opens.
    uint64 public epochStart;

    mapping(uint256 round => RoundState) private _rounds;
    mapping(uint256 round => mapping(address contributor => Contribution)) private _contributions;

    /// @notice `contributor` committed to `round` and bonded `bond`.
    event Committed(uint256 indexed round, address indexed contributor, bytes32 commitment, uint256 bond);
    /// @notice `contributor` revealed its secret for `round`; its bond went back.
    event Revealed(uint256 indexed round, address indexed contributor, bytes32 secret);
    /// @notice The hash of `blockNumber` (the round's first reveal block) was mixed into `round`.
    event Sealed(uint256 indexed round, uint256 blockNumber, bytes32 blockHash);
    /// @notice `contributor`'s unrevealed bond of `round` went to `treasury`.
    event BondForfeited(uint256 indexed round, address indexed contributor, address treasury, uint256 bond);
    /// @notice The schedule changed: from `fromRound`, opening at `fromTime`.
    event ScheduleChanged(uint256 fromRound, uint64 fromTime, uint64 commitDuration, uint64 revealDuration);
    /// @notice The bond changed.
    event BondChanged(uint256 bond);
    /// @notice The treasury changed.
    event TreasuryChanged(address treasury);

    /// @notice `round`'s commit window is not open.
    error BeaconNotCommitWindow(uint256 round);
    /// @notice `round`'s reveal window is not open.
    error BeaconNotRevealWindow(uint256 round);
    /// @notice The sender already committed to `round`.
    error BeaconAlreadyCommitted(uint256 round, address contributor);
    /// @notice The sender has no commitment in `round`.
    error BeaconNoCommitment(uint256 round, address contributor);
    /// @notice The sender already revealed in `round`.
    error BeaconAlreadyRevealed(uint256 round, address contributor);
    /// @notice The secret does not open the commitment.
    error BeaconWrongSecret(uint256 round, address contributor);
    /// @notice `round`'s randomness is not available (its reveal window has not ended, or nobody revealed).
    error BeaconRandomnessUnavailable(uint256 round);
    /// @notice `round`'s reveal window has not ended.
    error BeaconRoundNotOver(uint256 round);
    /// @notice Nothing to seal in `round` now (no reveal yet, same block, already sealed or window closed).
    error BeaconNothingToSeal(uint256 round);
    /// @notice A duration was zero.
    error BeaconZeroDuration();
    /// @notice The treasury was the zero address.
    error BeaconZeroTreasury();

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param bondToken_ The bond token.
    /// @param treasury_ Receives forfeited bonds.
    /// @param bond_ Bond per commitment.
    /// @param commitDuration_ Commit window length (s).
    /// @param revealDuration_ Reveal window length (s).
    constructor(
        address admin,
        IERC20 bondToken_,
        address treasury_,
        uint256 bond_,
        uint64 commitDuration_,
        uint64 revealDuration_
    ) {
        if (commitDuration_ == 0 || revealDuration_ == 0) revert BeaconZeroDuration();
        if (treasury_ == address(0)) revert BeaconZeroTreasury();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        bondToken = bondToken_;
        treasury = treasury_;
        bond = bond_;
        commitDuration = commitDuration_;
        revealDuration = revealDuration_;
        epochStart = uint64(block.timestamp);
        emit ScheduleChanged(0, epochStart, commitDuration_, revealDuration_);
    }

    // ------------------------------------------------------------------ schedule

    /// @notice The first round whose commit window has not started yet: its randomness is decided in the future.
    /// @return The round.
    function nextRound() public view returns (uint256) {
        if (block.timestamp < epochStart) return epochRound;
        return epochRound + (block.timestamp - epochStart) / (commitDuration + revealDuration) + 1;
    }

    /// @notice The round whose windows contain now.
    /// @return The round (0 before the first).
    function currentRound() external view returns (uint256) {
        uint256 next = nextRound();
        return next == 0 ? 0 : next - 1;
    }

    /// @notice `round`'s windows: the commit window is [start, commitEnd), the reveal window [commitEnd, revealEnd).
    ///         A past round of an earlier schedule that nobody committed to reports zeros.
    /// @param round The round.
    /// @return start When the commit window opens.
    /// @return commitEnd When the commit window closes and the reveal window opens.
    /// @return revealEnd When the reveal window closes.
    function windows(uint256 round) public view returns (uint64 start, uint64 commitEnd, uint64 revealEnd) {
        RoundState storage state = _rounds[round];
        if (state.commitEnd != 0) {
            return (state.start, state.commitEnd, state.revealEnd);
        }
        if (round < epochRound) return (0, 0, 0);
        start = epochStart + uint64(round - epochRound) * (commitDuration + revealDuration);
        commitEnd = start + commitDuration;
        revealEnd = commitEnd + revealDuration;
    }

    // ------------------------------------------------------------------ contributions

    /// @notice Commits `commitment` = keccak256(abi.encode(secret, msg.sender)) to `round` during its commit window,
    ///         pulling {bond} bond tokens (approve first).
    /// @param round The round.
    /// @param commitment The commitment.
    function commit(uint256 round, bytes32 commitment) external nonReentrant {
        (uint64 start, uint64 commitEnd, uint64 revealEnd) = windows(round);
        if (block.timestamp < start || block.timestamp >= commitEnd) revert BeaconNotCommitWindow(round);
        Contribution storage c = _contributions[round][msg.sender];
        if (c.commitment != bytes32(0)) revert BeaconAlreadyCommitted(round, msg.sender);
        RoundState storage state = _rounds[round];
        if (state.commitEnd == 0) {
            state.start = start;
            state.commitEnd = commitEnd;
            state.revealEnd = revealEnd;
        }
        state.commits += 1;
        uint256 amount = bond;
        c.commitment = commitment;
        c.bond = amount;
        emit Committed(round, msg.sender, commitment, amount);
        if (amount > 0) bondToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Reveals the sender's `secret` for `round` during its reveal window and returns its bond.
    /// @param round The round.
    /// @param secret The secret committed to.
    function reveal(uint256 round, bytes32 secret) external nonReentrant {
        RoundState storage state = _rounds[round];
        if (block.timestamp < state.commitEnd || block.timestamp >= state.revealEnd) {
            revert BeaconNotRevealWindow(round);
        }
        Contribution storage c = _contributions[round][msg.sender];
        if (c.commitment == bytes32(0)) revert BeaconNoCommitment(round, msg.sender);
        if (c.revealed) revert BeaconAlreadyRevealed(round, msg.sender);
        if (keccak256(abi.encode(secret, msg.sender)) != c.commitment) revert BeaconWrongSecret(round, msg.sender);
        c.revealed = true;
        state.reveals += 1;
        state.xorSecrets ^= secret;
        if (state.firstRevealBlock == 0) {
            state.firstRevealBlock = uint64(block.number);
        } else {
            _trySeal(round, state);
        }
        uint256 amount = c.bond;
        emit Revealed(round, msg.sender, secret);
        if (amount > 0) bondToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Mixes the hash of `round`'s first reveal block into it (anyone; during the reveal window, in a
    ///         later block than the first reveal). Reveals after the first one do it too.
    /// @param round The round.
    function seal(uint256 round) external {
        RoundState storage state = _rounds[round];
        if (block.timestamp >= state.revealEnd || !_trySeal(round, state)) revert BeaconNothingToSeal(round);
    }

    /// @notice Sends `contributor`'s unrevealed bond of `round` to the treasury (anyone, after the reveal window).
    /// @param round The round.
    /// @param contributor The contributor who did not reveal.
    function forfeit(uint256 round, address contributor) external nonReentrant {
        RoundState storage state = _rounds[round];
        if (state.revealEnd == 0 || block.timestamp < state.revealEnd) revert BeaconRoundNotOver(round);
        Contribution storage c = _contributions[round][contributor];
        if (c.commitment == bytes32(0) || c.bond == 0) revert BeaconNoCommitment(round, contributor);
        if (c.revealed) revert BeaconAlreadyRevealed(round, contributor);
        uint256 amount = c.bond;
        c.bond = 0;
        address to = treasury;
        emit BondForfeited(round, contributor, to, amount);
        bondToken.safeTransfer(to, amount);
    }

    // ------------------------------------------------------------------ output

    /// @notice Whether `round`'s randomness can be read: its reveal window ended with at least one reveal.
    /// @param round The round.
    /// @return Whether {randomness} returns.
    function isAvailable(uint256 round) public view returns (bool) {
        RoundState storage state = _rounds[round];
        return state.reveals > 0 && block.timestamp >= state.revealEnd;
    }

    /// @notice Whether `round` is over without any reveal (a consumer moves to a later round).
    /// @param round The round.
    /// @return Whether it failed.
    function hasFailed(uint256 round) external view returns (bool) {
        (,, uint64 revealEnd) = windows(round);
        return _rounds[round].reveals == 0 && block.timestamp >= revealEnd;
    }

    /// @notice `round`'s random value: keccak256(abi.encode(XOR of revealed secrets, blockhash of the first reveal
    ///         block or 0 if it was not sealed)). Reverts until {isAvailable}.
    /// @param round The round.
    /// @return The value.
    function randomness(uint256 round) external view returns (bytes32) {
        if (!isAvailable(round)) revert BeaconRandomnessUnavailable(round);
        RoundState storage state = _rounds[round];
        return keccak256(abi.encode(state.xorSecrets, state.blockMix));
    }

    /// @notice `round`'s counters.
    /// @param round The round.
    /// @return commits Number of commitments.
    /// @return reveals Number of reveals.
    /// @return mixed Whether a block hash was mixed in.
    function roundInfo(uint256 round) external view returns (uint256 commits, uint256 reveals, bool mixed) {
        RoundState storage state = _rounds[round];
        return (state.commits, state.reveals, state.blockMix != bytes32(0));
    }

    /// @notice `contributor`'s contribution to `round`.
    /// @param round The round.
    /// @param contributor The contributor.
    /// @return commitment Its commitment (0: none).
    /// @return bonded Its bond still held.
    /// @return revealed Whether it revealed.
    function contributionOf(uint256 round, address contributor)
        external
        view
        returns (bytes32 commitment, uint256 bonded, bool revealed)
    {
        Contribution storage c = _contributions[round][contributor];
        return (c.commitment, c.revealed ? 0 : c.bond, c.revealed);
    }

    /// @notice The commitment of `secret` by `contributor`, as {commit} expects it.
    /// @param secret The secret.
    /// @param contributor The contributor.
    /// @return keccak256(abi.encode(secret, contributor)).
    function commitmentOf(bytes32 secret, address contributor) external pure returns (bytes32) {
        return keccak256(abi.encode(secret, contributor));
    }

    // ------------------------------------------------------------------ admin

    /// @notice Changes the window lengths from {nextRound} on (DEFAULT_ADMIN_ROLE).
    /// @param commitDuration_ Commit window length (s).
    /// @param revealDuration_ Reveal window length (s).
    function setDurations(uint64 commitDuration_, uint64 revealDuration_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (commitDuration_ == 0 || revealDuration_ == 0) revert BeaconZeroDuration();
        uint256 from = nextRound();
        (uint64 start,,) = windows(from);
        epochRound = from;
        epochStart = start;
        commitDuration = commitDuration_;
        revealDuration = revealDuration_;
        emit ScheduleChanged(from, start, commitDuration_, revealDuration_);
    }

    /// @notice Changes the bond of later commitments (DEFAULT_ADMIN_ROLE).
    /// @param bond_ The new bond.
    function setBond(uint256 bond_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        bond = bond_;
        emit BondChanged(bond_);
    }

    /// @notice Changes where forfeited bonds go (DEFAULT_ADMIN_ROLE).
    /// @param treasury_ The new treasury.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (treasury_ == address(0)) revert BeaconZeroTreasury();
        treasury = treasury_;
        emit TreasuryChanged(treasury_);
    }

    function _trySeal(uint256 round, RoundState storage state) private returns (bool) {
        uint256 first = state.firstRevealBlock;
        if (first == 0 || first >= block.number || state.blockMix != bytes32(0)) return false;
        bytes32 hash = blockhash(first);
        if (hash == bytes32(0)) return false;
        state.blockMix = hash;
        emit Sealed(round, first, hash);
        return true;
    }
}
