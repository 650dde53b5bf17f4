// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IArbitrator, IArbitrable} from "../court/IArbitrator.sol";
import {MachineRegistry} from "../vending/MachineRegistry.sol";
import {ReceiptNFT} from "../vending/ReceiptNFT.sol";
import {OracleAggregator} from "../oracle/OracleAggregator.sol";
import {Storefront} from "../vending/Storefront.sol";

/// @title InsurancePool
/// @notice Cover for vending purchases, underwritten by an ERC-4626 vault over the payment token, with claims decided
///         by a Kleros-style court ({IArbitrator}).
///
///         Underwriters deposit the payment token for shares (OpenZeppelin's ERC-4626 with a decimals offset of 6,
///         which makes the first-depositor inflation attack cost the attacker a million times what it takes from the
///         victim). Leaving is a request followed by a cooldown; only capital not backing active cover can leave.
///
///         Cover: the Storefront buys a policy atomically with an order ({openPolicy}); the premium, pulled from the
///         payer, is a function of the machine's risk score (the oracle's risk feed while fresh, else a
///         governance-set score), the cover amount, the cover's duration and the pool's utilisation after the sale
///         ({quotePremium}). Active cover may not exceed capital × `capacityBps` / 10 000. A policy lasts until the
///         order's deadline plus the claim window; the claim window opens when the order is dispensed (the receipt
///         then records the cover, ERC-4906) and the premium is earned. Until then it is unearned: a refunded order
///         cancels its policy and gets the premium back, to the order's buyer, and the pool never spends unearned
///         premiums, so that refund can never fail (and never hold up the Storefront's refund of the price). An
///         order may be placed by a payer for a holder (a cross-chain checkout buying for the buyer on another
///         chain): the holder claims, the payer is refunded.
///
///         Claims: the insured buyer, still holding the receipt when it bought for itself, files a claim with
///         evidence (the sha2-256 of the evidence file, i.e. its CID) and pays the court's fee; never in the block
///         the cover was bought. The claimed cover leaves active cover and becomes a pending liability
///         (underwriters who leave after a claim is filed leave at the price net of it). The court's final ruling
///         pays or rejects. A paid claim lowers the machine's reputation and records an incident for the risk
///         model.
///
///         Drained pool (A3): new cover pauses by itself whenever capital falls below the required capital
///         (`minCapital`, or `minCapitalRatioBps` of active cover if more); capital is net of pending claims and
///         IOUs. Pending claims stay payable. Emergency liquidity ({injectLiquidity} by anyone, e.g. governance or a
///         backstop, paying IOUs first; or a backstop's ordinary deposit) restores it: cover resumes by itself once
///         capital is back above the requirement.
///
///         Graduated payouts: an approved claim is paid `amount × min(1, (balance − unearned premiums) / pending
///         claims)`, so claims pending together are paid the same fraction; the remainder becomes an IOU, queued
///         first in, first out and paid before anything else from premiums as they are earned and from injected
///         liquidity. No claim is paid twice or skipped.
///
///         Accounting: `totalAssets = balance − pending claims − IOUs − unearned premiums` (never below zero);
///         `insolvent` is set whenever the balance does not cover those three.
contract InsurancePool is ERC4626, AccessControl, ReentrancyGuard, IArbitrable {
    using SafeERC20 for IERC20;

    /// @notice Parameters set by governance.
    struct Params {
        /// Active cover may reach capital × capacityBps / 10 000 (above 10 000: leverage).
        uint32 capacityBps;
        /// Required capital, in basis points of active cover (at least `minCapital`).
        uint16 minCapitalRatioBps;
        /// Yearly base rate of cover, in basis points, charged pro rata to the cover's duration.
        uint16 baseRateBps;
        /// Loading on the risk score, in basis points of it (2 000: the premium is 1.2 × the expected loss).
        uint16 loadingBps;
        /// Premium surcharge at full utilisation, in basis points; grows with the square of utilisation.
        uint16 utilizationSlopeBps;
        /// Risk score used when a machine has neither a fresh oracle feed nor a score set by governance (bps).
        uint16 defaultRiskBps;
        /// Reputation a machine loses for each paid claim.
        uint16 reputationPenalty;
        /// Claims may be filed up to this long after the order was dispensed.
        uint32 claimWindow;
        /// Time between a withdrawal request and the withdrawal.
        uint32 withdrawCooldown;
        /// Capital below which new cover pauses, whatever the active cover.
        uint64 minCapital;
    }

    /// @notice Where a policy stands.
    enum PolicyStatus {
        None,
        Active,
        Claimed,
        Cancelled
    }

    /// @notice Where a claim stands.
    enum ClaimStatus {
        None,
        Pending,
        Paid,
        Rejected
    }

    /// @notice Cover bought with an order (the order id is the policy id), as {policyOf} returns it.
    struct Policy {
        address holder;
        PolicyStatus status;
        uint128 cover;
        uint128 premium;
        uint64 expiry;
        uint64 dispensedAt;
        uint64 purchasedBlock;
    }

    /// @dev A policy as stored: two slots.
    struct StoredPolicy {
        address holder;
        uint96 cover;
        uint96 premium;
        uint40 expiry;
        uint40 dispensedAt;
        uint40 purchasedBlock;
        PolicyStatus status;
    }

    /// @notice A claim on a policy.
    struct Claim {
        uint256 orderId;
        uint256 disputeId;
        address claimant;
        ClaimStatus status;
        uint128 amount;
        uint128 paid;
        bytes32 evidenceDigest;
    }

    /// @notice The unpaid remainder of an approved claim.
    struct Iou {
        uint256 claimId;
        uint128 owed;
    }

    /// @notice A pending withdrawal: shares held by the pool until `readyAt`.
    struct WithdrawalRequest {
        uint128 shares;
        uint64 readyAt;
    }

    /// @notice Where a machine's risk score comes from: an oracle risk feed (values with 6 decimals: 10^6 is
    ///         certainty of failure) while fresh, else the score governance set.
    struct RiskSource {
        OracleAggregator aggregator;
        uint32 maxAge;
        uint16 riskBps;
        bytes32 feedId;
    }

    /// @notice Ruling that pays a claim.
    uint256 public constant RULING_PAY = 1;
    /// @notice Ruling that rejects a claim (a tie, ruling 0, rejects as well: the claimant did not convince).
    uint256 public constant RULING_REJECT = 2;
    /// @notice IOUs paid at most per premium, so buying cover stays cheap however long the queue.
    uint256 public constant MAX_IOUS_PER_PREMIUM = 8;
    /// @notice Risk feed values per unit of probability.
    uint256 private constant RISK_UNIT = 1_000_000;
    uint256 private constant BPS = 10_000;
    uint256 private constant BUCKET = 1 days;
    uint256 private constant YEAR = 365 days;

    /// @notice The Storefront that opens and settles policies.
    address public immutable storefront;
    /// @notice The court deciding claims.
    IArbitrator public immutable arbitrator;
    /// @notice Machines and their reputation.
    MachineRegistry public immutable registry;
    /// @notice Receipts that record cover.
    ReceiptNFT public immutable receipts;

    /// @notice Current parameters.
    Params public params;
    /// @notice Cover of policies not yet expired, claimed or cancelled.
    uint256 public activeCover;
    /// @notice Amount claimed by claims waiting for their ruling.
    uint256 public pendingClaims;
    /// @notice Sum of unpaid IOUs.
    uint256 public iouOutstanding;
    /// @notice Premiums of policies whose order is not dispensed yet: owed back if it is refunded, so never
    ///         capital and never spent (the balance always covers them).
    uint256 public unearnedPremiums;
    /// @notice Whether new cover is paused (drained pool).
    bool public coverPaused;
    /// @notice Whether the balance fails to cover pending claims plus IOUs.
    bool public insolvent;
    /// @notice Times new cover paused.
    uint64 public pauseEpisodes;
    /// @notice Claims ever filed; ids run from 1.
    uint256 public claimCount;
    /// @notice Claims paid less than their amount at first (pro rata).
    uint64 public proRataPayouts;

    mapping(uint256 orderId => StoredPolicy) private _policies;
    mapping(uint256 claimId => Claim) private _claims;
    mapping(uint256 orderId => uint256 claimId) private _claimOfOrder;
    mapping(uint256 disputeId => uint256 claimId) private _claimOfDispute;
    mapping(uint256 bucket => uint256 cover) private _expiringCover;
    uint256 private _releasedBucket;
    /// @dev The latest bucket any policy expires in: buckets after it are empty, so no walk goes past it.
    uint256 private _lastBucket;
    Iou[] private _ious;
    uint256 private _iouHead;
    mapping(address owner => WithdrawalRequest) private _withdrawals;
    mapping(uint64 machineId => RiskSource) private _risk;
    mapping(uint64 machineId => uint32 incidents) private _incidents;

    /// @notice A policy was bought with order `orderId`.
    event PolicyOpened(
        uint256 indexed orderId,
        address indexed holder,
        uint64 indexed machineId,
        uint128 cover,
        uint128 premium,
        uint64 expiry,
        uint16 riskBps
    );
    /// @notice The insured order was dispensed: the claim window is open until `claimableUntil`.
    event PolicyActivated(uint256 indexed orderId, uint64 claimableUntil);
    /// @notice The insured order was refunded: the policy ended and its premium went back to `refundedTo`, the
    ///         order's buyer (who also got the price back).
    event PolicyCancelled(uint256 indexed orderId, address indexed refundedTo, uint128 premiumRefunded);
    /// @notice Expired cover left active cover.
    event CoverReleased(uint256 fromBucket, uint256 toBucket, uint256 amount);
    /// @notice A claim was filed and sent to the court.
    event ClaimFiled(
        uint256 indexed claimId,
        uint256 indexed orderId,
        address indexed claimant,
        uint256 disputeId,
        uint128 amount,
        bytes32 evidenceDigest
    );
    /// @notice A claim was approved; `paid` now, `owed` recorded as an IOU.
    event ClaimPaid(uint256 indexed claimId, uint256 indexed orderId, address indexed claimant, uint128 paid, uint128 owed);
    /// @notice A claim was rejected.
    event ClaimRejected(uint256 indexed claimId, uint256 indexed orderId, uint256 ruling);
    /// @notice Part of an IOU was paid.
    event IouPaid(uint256 indexed claimId, address indexed claimant, uint128 amount, uint128 stillOwed);
    /// @notice A paid claim against `machineId` was recorded for the risk model.
    event IncidentRecorded(uint64 indexed machineId, uint256 indexed orderId, uint256 claimId, uint32 incidents);
    /// @notice New cover paused: capital (net of pending claims and IOUs) below the requirement.
    event CoverPaused(uint256 capital, uint256 requiredCapital, uint256 iouOutstanding);
    /// @notice New cover resumed.
    event CoverResumed(uint256 capital, uint256 requiredCapital);
    /// @notice The insolvency flag changed.
    event InsolvencyChanged(bool insolvent, uint256 balance, uint256 liabilities);
    /// @notice Liquidity was added without minting shares.
    event LiquidityInjected(address indexed from, uint256 amount, uint256 toIous);
    /// @notice An underwriter asked to withdraw `shares` after the cooldown.
    event WithdrawalRequested(address indexed owner, uint256 shares, uint64 readyAt);
    /// @notice A withdrawal request was cancelled and its shares returned.
    event WithdrawalCancelled(address indexed owner, uint256 shares);
    /// @notice Parameters changed.
    event ParamsChanged(Params params);
    /// @notice Governance set a machine's risk score.
    event MachineRiskSet(uint64 indexed machineId, uint16 riskBps);
    /// @notice A machine's risk score now comes from an oracle feed (zero aggregator: none).
    event RiskFeedSet(uint64 indexed machineId, address aggregator, bytes32 feedId, uint32 maxAge);

    /// @notice Only the Storefront may do this.
    error NotStorefront(address caller);
    /// @notice Only the court may rule.
    error NotArbitrator(address caller);
    /// @notice New cover is paused (A3: capital, net of pending claims and IOUs, below the requirement).
    error CoverIsPaused(uint256 capital, uint256 requiredCapital, uint256 iouOutstanding);
    /// @notice The cover would take active cover above capacity.
    error CapacityExceeded(uint256 activeCover, uint256 cover, uint256 capacity);
    /// @notice The premium is above what the buyer accepts.
    error PremiumAboveMax(uint128 premium, uint128 maxPremium);
    /// @notice Zero cover or a cover above 2^96 - 1.
    error InvalidCover(uint256 cover);
    /// @notice The order already has a policy.
    error PolicyExists(uint256 orderId);
    /// @notice No active policy for this order.
    error PolicyNotActive(uint256 orderId, PolicyStatus status);
    /// @notice Only the insured buyer may claim.
    error NotInsured(uint256 orderId, address caller, address holder);
    /// @notice The claimant no longer holds the receipt.
    error NotReceiptHolder(uint256 orderId, address holder, address receiptOwner);
    /// @notice The order has not been dispensed; there is nothing to claim yet.
    error NotDispensed(uint256 orderId);
    /// @notice Cover cannot be bought and claimed in the same block.
    error ClaimInPurchaseBlock(uint256 orderId, uint64 purchasedBlock);
    /// @notice The claim window closed.
    error ClaimWindowClosed(uint256 orderId, uint64 claimableUntil);
    /// @notice The policy was claimed already.
    error AlreadyClaimed(uint256 orderId, uint256 claimId);
    /// @notice The dispute is not one of this pool's pending claims.
    error UnknownDispute(uint256 disputeId);
    /// @notice No withdrawal request, or its cooldown has not passed.
    error WithdrawalNotReady(address owner, uint64 readyAt);
    /// @notice The request asks for more shares than the owner has.
    error InsufficientShares(uint256 requested, uint256 balance);
    /// @notice The parameters are inconsistent.
    error InvalidParams();
    /// @notice Zero amount.
    error ZeroAmount();
    /// @notice The risk score is above 100 %.
    error InvalidRisk(uint16 riskBps);

    /// @param asset_ The payment token.
    /// @param storefront_ The Storefront allowed to open and settle policies.
    /// @param arbitrator_ The court.
    /// @param registry_ The machine registry (the pool needs its REPUTATION_ROLE).
    /// @param receipts_ The receipt NFT (the pool needs its METADATA_ROLE).
    /// @param admin Governance: sets parameters and risk scores.
    /// @param params_ Initial parameters.
    constructor(
        IERC20 asset_,
        address storefront_,
        IArbitrator arbitrator_,
        MachineRegistry registry_,
        ReceiptNFT receipts_,
        address admin,
        Params memory params_
    )
        ERC20(
            string.concat("automat cover ", IERC20Metadata(address(asset_)).symbol()),
            string.concat("cv", IERC20Metadata(address(asset_)).symbol())
        )
        ERC4626(asset_)
    {
        storefront = storefront_;
        arbitrator = arbitrator_;
        registry = registry_;
        receipts = receipts_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setParams(params_);
        _releasedBucket = block.timestamp / BUCKET;
        coverPaused = true;
        emit CoverPaused(0, params_.minCapital, 0);
    }

    // ---------------------------------------------------------------- cover

    /// @notice Opens the policy of order `orderId`, pulling the premium from `payer` (who must have approved this
    ///         pool). Called by the Storefront in the transaction that places the order.
    /// @param orderId The order (and policy) id.
    /// @param payer Pays the premium.
    /// @param holder The insured buyer.
    /// @param machineId The machine sold by.
    /// @param cover Amount covered (the order's price).
    /// @param orderDeadline The order's deadline; the policy lasts the claim window beyond it.
    /// @param maxPremium Highest premium the payer accepts.
    /// @return premium The premium charged.
    function openPolicy(
        uint256 orderId,
        address payer,
        address holder,
        uint64 machineId,
        uint128 cover,
        uint64 orderDeadline,
        uint128 maxPremium
    ) external nonReentrant returns (uint128 premium) {
        if (msg.sender != storefront) revert NotStorefront(msg.sender);
        if (_policies[orderId].status != PolicyStatus.None) revert PolicyExists(orderId);
        if (cover == 0 || cover > type(uint96).max) revert InvalidCover(cover);
        _releaseExpired();
        if (coverPaused) revert CoverIsPaused(totalAssets(), requiredCapital(), iouOutstanding);
        uint256 capital = totalAssets();
        uint256 capacity = Math.mulDiv(capital, params.capacityBps, BPS);
        if (activeCover + cover > capacity) revert CapacityExceeded(activeCover, cover, capacity);

        uint64 expiry = orderDeadline + params.claimWindow;
        uint16 risk = riskOf(machineId);
        premium = _premium(cover, expiry - block.timestamp, risk, activeCover + cover, capacity);
        if (premium > maxPremium) revert PremiumAboveMax(premium, maxPremium);

        // premium <= maxPremium <= cover (the Storefront caps it) would also fit; checked to be safe.
        if (premium > type(uint96).max) revert PremiumAboveMax(premium, maxPremium);
        _policies[orderId] = StoredPolicy({
            holder: holder,
            cover: uint96(cover),
            premium: uint96(premium),
            expiry: uint40(expiry),
            dispensedAt: 0,
            purchasedBlock: uint40(block.number),
            status: PolicyStatus.Active
        });
        activeCover += cover;
        uint256 bucket = _bucketOf(expiry);
        _expiringCover[bucket] += cover;
        if (bucket > _lastBucket) _lastBucket = bucket;
        emit PolicyOpened(orderId, holder, machineId, cover, premium, expiry, risk);

        unearnedPremiums += premium;
        IERC20(asset()).safeTransferFrom(payer, address(this), premium);
        _sync();
    }

    /// @notice Tells the pool how an insured order ended. Dispensed: the claim window opens and the receipt records
    ///         the cover. Refunded: the policy is cancelled and its premium refunded. Called by the Storefront.
    /// @param orderId The order.
    /// @param dispensed Whether the order was dispensed (else refunded).
    function onOrderSettled(uint256 orderId, bool dispensed) external nonReentrant {
        if (msg.sender != storefront) revert NotStorefront(msg.sender);
        StoredPolicy storage p = _policies[orderId];
        if (p.status != PolicyStatus.Active) revert PolicyNotActive(orderId, p.status);
        uint128 premium = p.premium;
        unearnedPremiums -= premium;
        if (dispensed) {
            p.dispensedAt = uint40(block.timestamp);
            uint64 until = _claimableUntil(p);
            emit PolicyActivated(orderId, until);
            receipts.setCoverage(orderId, p.cover, until, ReceiptNFT.CoverageStatus.Active);
            // The premium is earned: it pays the oldest IOUs first, the rest is capital.
            if (iouOutstanding != 0) _payIous(premium, MAX_IOUS_PER_PREMIUM);
            _sync();
            return;
        }
        _releaseExpired();
        p.status = PolicyStatus.Cancelled;
        _removeCover(p);
        // The premium goes back with the price, to whoever the Storefront refunds (for a cross-chain order: the
        // checkout, which returns both to the buyer's chain).
        address refundTo = Storefront(storefront).orderOf(orderId).buyer;
        emit PolicyCancelled(orderId, refundTo, premium);
        IERC20(asset()).safeTransfer(refundTo, premium);
        _sync();
    }

    /// @notice Releases cover whose policies expired (anyone may call; every state change does it too).
    function releaseExpired() external nonReentrant {
        _sync();
    }

    // ---------------------------------------------------------------- claims

    /// @notice Files a claim on the policy of order `orderId` with evidence, and sends it to the court. The caller
    ///         must be the insured buyer, still hold the receipt and have approved this pool for the court's fee
    ///         ({IArbitrator-arbitrationCost}).
    /// @param orderId The insured order.
    /// @param evidenceDigest sha2-256 of the evidence file (its CID, raw codec).
    /// @return claimId The claim's id.
    function fileClaim(uint256 orderId, bytes32 evidenceDigest) external nonReentrant returns (uint256 claimId) {
        StoredPolicy storage p = _policies[orderId];
        if (p.status == PolicyStatus.Claimed) revert AlreadyClaimed(orderId, _claimOfOrder[orderId]);
        if (p.status != PolicyStatus.Active) revert PolicyNotActive(orderId, p.status);
        if (msg.sender != p.holder) revert NotInsured(orderId, msg.sender, p.holder);
        if (p.dispensedAt == 0) revert NotDispensed(orderId);
        // A holder who bought the order themselves must still hold its receipt. An order a payer placed for the
        // holder (a cross-chain checkout) has its receipt here with the payer and the buyer's on their own chain.
        if (Storefront(storefront).orderOf(orderId).buyer == p.holder) {
            address receiptOwner = receipts.ownerOf(orderId);
            if (receiptOwner != p.holder) revert NotReceiptHolder(orderId, p.holder, receiptOwner);
        }
        if (block.number <= p.purchasedBlock) revert ClaimInPurchaseBlock(orderId, p.purchasedBlock);
        uint64 until = _claimableUntil(p);
        if (block.timestamp > until) revert ClaimWindowClosed(orderId, until);

        _releaseExpired();
        p.status = PolicyStatus.Claimed;
        _removeCover(p);
        uint128 amount = p.cover;
        pendingClaims += amount;
        claimId = ++claimCount;
        _claimOfOrder[orderId] = claimId;

        IERC20 feeToken = arbitrator.feeToken();
        uint256 fee = arbitrator.arbitrationCost("");
        feeToken.safeTransferFrom(msg.sender, address(this), fee);
        feeToken.forceApprove(address(arbitrator), fee);
        uint256 disputeId = arbitrator.createDispute(2, abi.encode(orderId));
        _claimOfDispute[disputeId] = claimId;
        _claims[claimId] = Claim({
            orderId: orderId,
            disputeId: disputeId,
            claimant: msg.sender,
            status: ClaimStatus.Pending,
            amount: amount,
            paid: 0,
            evidenceDigest: evidenceDigest
        });
        emit ClaimFiled(claimId, orderId, msg.sender, disputeId, amount, evidenceDigest);
        receipts.setCoverage(orderId, amount, until, ReceiptNFT.CoverageStatus.Claimed);
        _sync();
    }

    /// @inheritdoc IArbitrable
    /// @dev Pays (pro rata when short, the rest as an IOU), lowers the machine's reputation and records the incident;
    ///      or rejects. Never reverts for a known pending dispute, so the court can always deliver.
    function rule(uint256 disputeId, uint256 ruling) external nonReentrant {
        if (msg.sender != address(arbitrator)) revert NotArbitrator(msg.sender);
        uint256 claimId = _claimOfDispute[disputeId];
        Claim storage c = _claims[claimId];
        if (claimId == 0 || c.status != ClaimStatus.Pending) revert UnknownDispute(disputeId);
        emit Ruling(arbitrator, disputeId, ruling);
        uint256 orderId = c.orderId;
        StoredPolicy storage p = _policies[orderId];
        uint128 amount = c.amount;

        if (ruling != RULING_PAY) {
            c.status = ClaimStatus.Rejected;
            pendingClaims -= amount;
            emit ClaimRejected(claimId, orderId, ruling);
            receipts.setCoverage(orderId, amount, _claimableUntil(p), ReceiptNFT.CoverageStatus.Rejected);
            _sync();
            return;
        }

        // Unearned premiums are not the pool's to pay out (the balance always covers them).
        uint256 available = IERC20(asset()).balanceOf(address(this)) - unearnedPremiums;
        uint128 pay = amount;
        if (available < pendingClaims) {
            // Every claim pending now gets the same fraction: what is there over what is claimed.
            pay = uint128(Math.mulDiv(amount, available, pendingClaims));
            proRataPayouts += 1;
        }
        uint128 owed = amount - pay;
        c.status = ClaimStatus.Paid;
        c.paid = pay;
        pendingClaims -= amount;
        if (owed > 0) {
            _ious.push(Iou({claimId: claimId, owed: owed}));
            iouOutstanding += owed;
        }
        uint64 machineId = Storefront(storefront).orderOf(orderId).machineId;
        uint32 incidents = ++_incidents[machineId];
        emit ClaimPaid(claimId, orderId, c.claimant, pay, owed);
        emit IncidentRecorded(machineId, orderId, claimId, incidents);
        receipts.setCoverage(orderId, amount, _claimableUntil(p), ReceiptNFT.CoverageStatus.Paid);
        registry.adjustReputation(machineId, -int32(uint32(params.reputationPenalty)));
        if (pay > 0) IERC20(asset()).safeTransfer(c.claimant, pay);
        _sync();
    }

    // ---------------------------------------------------------------- liquidity

    /// @notice Adds `amount` of the payment token without minting shares (emergency liquidity from governance or a
    ///         backstop): IOUs are paid first, the rest becomes capital of the current underwriters.
    /// @param amount Amount to pull from the caller.
    function injectLiquidity(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        IERC20(asset()).safeTransferFrom(msg.sender, address(this), amount);
        uint256 toIous = _payIous(amount, type(uint256).max);
        emit LiquidityInjected(msg.sender, amount, toIous);
        _sync();
    }

    /// @notice Pays IOUs from the balance not needed for pending claims (after a deposit, say). Anyone may call.
    /// @param maxCount Most IOUs to touch.
    function payIous(uint256 maxCount) external nonReentrant {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 reserved = pendingClaims + unearnedPremiums;
        if (balance > reserved) _payIous(balance - reserved, maxCount);
        _sync();
    }

    /// @notice Asks to withdraw `shares` after the cooldown; the shares are held by the pool meanwhile (they keep
    ///         bearing claims). A second request adds to the first and restarts the cooldown.
    /// @param shares Shares to withdraw.
    function requestWithdrawal(uint256 shares) external nonReentrant {
        if (shares == 0) revert ZeroAmount();
        uint256 owned = balanceOf(msg.sender);
        if (shares > owned) revert InsufficientShares(shares, owned);
        WithdrawalRequest storage r = _withdrawals[msg.sender];
        r.shares += uint128(shares);
        r.readyAt = uint64(block.timestamp) + params.withdrawCooldown;
        _transfer(msg.sender, address(this), shares);
        emit WithdrawalRequested(msg.sender, r.shares, r.readyAt);
    }

    /// @notice Cancels the caller's withdrawal request and returns its shares.
    function cancelWithdrawal() external nonReentrant {
        WithdrawalRequest memory r = _withdrawals[msg.sender];
        if (r.shares == 0) revert WithdrawalNotReady(msg.sender, 0);
        delete _withdrawals[msg.sender];
        _transfer(address(this), msg.sender, r.shares);
        emit WithdrawalCancelled(msg.sender, r.shares);
    }

    /// @inheritdoc ERC4626
    function deposit(uint256 assets, address receiver) public override nonReentrant returns (uint256 shares) {
        shares = super.deposit(assets, receiver);
        _sync();
    }

    /// @inheritdoc ERC4626
    function mint(uint256 shares, address receiver) public override nonReentrant returns (uint256 assets) {
        assets = super.mint(shares, receiver);
        _sync();
    }

    /// @inheritdoc ERC4626
    /// @dev Only shares of a request past its cooldown, and only capital not backing active cover.
    function withdraw(uint256 assets, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 shares)
    {
        shares = super.withdraw(assets, receiver, owner);
        _sync();
    }

    /// @inheritdoc ERC4626
    /// @dev Only shares of a request past its cooldown, and only capital not backing active cover.
    function redeem(uint256 shares, address receiver, address owner)
        public
        override
        nonReentrant
        returns (uint256 assets)
    {
        assets = super.redeem(shares, receiver, owner);
        _sync();
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the parameters.
    /// @param params_ The new parameters.
    function setParams(Params calldata params_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setParams(params_);
        _sync();
    }

    /// @notice Sets a machine's risk score, used while it has no fresh oracle risk feed (manual fallback).
    /// @param machineId The machine.
    /// @param riskBps Probability of a failed purchase, in basis points (0: the default).
    function setMachineRisk(uint64 machineId, uint16 riskBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (riskBps > BPS) revert InvalidRisk(riskBps);
        _risk[machineId].riskBps = riskBps;
        emit MachineRiskSet(machineId, riskBps);
    }

    /// @notice Takes a machine's risk score from an {OracleAggregator} risk feed while it is active and at most
    ///         `maxAge` old (zero aggregator: stop).
    /// @param machineId The machine.
    /// @param aggregator The aggregator.
    /// @param feedId The risk feed.
    /// @param maxAge Oldest value accepted, in seconds.
    function setRiskFeed(uint64 machineId, OracleAggregator aggregator, bytes32 feedId, uint32 maxAge)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        RiskSource storage source = _risk[machineId];
        source.aggregator = aggregator;
        source.maxAge = maxAge;
        source.feedId = feedId;
        emit RiskFeedSet(machineId, address(aggregator), feedId, maxAge);
    }

    // ---------------------------------------------------------------- views

    /// @notice Capital net of pending claims and IOUs (ERC-4626 total assets).
    /// @return The capital.
    function totalAssets() public view override returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 liabilities = pendingClaims + iouOutstanding + unearnedPremiums;
        return balance > liabilities ? balance - liabilities : 0;
    }

    /// @notice Capital below which new cover pauses.
    /// @return The requirement.
    function requiredCapital() public view returns (uint256) {
        uint256 byRatio = Math.mulDiv(activeCoverNow(), params.minCapitalRatioBps, BPS, Math.Rounding.Ceil);
        return byRatio > params.minCapital ? byRatio : params.minCapital;
    }

    /// @notice Capital that backs active cover and cannot be withdrawn.
    /// @return The locked capital.
    function lockedCapital() public view returns (uint256) {
        uint256 active = activeCoverNow();
        if (active == 0) return 0;
        uint256 backing = Math.mulDiv(active, BPS, params.capacityBps, Math.Rounding.Ceil);
        uint256 required = requiredCapital();
        return backing > required ? backing : required;
    }

    /// @notice Most cover the pool can still sell.
    /// @return The free capacity.
    function freeCapacity() public view returns (uint256) {
        uint256 capacity = Math.mulDiv(totalAssets(), params.capacityBps, BPS);
        uint256 active = activeCoverNow();
        return capacity > active ? capacity - active : 0;
    }

    /// @notice Active cover as of now: {activeCover} less the policies expired since the last release (which the
    ///         next state change writes).
    /// @return The cover in force.
    function activeCoverNow() public view returns (uint256) {
        uint256 last = Math.min(block.timestamp / BUCKET, _lastBucket + 1);
        uint256 active = activeCover;
        for (uint256 b = _releasedBucket; b < last; ++b) {
            active -= _expiringCover[b];
        }
        return active;
    }

    /// @inheritdoc ERC4626
    function maxDeposit(address) public pure override returns (uint256) {
        return type(uint256).max;
    }

    /// @inheritdoc ERC4626
    function maxMint(address) public pure override returns (uint256) {
        return type(uint256).max;
    }

    /// @inheritdoc ERC4626
    /// @dev The shares of `owner`'s request once its cooldown passed, as far as free capital allows.
    function maxRedeem(address owner) public view override returns (uint256) {
        WithdrawalRequest memory r = _withdrawals[owner];
        if (r.shares == 0 || block.timestamp < r.readyAt) return 0;
        uint256 capital = totalAssets();
        uint256 locked = lockedCapital();
        uint256 free = capital > locked ? capital - locked : 0;
        uint256 freeShares = _convertToShares(free, Math.Rounding.Floor);
        return r.shares < freeShares ? r.shares : freeShares;
    }

    /// @inheritdoc ERC4626
    function maxWithdraw(address owner) public view override returns (uint256) {
        return _convertToAssets(maxRedeem(owner), Math.Rounding.Floor);
    }

    /// @notice The premium {openPolicy} would charge now.
    /// @param machineId The machine.
    /// @param cover Amount covered.
    /// @param orderDeadline The order's deadline.
    /// @return premium The premium.
    function quotePremium(uint64 machineId, uint128 cover, uint64 orderDeadline) external view returns (uint128 premium) {
        uint256 capacity = Math.mulDiv(totalAssets(), params.capacityBps, BPS);
        uint256 expiry = uint256(orderDeadline) + params.claimWindow;
        uint256 duration = expiry > block.timestamp ? expiry - block.timestamp : 0;
        return _premium(cover, duration, riskOf(machineId), activeCoverNow() + cover, capacity);
    }

    /// @notice A machine's risk score in basis points: the oracle feed's while active and fresh, else governance's,
    ///         else the default.
    /// @param machineId The machine.
    /// @return The score.
    function riskOf(uint64 machineId) public view returns (uint16) {
        RiskSource storage feed = _risk[machineId];
        if (address(feed.aggregator) != address(0)) {
            (int256 value, uint64 updatedAt, OracleAggregator.FeedStatus status,) = feed.aggregator.latest(feed.feedId);
            if (
                status == OracleAggregator.FeedStatus.Active && updatedAt != 0 && value >= 0
                    && block.timestamp <= uint256(updatedAt) + feed.maxAge
            ) {
                uint256 bps = Math.mulDiv(uint256(value), BPS, RISK_UNIT, Math.Rounding.Ceil);
                return bps > BPS ? uint16(BPS) : uint16(bps);
            }
        }
        uint16 set = feed.riskBps;
        return set != 0 ? set : params.defaultRiskBps;
    }

    /// @notice The policy of order `orderId`.
    /// @param orderId The order.
    /// @return The policy.
    function policyOf(uint256 orderId) external view returns (Policy memory) {
        StoredPolicy storage p = _policies[orderId];
        return Policy({
            holder: p.holder,
            status: p.status,
            cover: p.cover,
            premium: p.premium,
            expiry: p.expiry,
            dispensedAt: p.dispensedAt,
            purchasedBlock: p.purchasedBlock
        });
    }

    /// @notice Claim `claimId`.
    /// @param claimId The claim.
    /// @return The claim.
    function claimOf(uint256 claimId) external view returns (Claim memory) {
        return _claims[claimId];
    }

    /// @notice The claim filed on order `orderId` (0: none).
    /// @param orderId The order.
    /// @return The claim id.
    function claimOfOrder(uint256 orderId) external view returns (uint256) {
        return _claimOfOrder[orderId];
    }

    /// @notice The claim sent to the court as `disputeId` (0: none).
    /// @param disputeId The court's dispute id.
    /// @return The claim id.
    function claimOfDispute(uint256 disputeId) external view returns (uint256) {
        return _claimOfDispute[disputeId];
    }

    /// @notice Unpaid IOUs in payment order.
    /// @return ious The queue from its head.
    function iouQueue() external view returns (Iou[] memory ious) {
        uint256 n = _ious.length - _iouHead;
        ious = new Iou[](n);
        for (uint256 i = 0; i < n; ++i) {
            ious[i] = _ious[_iouHead + i];
        }
    }

    /// @notice `owner`'s withdrawal request.
    /// @param owner The underwriter.
    /// @return The request.
    function withdrawalOf(address owner) external view returns (WithdrawalRequest memory) {
        return _withdrawals[owner];
    }

    /// @notice Paid claims recorded against `machineId` (a feature of the risk model).
    /// @param machineId The machine.
    /// @return The count.
    function incidentsOf(uint64 machineId) external view returns (uint32) {
        return _incidents[machineId];
    }

    /// @notice ERC-165.
    /// @param interfaceId The interface id.
    /// @return Whether it is supported.
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IArbitrable).interfaceId || super.supportsInterface(interfaceId);
    }

    // ---------------------------------------------------------------- internals

    /// @dev Shares of 12 decimals over a 6-decimal token: the inflation attack costs 10^6 times its yield.
    function _decimalsOffset() internal pure override returns (uint8) {
        return 6;
    }

    /// @dev Redemptions burn the shares held for the owner's request.
    function _withdraw(address caller, address receiver, address owner, uint256 assets, uint256 shares)
        internal
        override
    {
        WithdrawalRequest storage r = _withdrawals[owner];
        if (r.shares < shares || block.timestamp < r.readyAt) revert WithdrawalNotReady(owner, r.readyAt);
        if (caller != owner) _spendAllowance(owner, caller, shares);
        r.shares -= uint128(shares);
        _burn(address(this), shares);
        IERC20(asset()).safeTransfer(receiver, assets);
        emit Withdraw(caller, receiver, owner, assets, shares);
    }

    function _premium(uint256 cover, uint256 duration, uint16 riskBps, uint256 coverAfter, uint256 capacity)
        private
        view
        returns (uint128)
    {
        Params memory p = params;
        // Rate in bps² · seconds: the expected loss with its loading, plus the yearly base rate for the duration.
        uint256 rate = uint256(riskBps) * (BPS + p.loadingBps) * YEAR + uint256(p.baseRateBps) * BPS * duration;
        // Utilisation surcharge: slope × u², u = cover after the sale over capacity (capped at 1).
        uint256 u = capacity == 0 ? BPS : Math.min(Math.mulDiv(coverAfter, BPS, capacity), BPS);
        uint256 multiplier = BPS + Math.mulDiv(uint256(p.utilizationSlopeBps) * u, u, BPS * BPS);
        uint256 premium = Math.mulDiv(cover * rate, multiplier, BPS * BPS * BPS * YEAR, Math.Rounding.Ceil);
        return uint128(premium == 0 ? 1 : premium);
    }

    function _claimableUntil(StoredPolicy storage p) private view returns (uint64) {
        if (p.dispensedAt == 0) return 0;
        uint64 until = uint64(p.dispensedAt) + params.claimWindow;
        return until < p.expiry ? until : p.expiry;
    }

    function _bucketOf(uint256 expiry) private pure returns (uint256) {
        return (expiry + BUCKET - 1) / BUCKET;
    }

    /// @dev Call after {_releaseExpired}: a policy whose bucket was released is no longer in active cover.
    function _removeCover(StoredPolicy storage p) private {
        uint256 bucket = _bucketOf(p.expiry);
        if (bucket < _releasedBucket) return;
        activeCover -= p.cover;
        _expiringCover[bucket] -= p.cover;
    }

    /// @dev Cover is bucketed by the day its policy expires (rounded up) and released once that day is over, so it
    ///      stays counted up to a day longer than needed (never shorter). Every policy expires within days of its
    ///      purchase, every purchase releases first, and the walk stops after the last bucket any policy uses, so
    ///      it is short even after a long idle time.
    function _releaseExpired() private {
        uint256 last = block.timestamp / BUCKET; // buckets before this one have expired
        uint256 from = _releasedBucket;
        if (last <= from) return;
        uint256 end = Math.min(last, _lastBucket + 1);
        uint256 released;
        for (uint256 b = from; b < end; ++b) {
            uint256 amount = _expiringCover[b];
            if (amount != 0) {
                released += amount;
                delete _expiringCover[b];
            }
        }
        _releasedBucket = last;
        if (released != 0) {
            activeCover -= released;
            emit CoverReleased(from, last, released);
        }
    }

    /// @dev Pays queued IOUs, oldest first, from `budget`; returns what it paid.
    function _payIous(uint256 budget, uint256 maxCount) private returns (uint256 paidTotal) {
        uint256 head = _iouHead;
        uint256 end = _ious.length;
        for (uint256 n = 0; head < end && n < maxCount && budget > 0; ++n) {
            Iou storage iou = _ious[head];
            uint128 amount = iou.owed <= budget ? iou.owed : uint128(budget);
            iou.owed -= amount;
            budget -= amount;
            paidTotal += amount;
            Claim storage c = _claims[iou.claimId];
            c.paid += amount;
            emit IouPaid(iou.claimId, c.claimant, amount, iou.owed);
            IERC20(asset()).safeTransfer(c.claimant, amount);
            if (iou.owed == 0) ++head;
        }
        _iouHead = head;
        iouOutstanding -= paidTotal;
    }

    /// @dev Recomputes the pause and insolvency flags after any change of capital or cover.
    function _sync() private {
        _releaseExpired();
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        uint256 liabilities = pendingClaims + iouOutstanding + unearnedPremiums;
        bool nowInsolvent = balance < liabilities;
        if (nowInsolvent != insolvent) {
            insolvent = nowInsolvent;
            emit InsolvencyChanged(nowInsolvent, balance, liabilities);
        }
        uint256 capital = balance > liabilities ? balance - liabilities : 0;
        uint256 required = requiredCapital();
        bool pause = capital < required;
        if (pause == coverPaused) return;
        coverPaused = pause;
        if (pause) {
            pauseEpisodes += 1;
            emit CoverPaused(capital, required, iouOutstanding);
        } else {
            emit CoverResumed(capital, required);
        }
    }

    function _setParams(Params memory p) private {
        if (
            p.capacityBps == 0 || p.minCapitalRatioBps > BPS || p.loadingBps > BPS || p.defaultRiskBps > BPS
                || p.claimWindow == 0
        ) revert InvalidParams();
        params = p;
        emit ParamsChanged(p);
    }
}
