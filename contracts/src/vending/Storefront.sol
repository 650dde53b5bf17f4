// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {RateLimiter} from "@openzeppelin/contracts/utils/RateLimiter.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MachineRegistry} from "./MachineRegistry.sol";
import {ReceiptNFT} from "./ReceiptNFT.sol";
import {OracleAggregator} from "../oracle/OracleAggregator.sol";
import {ComplianceRegistry} from "../compliance/ComplianceRegistry.sol";
import {InsurancePool} from "../insurance/InsurancePool.sol";

/// @title Storefront
/// @notice Orders, escrow and settlement of vending purchases.
///
///         Online: a machine signs a quote (EIP-712) for one unit of a slot at a price; the buyer places an order
///         with a `maxPrice` and a deadline, which escrows the price and reserves one unit. The machine then signs an
///         attestation of the outcome, which anyone may submit: dispensed releases the escrow to the operator minus
///         the protocol fee and mints the buyer a receipt; vend failed refunds the buyer in full and restores the
///         stock. With no attestation by the deadline anyone may trigger the refund.
///
///         Offline (network partition): buyers prepay an allowance here and sign vouchers (EIP-712) that machines
///         accept while they cannot reach the chain, each machine up to its offline credit cap. On reconnect the
///         machine submits the voucher with its signed record of the sale. A voucher (buyer, nonce) pays once: the
///         first sale settled on chain is paid from the voucher; any later sale presenting the same voucher is a
///         double spend: recorded (order, receipt, `VoucherDoubleSpent` naming the buyer) but not paid, because the
///         buyer authorised one payment and a machine's word alone must never move a buyer's funds. That loss is
///         the operator's, bounded by the machine's offline credit cap (which its agent enforces while offline).
///         A sale whose buyer's allowance ran short is paid what is left; the shortfall is in the event. Either way
///         every sale is recorded exactly once.
///
///         Oracle prices: a machine's operator (or the owner) may bind a slot to an {OracleAggregator} price feed
///         (denominated in payment-token base units). A quote for that slot must then, besides the slot's band, lie
///         within `toleranceBps` of the feed's value while the feed is active and at most `maxAge` old; a stale feed
///         refuses quotes; a frozen feed (consensus override) leaves the slot in manual mode, where the band (the
///         operator's manual price) alone applies. Slots without a feed work as before.
///
///         Compliance: with a {ComplianceRegistry} set, an order for a machine and item the registry has rules for
///         (blocked jurisdictions, minimum age) must carry a disclosure proof bound to the order's {orderBinding};
///         {placeOrderFor} takes it, and lets a payer (e.g. the shielded pool) order for another buyer address.
///
///         Insurance: with an {InsurancePool} set, {placeInsuredOrder} buys cover for the order in the same
///         transaction (the premium goes from the buyer to the pool); the pool hears how the order ended.
///         {placeInsuredOrderFor} names another holder of the cover (the buyer on another chain of a cross-chain
///         order, whose checkout is the order's buyer here).
///
///         Invariant: the contract's token balance equals `escrowBalance + totalPrepaid`.
contract Storefront is Ownable2Step, EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using RateLimiter for RateLimiter.RefillingBucket;

    /// @notice A machine's signed offer of one unit of a slot at a price.
    struct Quote {
        uint64 machineId;
        uint16 slot;
        uint128 price;
        uint64 expiry;
        uint64 nonce;
    }

    /// @notice A machine's signed account of how an order ended (`outcome` is an {Outcome}).
    struct Attestation {
        uint256 orderId;
        uint8 outcome;
        bytes32 metadataDigest;
    }

    /// @notice A buyer's signed promise to pay up to `maxAmount` from its prepaid allowance, usable once.
    struct Voucher {
        address buyer;
        uint128 maxAmount;
        uint64 nonce;
        uint64 expiry;
    }

    /// @notice A machine's signed record of a sale it made offline against a voucher.
    struct OfflineSale {
        bytes32 voucherHash;
        uint64 machineId;
        uint16 slot;
        uint128 price;
        uint64 soldAt;
        bytes32 metadataDigest;
    }

    /// @notice An ERC-2612 permit for the payment token.
    struct Permit {
        uint256 value;
        uint256 deadline;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    /// @notice An order.
    struct Order {
        address buyer;
        uint64 machineId;
        uint16 slot;
        Status status;
        bool offline;
        uint128 price;
        uint64 deadline;
        uint64 createdAt;
    }

    /// @notice A buyer's prepaid allowance for offline purchases.
    struct Prepaid {
        uint128 balance;
        uint128 pendingWithdrawal;
        uint64 withdrawableAt;
    }

    /// @notice The oracle feed a slot's quotes are checked against.
    struct PriceFeed {
        OracleAggregator aggregator;
        uint16 toleranceBps;
        uint32 maxAge;
        bytes32 feedId;
    }

    /// @notice Where an order stands.
    enum Status {
        None,
        Open,
        Dispensed,
        Refunded
    }

    /// @notice What a machine attests.
    enum Outcome {
        None,
        Dispensed,
        VendFailed
    }

    /// @notice Why an order was refunded.
    enum RefundReason {
        None,
        VendFailed,
        Timeout
    }

    /// @notice EIP-712 type hash of {Quote}.
    bytes32 public constant QUOTE_TYPEHASH =
        keccak256("Quote(uint64 machineId,uint16 slot,uint128 price,uint64 expiry,uint64 nonce)");
    /// @notice EIP-712 type hash of {Attestation}.
    bytes32 public constant ATTESTATION_TYPEHASH =
        keccak256("Attestation(uint256 orderId,uint8 outcome,bytes32 metadataDigest)");
    /// @notice EIP-712 type hash of {Voucher}.
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address buyer,uint128 maxAmount,uint64 nonce,uint64 expiry)");
    /// @notice EIP-712 type hash of {OfflineSale}.
    bytes32 public constant OFFLINE_SALE_TYPEHASH = keccak256(
        "OfflineSale(bytes32 voucherHash,uint64 machineId,uint16 slot,uint128 price,uint64 soldAt,bytes32 metadataDigest)"
    );
    /// @notice Highest protocol fee: 10 %.
    uint16 public constant MAX_FEE_BPS = 1000;

    /// @notice The payment token.
    IERC20 public immutable token;
    /// @notice The machine registry.
    MachineRegistry public immutable registry;
    /// @notice The receipt NFT.
    ReceiptNFT public immutable receipts;

    /// @notice Protocol fee on every paid sale, in basis points.
    uint16 public feeBps;
    /// @notice Receives protocol fees.
    address public feeRecipient;
    /// @notice Shortest time an order must leave the machine to dispense and attest.
    uint64 public minOrderWindow;
    /// @notice Longest an order may keep funds in escrow.
    uint64 public maxOrderWindow;
    /// @notice Delay between asking to withdraw prepaid allowance and receiving it, so machines can settle first.
    uint64 public prepaidWithdrawDelay;
    /// @notice Number of orders ever created (online and offline); ids run from 1 to this.
    uint256 public orderCount;
    /// @notice Sum of the prices of all open orders.
    uint256 public escrowBalance;
    /// @notice Sum of all prepaid allowances.
    uint256 public totalPrepaid;

    mapping(uint256 orderId => Order) private _orders;
    mapping(uint64 machineId => mapping(uint64 nonce => bool)) private _quoteUsed;
    mapping(address buyer => Prepaid) private _prepaid;
    mapping(address buyer => mapping(uint64 nonce => uint256 orderId)) private _voucherSpentBy;
    mapping(bytes32 saleDigest => bool) private _offlineSaleSettled;
    RateLimiter.RefillingBucket private _orderLimiter;
    mapping(uint64 machineId => mapping(uint16 slot => PriceFeed)) private _priceFeeds;
    /// @notice Rules on who may buy what (zero: none).
    ComplianceRegistry public compliance;
    /// @notice The pool insuring orders (zero: no insured orders).
    InsurancePool public insurance;
    mapping(uint256 orderId => InsurancePool) private _insurerOf;

    /// @notice An order was placed and its price escrowed.
    event OrderPlaced(
        uint256 indexed orderId,
        uint64 indexed machineId,
        address indexed buyer,
        uint16 slot,
        uint128 price,
        uint64 deadline,
        uint64 quoteNonce
    );
    /// @notice An order was dispensed: escrow released, receipt minted.
    event OrderDispensed(
        uint256 indexed orderId,
        uint64 indexed machineId,
        address indexed buyer,
        uint128 price,
        uint128 fee,
        bytes32 metadataDigest
    );
    /// @notice An order was refunded in full.
    event OrderRefunded(
        uint256 indexed orderId, uint64 indexed machineId, address indexed buyer, uint128 price, RefundReason reason
    );
    /// @notice An offline sale was settled. `charged` may be below `price` when the buyer's allowance ran short.
    event OfflineSaleSettled(
        uint256 indexed orderId,
        uint64 indexed machineId,
        address indexed buyer,
        bytes32 voucherHash,
        uint64 voucherNonce,
        uint128 price,
        uint128 charged,
        uint128 fee
    );
    /// @notice A voucher that already paid for `firstOrderId` was presented again; sale `orderId` is recorded
    ///         but not paid (`unpaid` is its price, the operator's loss).
    event VoucherDoubleSpent(
        address indexed buyer, uint64 indexed voucherNonce, uint256 firstOrderId, uint256 orderId, uint128 unpaid
    );
    /// @notice A buyer added to its prepaid allowance.
    event PrepaidDeposited(address indexed buyer, uint128 amount, uint128 balance);
    /// @notice A buyer asked to withdraw prepaid allowance.
    event PrepaidWithdrawalRequested(address indexed buyer, uint128 amount, uint64 withdrawableAt);
    /// @notice A buyer withdrew prepaid allowance.
    event PrepaidWithdrawn(address indexed buyer, uint128 amount, uint128 balance);
    /// @notice The protocol fee changed.
    event FeeChanged(uint16 feeBps, address feeRecipient);
    /// @notice The order window bounds changed.
    event OrderWindowChanged(uint64 minWindow, uint64 maxWindow);
    /// @notice The prepaid withdrawal delay changed.
    event PrepaidWithdrawDelayChanged(uint64 delay);
    /// @notice The per-machine order rate limit changed.
    event RateLimitChanged(uint48 window, uint208 capacity);
    /// @notice A slot's quotes are now checked against an oracle feed.
    event PriceFeedSet(
        uint64 indexed machineId,
        uint16 indexed slot,
        address aggregator,
        bytes32 feedId,
        uint16 toleranceBps,
        uint32 maxAge
    );
    /// @notice A slot's oracle feed was removed.
    event PriceFeedCleared(uint64 indexed machineId, uint16 indexed slot);
    /// @notice The compliance registry orders are checked against changed.
    event ComplianceChanged(address compliance);
    /// @notice The insurance pool changed.
    event InsuranceChanged(address insurance);

    /// @notice The quote expired before the order.
    error QuoteExpired(uint64 expiry, uint256 now_);
    /// @notice The quote's nonce was used by an earlier order.
    error QuoteAlreadyUsed(uint64 machineId, uint64 nonce);
    /// @notice The quote was not signed by the machine's key.
    error InvalidQuoteSignature(uint64 machineId, address recovered);
    /// @notice The quoted price is above what the buyer accepts.
    error PriceAboveMax(uint128 price, uint128 maxPrice);
    /// @notice The quoted price is outside the slot's band.
    error PriceOutOfBand(uint128 price, uint128 minPrice, uint128 maxPrice);
    /// @notice The order deadline is too close or too far.
    error InvalidDeadline(uint64 deadline, uint64 earliest, uint64 latest);
    /// @notice The machine took too many orders recently.
    error MachineRateLimited(uint64 machineId);
    /// @notice No order has this id.
    error OrderNotFound(uint256 orderId);
    /// @notice The order is already settled.
    error OrderNotOpen(uint256 orderId, Status status);
    /// @notice The deadline passed; only a refund is possible now.
    error OrderExpired(uint256 orderId, uint64 deadline);
    /// @notice The deadline has not passed yet.
    error OrderNotExpired(uint256 orderId, uint64 deadline);
    /// @notice The attestation was not signed by the machine's key.
    error InvalidAttestationSigner(uint256 orderId, address recovered);
    /// @notice The attestation's outcome is not Dispensed or VendFailed.
    error InvalidOutcome(uint8 outcome);
    /// @notice A dispensed attestation must name its receipt metadata.
    error MissingMetadata(uint256 orderId);
    /// @notice The voucher was not signed by its buyer.
    error InvalidVoucherSignature(address buyer);
    /// @notice The offline sale was not signed by the machine's key.
    error InvalidSaleSignature(uint64 machineId, address recovered);
    /// @notice The offline sale names another voucher.
    error VoucherMismatch(bytes32 expected, bytes32 named);
    /// @notice The sale price is above the voucher's maximum.
    error VoucherAmountExceeded(uint128 price, uint128 maxAmount);
    /// @notice The sale happened after the voucher expired, or claims to be from the future.
    error VoucherExpired(uint64 soldAt, uint64 expiry);
    /// @notice This exact offline sale was settled before.
    error OfflineSaleAlreadySettled(bytes32 saleDigest);
    /// @notice Zero amount.
    error ZeroAmount();
    /// @notice More than the allowance was asked for.
    error PrepaidInsufficient(uint128 requested, uint128 balance);
    /// @notice No withdrawal is pending, or it is not due yet.
    error PrepaidWithdrawalNotReady(uint64 withdrawableAt);
    /// @notice The fee is above MAX_FEE_BPS or its recipient is zero.
    error InvalidFee(uint16 feeBps, address recipient);
    /// @notice The window bounds are inconsistent.
    error InvalidOrderWindow(uint64 minWindow, uint64 maxWindow);
    /// @notice The rate limit would block every order.
    error InvalidRateLimit(uint48 window, uint208 capacity);
    /// @notice Only the machine's operator or the owner may do this.
    error NotOperatorOrOwner(uint64 machineId, address caller);
    /// @notice The aggregator is zero, the tolerance above 100 % or the maximum age zero.
    error InvalidPriceFeed(address aggregator, uint16 toleranceBps, uint32 maxAge);
    /// @notice The feed is not a price feed.
    error NotAPriceFeed(bytes32 feedId);
    /// @notice The feed's decimals are not the payment token's.
    error FeedDecimalsMismatch(bytes32 feedId, uint8 feedDecimals, uint8 tokenDecimals);
    /// @notice The slot's feed is older than its maximum age (or has no value yet).
    error FeedPriceStale(uint64 machineId, uint16 slot, uint64 updatedAt, uint32 maxAge);
    /// @notice The quoted price is further than the tolerance from the feed's price.
    error PriceOffFeed(uint128 price, int256 feedPrice, uint16 toleranceBps);
    /// @notice An order needs a buyer.
    error ZeroBuyer();
    /// @notice No insurance pool is set.
    error InsuranceUnavailable();
    /// @notice A policy needs a holder.
    error ZeroHolder();

    /// @param token_ The payment token.
    /// @param registry_ The machine registry (must grant this contract STOREFRONT_ROLE).
    /// @param receipts_ The receipt NFT (must grant this contract MINTER_ROLE).
    /// @param owner_ Owner: sets fees, windows, limits.
    /// @param feeRecipient_ Receives protocol fees.
    /// @param feeBps_ Protocol fee in basis points.
    constructor(
        IERC20 token_,
        MachineRegistry registry_,
        ReceiptNFT receipts_,
        address owner_,
        address feeRecipient_,
        uint16 feeBps_
    ) Ownable(owner_) EIP712("automat Storefront", "1") {
        token = token_;
        registry = registry_;
        receipts = receipts_;
        _setFee(feeBps_, feeRecipient_);
        _setOrderWindow(60, 1 days);
        prepaidWithdrawDelay = 1 days;
        emit PrepaidWithdrawDelayChanged(1 days);
        _setRateLimit(1 minutes, 30);
    }

    // ---------------------------------------------------------------- online orders

    /// @notice Places an order from a machine's signed quote, escrowing the price and reserving one unit.
    /// @param quote The machine's quote.
    /// @param quoteSignature The machine key's EIP-712 signature of `quote`.
    /// @param maxPrice Highest price the buyer accepts.
    /// @param deadline Time by which the machine must attest; after it the buyer can be refunded.
    /// @return orderId The new order's id.
    function placeOrder(Quote calldata quote, bytes calldata quoteSignature, uint128 maxPrice, uint64 deadline)
        external
        nonReentrant
        returns (uint256 orderId)
    {
        return _placeOrder(msg.sender, quote, quoteSignature, maxPrice, deadline, "");
    }

    /// @notice {placeOrder} with an ERC-2612 permit for the payment, in one transaction. A permit already used
    ///         (e.g. front-run) is ignored as long as the allowance is in place.
    /// @param quote The machine's quote.
    /// @param quoteSignature The machine key's EIP-712 signature of `quote`.
    /// @param maxPrice Highest price the buyer accepts.
    /// @param deadline Time by which the machine must attest.
    /// @param permit The buyer's permit for this contract.
    /// @return orderId The new order's id.
    function placeOrderWithPermit(
        Quote calldata quote,
        bytes calldata quoteSignature,
        uint128 maxPrice,
        uint64 deadline,
        Permit calldata permit
    ) external nonReentrant returns (uint256 orderId) {
        try IERC20Permit(address(token)).permit(
            msg.sender, address(this), permit.value, permit.deadline, permit.v, permit.r, permit.s
        ) {} catch {}
        return _placeOrder(msg.sender, quote, quoteSignature, maxPrice, deadline, "");
    }

    /// @notice {placeOrder} for `buyer` (who gets the receipt and any refund), paid by the caller, with a
    ///         compliance disclosure where the machine and item need one (see {ComplianceRegistry-checkOrder}).
    /// @param buyer The buyer.
    /// @param quote The machine's quote.
    /// @param quoteSignature The machine key's EIP-712 signature of `quote`.
    /// @param maxPrice Highest price the payer accepts.
    /// @param deadline Time by which the machine must attest.
    /// @param disclosure ABI-encoded `(uint256 issuerRoot, Groth16.Proof proof)` for this order's {orderBinding}, or
    ///        empty.
    /// @return orderId The new order's id.
    function placeOrderFor(
        address buyer,
        Quote calldata quote,
        bytes calldata quoteSignature,
        uint128 maxPrice,
        uint64 deadline,
        bytes calldata disclosure
    ) external nonReentrant returns (uint256 orderId) {
        if (buyer == address(0)) revert ZeroBuyer();
        return _placeOrder(buyer, quote, quoteSignature, maxPrice, deadline, disclosure);
    }

    /// @notice {placeOrder} with cover from the insurance pool, bought in the same transaction: the caller must have
    ///         approved this contract for the price and the pool for the premium.
    /// @param quote The machine's quote.
    /// @param quoteSignature The machine key's EIP-712 signature of `quote`.
    /// @param maxPrice Highest price the buyer accepts.
    /// @param deadline Time by which the machine must attest.
    /// @param maxPremium Highest premium the buyer accepts.
    /// @return orderId The new order's id.
    /// @return premium The premium paid.
    function placeInsuredOrder(
        Quote calldata quote,
        bytes calldata quoteSignature,
        uint128 maxPrice,
        uint64 deadline,
        uint128 maxPremium
    ) external nonReentrant returns (uint256 orderId, uint128 premium) {
        return _placeInsuredOrder(msg.sender, quote, quoteSignature, maxPrice, deadline, maxPremium);
    }

    /// @notice {placeInsuredOrder} with the cover held by `holder` (who may claim on it), e.g. the buyer on another
    ///         chain of a cross-chain order. The caller is the order's buyer (it gets the receipt and any refund of
    ///         price and premium) and pays: approve this contract for the price and the pool for the premium.
    /// @param holder The policy's holder.
    /// @param quote The machine's quote.
    /// @param quoteSignature The machine key's EIP-712 signature of `quote`.
    /// @param maxPrice Highest price the caller accepts.
    /// @param deadline Time by which the machine must attest.
    /// @param maxPremium Highest premium the caller accepts.
    /// @return orderId The new order's id.
    /// @return premium The premium paid.
    function placeInsuredOrderFor(
        address holder,
        Quote calldata quote,
        bytes calldata quoteSignature,
        uint128 maxPrice,
        uint64 deadline,
        uint128 maxPremium
    ) external nonReentrant returns (uint256 orderId, uint128 premium) {
        if (holder == address(0)) revert ZeroHolder();
        return _placeInsuredOrder(holder, quote, quoteSignature, maxPrice, deadline, maxPremium);
    }

    /// @notice Settles an open order with the machine's signed attestation. Anyone may submit it.
    /// @param attestation The outcome.
    /// @param signature The machine key's EIP-712 signature of `attestation`.
    function attest(Attestation calldata attestation, bytes calldata signature) external nonReentrant {
        uint256 orderId = attestation.orderId;
        Order storage order = _openOrder(orderId);
        if (block.timestamp > order.deadline) revert OrderExpired(orderId, order.deadline);
        (address operator, address signer) = registry.machineKeys(order.machineId);
        address recovered = ECDSA.recover(_hashTypedDataV4(_hashAttestation(attestation)), signature);
        if (recovered != signer) revert InvalidAttestationSigner(orderId, recovered);

        if (attestation.outcome == uint8(Outcome.Dispensed)) {
            _dispense(orderId, order, operator, attestation.metadataDigest);
        } else if (attestation.outcome == uint8(Outcome.VendFailed)) {
            _refund(orderId, order, RefundReason.VendFailed);
        } else {
            revert InvalidOutcome(attestation.outcome);
        }
    }

    /// @notice Refunds an order whose deadline passed without an attestation. Anyone may call it.
    /// @param orderId The order.
    function refundExpired(uint256 orderId) external nonReentrant {
        Order storage order = _openOrder(orderId);
        if (block.timestamp <= order.deadline) revert OrderNotExpired(orderId, order.deadline);
        _refund(orderId, order, RefundReason.Timeout);
    }

    // ---------------------------------------------------------------- offline sales

    /// @notice Adds `amount` to the caller's prepaid allowance for offline purchases.
    /// @param amount Amount of payment token to pull.
    function depositPrepaid(uint128 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        Prepaid storage p = _prepaid[msg.sender];
        p.balance += amount;
        totalPrepaid += amount;
        emit PrepaidDeposited(msg.sender, amount, p.balance);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Asks to withdraw `amount` of the caller's allowance after `prepaidWithdrawDelay`.
    ///         Replaces any earlier request.
    /// @param amount Amount to withdraw.
    function requestPrepaidWithdrawal(uint128 amount) external {
        if (amount == 0) revert ZeroAmount();
        Prepaid storage p = _prepaid[msg.sender];
        if (amount > p.balance) revert PrepaidInsufficient(amount, p.balance);
        p.pendingWithdrawal = amount;
        p.withdrawableAt = uint64(block.timestamp) + prepaidWithdrawDelay;
        emit PrepaidWithdrawalRequested(msg.sender, amount, p.withdrawableAt);
    }

    /// @notice Withdraws the pending amount once due (less whatever offline sales charged meanwhile).
    function withdrawPrepaid() external nonReentrant {
        Prepaid storage p = _prepaid[msg.sender];
        if (p.pendingWithdrawal == 0 || block.timestamp < p.withdrawableAt) {
            revert PrepaidWithdrawalNotReady(p.withdrawableAt);
        }
        uint128 amount = p.pendingWithdrawal < p.balance ? p.pendingWithdrawal : p.balance;
        p.balance -= amount;
        p.pendingWithdrawal = 0;
        p.withdrawableAt = 0;
        totalPrepaid -= amount;
        emit PrepaidWithdrawn(msg.sender, amount, p.balance);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Settles a sale a machine made offline against a buyer's voucher. Anyone may submit it.
    /// @param voucher The buyer's voucher.
    /// @param voucherSignature The buyer's EIP-712 signature of `voucher` (EOA or ERC-1271).
    /// @param sale The machine's record of the sale.
    /// @param saleSignature The machine key's EIP-712 signature of `sale`.
    /// @return orderId The order recording the sale.
    /// @return doubleSpend Whether the voucher had already paid for another sale (this one is then unpaid).
    function settleOfflineSale(
        Voucher calldata voucher,
        bytes calldata voucherSignature,
        OfflineSale calldata sale,
        bytes calldata saleSignature
    ) external nonReentrant returns (uint256 orderId, bool doubleSpend) {
        bytes32 voucherHash = _verifyVoucher(voucher, voucherSignature, sale);
        address operator = _verifyOfflineSale(sale, saleSignature);
        return _settleOffline(voucher.buyer, voucher.nonce, voucherHash, sale, operator);
    }

    // ---------------------------------------------------------------- admin

    /// @notice Sets the protocol fee and its recipient.
    /// @param feeBps_ Fee in basis points, at most MAX_FEE_BPS.
    /// @param recipient Receives the fees.
    function setFee(uint16 feeBps_, address recipient) external onlyOwner {
        _setFee(feeBps_, recipient);
    }

    /// @notice Sets the bounds of an order's deadline, relative to when it is placed.
    /// @param minWindow Shortest window.
    /// @param maxWindow Longest window.
    function setOrderWindow(uint64 minWindow, uint64 maxWindow) external onlyOwner {
        _setOrderWindow(minWindow, maxWindow);
    }

    /// @notice Sets the delay of prepaid withdrawals.
    /// @param delay The delay in seconds.
    function setPrepaidWithdrawDelay(uint64 delay) external onlyOwner {
        prepaidWithdrawDelay = delay;
        emit PrepaidWithdrawDelayChanged(delay);
    }

    /// @notice Sets the per-machine order rate limit: a bucket of `capacity` orders refilling over `window` seconds.
    /// @param window Seconds to refill the bucket completely.
    /// @param capacity Burst size.
    function setRateLimit(uint48 window, uint208 capacity) external onlyOwner {
        _setRateLimit(window, capacity);
    }

    // ---------------------------------------------------------------- oracle prices

    /// @notice Checks the quotes of a slot against an oracle price feed from now on (see the contract notes).
    ///         The machine's operator or the owner may call it; it replaces any earlier feed of the slot.
    /// @param machineId The machine.
    /// @param slot The slot.
    /// @param aggregator The aggregator.
    /// @param feedId Its price feed, in payment-token base units (same decimals as the token).
    /// @param toleranceBps Largest distance of a quote from the feed's price, in basis points (at most 10000).
    /// @param maxAge Oldest feed value (seconds) a quote may be checked against; older refuses quotes.
    function setPriceFeed(
        uint64 machineId,
        uint16 slot,
        OracleAggregator aggregator,
        bytes32 feedId,
        uint16 toleranceBps,
        uint32 maxAge
    ) external {
        _onlyOperatorOrOwner(machineId);
        registry.slotOf(machineId, slot);
        if (address(aggregator) == address(0) || toleranceBps > 10_000 || maxAge == 0) {
            revert InvalidPriceFeed(address(aggregator), toleranceBps, maxAge);
        }
        OracleAggregator.FeedConfig memory config = aggregator.feedConfig(feedId);
        if (config.kind != OracleAggregator.FeedKind.Price) revert NotAPriceFeed(feedId);
        uint8 tokenDecimals = IERC20Metadata(address(token)).decimals();
        if (config.decimals != tokenDecimals) revert FeedDecimalsMismatch(feedId, config.decimals, tokenDecimals);
        _priceFeeds[machineId][slot] =
            PriceFeed({aggregator: aggregator, toleranceBps: toleranceBps, maxAge: maxAge, feedId: feedId});
        emit PriceFeedSet(machineId, slot, address(aggregator), feedId, toleranceBps, maxAge);
    }

    /// @notice Stops checking a slot's quotes against an oracle feed. The machine's operator or the owner may call it.
    /// @param machineId The machine.
    /// @param slot The slot.
    function clearPriceFeed(uint64 machineId, uint16 slot) external {
        _onlyOperatorOrOwner(machineId);
        delete _priceFeeds[machineId][slot];
        emit PriceFeedCleared(machineId, slot);
    }

    // ---------------------------------------------------------------- views

    /// @notice The oracle feed a slot's quotes are checked against (zero aggregator: none).
    /// @param machineId The machine.
    /// @param slot The slot.
    /// @return The feed binding.
    function priceFeedOf(uint64 machineId, uint16 slot) external view returns (PriceFeed memory) {
        return _priceFeeds[machineId][slot];
    }

    /// @notice An order.
    /// @param orderId The order.
    /// @return The order record.
    function orderOf(uint256 orderId) external view returns (Order memory) {
        return _orders[orderId];
    }

    /// @notice A buyer's prepaid allowance.
    /// @param buyer The buyer.
    /// @return The allowance record.
    function prepaidOf(address buyer) external view returns (Prepaid memory) {
        return _prepaid[buyer];
    }

    /// @notice Sets the compliance registry orders are checked against (zero: no checks).
    /// @param compliance_ The registry.
    function setCompliance(ComplianceRegistry compliance_) external onlyOwner {
        compliance = compliance_;
        emit ComplianceChanged(address(compliance_));
    }

    /// @notice Sets the insurance pool for new insured orders (zero: none); open policies settle with their pool.
    /// @param insurance_ The pool.
    function setInsurance(InsurancePool insurance_) external onlyOwner {
        insurance = insurance_;
        emit InsuranceChanged(address(insurance_));
    }

    /// @notice The pool insuring order `orderId` (zero: uninsured).
    /// @param orderId The order.
    /// @return The pool.
    function insurerOf(uint256 orderId) external view returns (InsurancePool) {
        return _insurerOf[orderId];
    }

    /// @notice What a disclosure proof (and a shielded-pool spend) names to be bound to one order: the chain,
    ///         this storefront, the buyer, the quote (whose nonce the machine uses once) and the deadline.
    /// @param buyer The order's buyer.
    /// @param quote The quote.
    /// @param deadline The order's deadline.
    /// @return A field element (keccak hash shifted right by 3 bits, below 2^253 < r).
    function orderBinding(address buyer, Quote calldata quote, uint64 deadline) external view returns (uint256) {
        return _orderBinding(buyer, quote, deadline);
    }

    /// @notice Whether machine `machineId` already used quote nonce `nonce`.
    /// @param machineId The machine.
    /// @param nonce The quote nonce.
    /// @return Whether it is used.
    function quoteUsed(uint64 machineId, uint64 nonce) external view returns (bool) {
        return _quoteUsed[machineId][nonce];
    }

    /// @notice The order that a voucher (buyer, nonce) paid for, or 0.
    /// @param buyer The buyer.
    /// @param nonce The voucher nonce.
    /// @return The order id.
    function voucherSpentBy(address buyer, uint64 nonce) external view returns (uint256) {
        return _voucherSpentBy[buyer][nonce];
    }

    /// @notice How many more orders machine `machineId` may take right now.
    /// @param machineId The machine.
    /// @return The available capacity.
    function ordersAvailable(uint64 machineId) external view returns (uint256) {
        return _orderLimiter.available(bytes32(uint256(machineId)));
    }

    /// @notice The EIP-712 digest a machine signs for `quote`.
    /// @param quote The quote.
    /// @return The digest.
    function quoteDigest(Quote calldata quote) external view returns (bytes32) {
        return _hashTypedDataV4(_hashQuote(quote));
    }

    /// @notice The EIP-712 digest a machine signs for `attestation`.
    /// @param attestation The attestation.
    /// @return The digest.
    function attestationDigest(Attestation calldata attestation) external view returns (bytes32) {
        return _hashTypedDataV4(_hashAttestation(attestation));
    }

    /// @notice The EIP-712 digest a buyer signs for `voucher` (also its identity in an {OfflineSale}).
    /// @param voucher The voucher.
    /// @return The digest.
    function voucherDigest(Voucher calldata voucher) external view returns (bytes32) {
        return _hashTypedDataV4(_hashVoucher(voucher));
    }

    /// @notice The EIP-712 digest a machine signs for `sale`.
    /// @param sale The offline sale.
    /// @return The digest.
    function offlineSaleDigest(OfflineSale calldata sale) external view returns (bytes32) {
        return _hashTypedDataV4(_hashOfflineSale(sale));
    }

    // ---------------------------------------------------------------- internals

    function _placeOrder(
        address buyer,
        Quote calldata quote,
        bytes calldata quoteSignature,
        uint128 maxPrice,
        uint64 deadline,
        bytes memory disclosure
    ) private returns (uint256 orderId) {
        uint64 itemId = _acceptQuote(quote, quoteSignature, maxPrice, deadline);
        ComplianceRegistry rules = compliance;
        if (address(rules) != address(0)) {
            rules.checkOrder(quote.machineId, itemId, _orderBinding(buyer, quote, deadline), disclosure);
        }
        orderId = ++orderCount;
        _orders[orderId] = Order({
            buyer: buyer,
            machineId: quote.machineId,
            slot: quote.slot,
            status: Status.Open,
            offline: false,
            price: quote.price,
            deadline: deadline,
            createdAt: uint64(block.timestamp)
        });
        escrowBalance += quote.price;
        emit OrderPlaced(orderId, quote.machineId, buyer, quote.slot, quote.price, deadline, quote.nonce);
        token.safeTransferFrom(msg.sender, address(this), quote.price);
    }

    /// @dev An order of the caller's with a policy held by `holder`, the premium paid by the caller.
    function _placeInsuredOrder(
        address holder,
        Quote calldata quote,
        bytes calldata quoteSignature,
        uint128 maxPrice,
        uint64 deadline,
        uint128 maxPremium
    ) private returns (uint256 orderId, uint128 premium) {
        InsurancePool pool = insurance;
        if (address(pool) == address(0)) revert InsuranceUnavailable();
        orderId = _placeOrder(msg.sender, quote, quoteSignature, maxPrice, deadline, "");
        _insurerOf[orderId] = pool;
        premium = pool.openPolicy(orderId, msg.sender, holder, quote.machineId, quote.price, deadline, maxPremium);
    }

    /// @dev Checks a quote against the buyer's terms, the rate limit, the machine's key, the slot's band and the
    ///      slot's oracle feed if it has one; consumes the quote nonce and reserves one unit.
    function _acceptQuote(Quote calldata quote, bytes calldata quoteSignature, uint128 maxPrice, uint64 deadline)
        private
        returns (uint64 itemId)
    {
        if (block.timestamp > quote.expiry) revert QuoteExpired(quote.expiry, block.timestamp);
        if (quote.price > maxPrice) revert PriceAboveMax(quote.price, maxPrice);
        uint64 earliest = uint64(block.timestamp) + minOrderWindow;
        uint64 latest = uint64(block.timestamp) + maxOrderWindow;
        if (deadline < earliest || deadline > latest) revert InvalidDeadline(deadline, earliest, latest);
        if (_quoteUsed[quote.machineId][quote.nonce]) revert QuoteAlreadyUsed(quote.machineId, quote.nonce);
        if (!_orderLimiter.tryConsume(bytes32(uint256(quote.machineId)), 1)) {
            revert MachineRateLimited(quote.machineId);
        }
        _quoteUsed[quote.machineId][quote.nonce] = true;

        MachineRegistry.Reservation memory r = registry.reserveStock(quote.machineId, quote.slot);
        address recovered = ECDSA.recover(_hashTypedDataV4(_hashQuote(quote)), quoteSignature);
        if (recovered != r.signer) revert InvalidQuoteSignature(quote.machineId, recovered);
        if (quote.price < r.minPrice || quote.price > r.maxPrice) {
            revert PriceOutOfBand(quote.price, r.minPrice, r.maxPrice);
        }
        PriceFeed storage feed = _priceFeeds[quote.machineId][quote.slot];
        if (address(feed.aggregator) != address(0)) _checkFeedPrice(quote, feed);
        return r.itemId;
    }

    function _orderBinding(address buyer, Quote calldata q, uint64 deadline) private view returns (uint256) {
        return uint256(
            keccak256(
                abi.encode(
                    block.chainid, address(this), buyer, q.machineId, q.slot, q.price, q.expiry, q.nonce, deadline
                )
            )
        ) >> 3;
    }

    /// @dev Active and fresh: the price must be within the tolerance of the feed's. Frozen (consensus override):
    ///      manual mode, the band (already checked) alone applies. Otherwise (stale, or no value yet): refused.
    function _checkFeedPrice(Quote calldata quote, PriceFeed storage feed) private view {
        (int256 value, uint64 updatedAt, OracleAggregator.FeedStatus status,) = feed.aggregator.latest(feed.feedId);
        if (status == OracleAggregator.FeedStatus.Frozen) return;
        uint32 maxAge = feed.maxAge;
        if (
            status != OracleAggregator.FeedStatus.Active || updatedAt == 0 || value <= 0
                || block.timestamp > uint256(updatedAt) + maxAge
        ) revert FeedPriceStale(quote.machineId, quote.slot, updatedAt, maxAge);
        uint256 feedPrice = uint256(value);
        uint256 diff = quote.price > feedPrice ? quote.price - feedPrice : feedPrice - quote.price;
        if (diff * 10_000 > feedPrice * feed.toleranceBps) {
            revert PriceOffFeed(quote.price, value, feed.toleranceBps);
        }
    }

    function _verifyVoucher(Voucher calldata voucher, bytes calldata signature, OfflineSale calldata sale)
        private
        view
        returns (bytes32 voucherHash)
    {
        voucherHash = _hashTypedDataV4(_hashVoucher(voucher));
        if (!SignatureChecker.isValidSignatureNow(voucher.buyer, voucherHash, signature)) {
            revert InvalidVoucherSignature(voucher.buyer);
        }
        if (sale.voucherHash != voucherHash) revert VoucherMismatch(voucherHash, sale.voucherHash);
        if (sale.price > voucher.maxAmount) revert VoucherAmountExceeded(sale.price, voucher.maxAmount);
        if (sale.soldAt > voucher.expiry || sale.soldAt > block.timestamp) {
            revert VoucherExpired(sale.soldAt, voucher.expiry);
        }
    }

    /// @dev Marks the sale settled, lowers the on-chain stock and checks the machine's signature.
    function _verifyOfflineSale(OfflineSale calldata sale, bytes calldata signature)
        private
        returns (address operator)
    {
        if (sale.metadataDigest == bytes32(0)) revert MissingMetadata(0);
        bytes32 saleDigest = _hashTypedDataV4(_hashOfflineSale(sale));
        if (_offlineSaleSettled[saleDigest]) revert OfflineSaleAlreadySettled(saleDigest);
        _offlineSaleSettled[saleDigest] = true;
        MachineRegistry.Reservation memory r = registry.consumeOfflineStock(sale.machineId, sale.slot);
        address recovered = ECDSA.recover(saleDigest, signature);
        if (recovered != r.signer) revert InvalidSaleSignature(sale.machineId, recovered);
        return r.operator;
    }

    function _settleOffline(
        address buyer,
        uint64 voucherNonce,
        bytes32 voucherHash,
        OfflineSale calldata sale,
        address operator
    ) private returns (uint256 orderId, bool doubleSpend) {
        orderId = ++orderCount;
        _orders[orderId] = Order({
            buyer: buyer,
            machineId: sale.machineId,
            slot: sale.slot,
            status: Status.Dispensed,
            offline: true,
            price: sale.price,
            deadline: sale.soldAt,
            createdAt: uint64(block.timestamp)
        });
        uint256 firstOrderId = _voucherSpentBy[buyer][voucherNonce];
        doubleSpend = firstOrderId != 0;
        if (!doubleSpend) _voucherSpentBy[buyer][voucherNonce] = orderId;

        uint128 charged = doubleSpend ? 0 : _chargePrepaid(buyer, sale.price);
        uint128 fee = _fee(charged);
        emit OfflineSaleSettled(orderId, sale.machineId, buyer, voucherHash, voucherNonce, sale.price, charged, fee);
        if (doubleSpend) emit VoucherDoubleSpent(buyer, voucherNonce, firstOrderId, orderId, sale.price);
        receipts.mint(buyer, orderId, sale.metadataDigest);
        _payout(operator, charged - fee, fee);
    }

    function _dispense(uint256 orderId, Order storage order, address operator, bytes32 metadataDigest) private {
        if (metadataDigest == bytes32(0)) revert MissingMetadata(orderId);
        uint128 price = order.price;
        address buyer = order.buyer;
        uint128 fee = _fee(price);
        order.status = Status.Dispensed;
        escrowBalance -= price;
        emit OrderDispensed(orderId, order.machineId, buyer, price, fee, metadataDigest);
        receipts.mint(buyer, orderId, metadataDigest);
        InsurancePool pool = _insurerOf[orderId];
        if (address(pool) != address(0)) pool.onOrderSettled(orderId, true);
        _payout(operator, price - fee, fee);
    }

    function _refund(uint256 orderId, Order storage order, RefundReason reason) private {
        uint128 price = order.price;
        address buyer = order.buyer;
        order.status = Status.Refunded;
        escrowBalance -= price;
        emit OrderRefunded(orderId, order.machineId, buyer, price, reason);
        registry.releaseStock(order.machineId, order.slot);
        InsurancePool pool = _insurerOf[orderId];
        if (address(pool) != address(0)) pool.onOrderSettled(orderId, false);
        token.safeTransfer(buyer, price);
    }

    function _chargePrepaid(address buyer, uint128 amount) private returns (uint128 charged) {
        Prepaid storage p = _prepaid[buyer];
        charged = amount < p.balance ? amount : p.balance;
        p.balance -= charged;
        totalPrepaid -= charged;
    }

    function _payout(address operator, uint128 toOperator, uint128 fee) private {
        if (toOperator > 0) token.safeTransfer(operator, toOperator);
        if (fee > 0) token.safeTransfer(feeRecipient, fee);
    }

    function _fee(uint128 amount) private view returns (uint128) {
        return uint128((uint256(amount) * feeBps) / 10_000);
    }

    function _onlyOperatorOrOwner(uint64 machineId) private view {
        (address operator,) = registry.machineKeys(machineId);
        if (msg.sender != operator && msg.sender != owner()) revert NotOperatorOrOwner(machineId, msg.sender);
    }

    function _openOrder(uint256 orderId) private view returns (Order storage order) {
        order = _orders[orderId];
        if (order.status == Status.None) revert OrderNotFound(orderId);
        if (order.status != Status.Open) revert OrderNotOpen(orderId, order.status);
    }

    function _setFee(uint16 feeBps_, address recipient) private {
        if (feeBps_ > MAX_FEE_BPS || recipient == address(0)) revert InvalidFee(feeBps_, recipient);
        feeBps = feeBps_;
        feeRecipient = recipient;
        emit FeeChanged(feeBps_, recipient);
    }

    function _setOrderWindow(uint64 minWindow, uint64 maxWindow) private {
        if (maxWindow == 0 || minWindow > maxWindow) revert InvalidOrderWindow(minWindow, maxWindow);
        minOrderWindow = minWindow;
        maxOrderWindow = maxWindow;
        emit OrderWindowChanged(minWindow, maxWindow);
    }

    function _setRateLimit(uint48 window, uint208 capacity) private {
        if (capacity == 0) revert InvalidRateLimit(window, capacity);
        _orderLimiter.updateSettings(window, capacity);
        emit RateLimitChanged(window, capacity);
    }

    function _hashQuote(Quote calldata q) private pure returns (bytes32) {
        return keccak256(abi.encode(QUOTE_TYPEHASH, q.machineId, q.slot, q.price, q.expiry, q.nonce));
    }

    function _hashAttestation(Attestation calldata a) private pure returns (bytes32) {
        return keccak256(abi.encode(ATTESTATION_TYPEHASH, a.orderId, a.outcome, a.metadataDigest));
    }

    function _hashVoucher(Voucher calldata v) private pure returns (bytes32) {
        return keccak256(abi.encode(VOUCHER_TYPEHASH, v.buyer, v.maxAmount, v.nonce, v.expiry));
    }

    function _hashOfflineSale(OfflineSale calldata s) private pure returns (bytes32) {
        return keccak256(
            abi.encode(OFFLINE_SALE_TYPEHASH, s.voucherHash, s.machineId, s.slot, s.price, s.soldAt, s.metadataDigest)
        );
    }
}
