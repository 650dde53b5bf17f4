// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {RateLimiter} from "@openzeppelin/contracts/utils/RateLimiter.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IRouterApp} from "./ITransport.sol";
import {CrossChainRouter} from "./CrossChainRouter.sol";
import {TokenGateway} from "./TokenGateway.sol";
import {Storefront} from "../vending/Storefront.sol";
import {ReceiptNFT} from "../vending/ReceiptNFT.sol";
import {InsurancePool} from "../insurance/InsurancePool.sol";

/// @title CrossChainCheckout
/// @notice A buyer on this chain buys from a machine on another, and the reverse. One contract per chain plays
///         both sides.
///
///         Source side (buyer's chain A): {buy} takes `maxPrice + maxPremium` from the buyer through the
///         {TokenGateway} (locked at home, burned elsewhere) and sends an order (the machine's signed quote, max
///         price, max premium, a delivery deadline `deliverBy` and a vend window) to chain B. The purchase stays
///         pending until B's outcome arrives: dispensed mints the buyer a receipt here and returns what was taken
///         minus the price and the premium paid there; anything else returns all of it.
///
///         Destination side (machine's chain B): an order that arrives by `deliverBy` is credited with the price
///         and the max premium (unlocked or minted) and placed on the {Storefront} as an ordinary order, or, with a
///         max premium, as an insured order whose cover the buyer's address holds (premium paid to the Storefront's
///         pool, the unused part of the max premium debited back at once); the machine's agent vends and attests as
///         for any order, and the Storefront pays the operator here. An order arriving after `deliverBy` or that
///         the Storefront refuses (quote used or expired, price out of band, sold out, rate limited, cover refused)
///         is rejected, nothing credited. {report}, which anyone may call and pay for, sends the outcome back once the
///         order is finished, or declares an order that never arrived expired once `deliverBy` has passed here.
///
///         Timeout safety (error path A1) follows IBC's rule: chain A never refunds on its own clock, because B may
///         have accepted the order; it refunds on B's signed word that the order is dead. Once B has reported an
///         order (as expired or finished) it is final there: a late copy of the order is rejected, and a retry of
///         the same router message through the other transport is dropped by the router. So a purchase settles or
///         refunds exactly once, and funds are never stranded while either transport works.
///
///         Orders are keyed on B by `(srcChainId, keccak256(order))` and the outcome names that hash, so an outcome
///         for a fabricated order cannot touch a real purchase.
contract CrossChainCheckout is Ownable2Step, ReentrancyGuard, IRouterApp {
    using SafeERC20 for IERC20;
    using RateLimiter for RateLimiter.RefillingBucket;

    /// @notice The checkout's app id on the router.
    bytes32 public constant APP_ID = keccak256("automat.checkout.v1");

    /// @notice Gas that must be left when an order is placed on the Storefront. A deliverer that passes less
    ///         makes the delivery revert (to be retried) instead of making the order fail and be refunded.
    uint256 public constant PLACE_ORDER_GAS = 400_000;
    /// @notice {PLACE_ORDER_GAS} for an insured order (the order, its policy and the premium).
    uint256 public constant PLACE_INSURED_ORDER_GAS = 700_000;

    uint8 private constant KIND_ORDER = 1;
    uint8 private constant KIND_OUTCOME = 2;

    /// @notice What a buyer asks for.
    struct BuyRequest {
        uint64 dstChainId;
        Storefront.Quote quote;
        bytes quoteSignature;
        uint128 maxPrice;
        uint64 deliverBy;
        uint64 vendWindow;
        /// Highest premium for cover of the order on chain B (0: no cover).
        uint128 maxPremium;
    }

    /// @notice An order as it travels from A to B.
    struct OrderMessage {
        uint64 purchaseId;
        address buyer;
        Storefront.Quote quote;
        bytes quoteSignature;
        uint128 maxPrice;
        uint64 deliverBy;
        uint64 vendWindow;
        uint128 maxPremium;
    }

    /// @notice An outcome as it travels from B to A.
    struct OutcomeMessage {
        uint64 purchaseId;
        bytes32 orderHash;
        bool dispensed;
        uint128 price;
        uint128 premium;
        uint256 remoteOrderId;
        bytes32 metadataDigest;
        RejectReason reason;
    }

    /// @notice Where a purchase is on the buyer's chain.
    enum PurchaseStatus {
        None,
        Pending,
        Settled,
        Refunded
    }

    /// @notice A purchase on the buyer's chain.
    struct Purchase {
        address buyer;
        uint64 dstChainId;
        uint64 deliverBy;
        PurchaseStatus status;
        uint128 amount;
        uint64 routerNonce;
        bytes32 orderHash;
    }

    /// @notice Where an incoming order is on the machine's chain.
    enum Fulfilment {
        None,
        Accepted,
        Rejected,
        Reported
    }

    /// @notice Why an order was not (or no longer) fulfilled.
    enum RejectReason {
        None,
        ArrivedLate,
        StorefrontRefused,
        PriceAboveMax,
        NeverArrived,
        VendFailedOrExpired
    }

    /// @notice An incoming order on the machine's chain.
    struct Incoming {
        Fulfilment state;
        RejectReason reason;
        uint128 price;
        uint128 premium;
        uint256 orderId;
    }

    /// @notice The router.
    CrossChainRouter public immutable router;
    /// @notice The token gateway (this contract holds its spender role).
    TokenGateway public immutable gateway;
    /// @notice The payment token here.
    IERC20 public immutable token;
    /// @notice The local storefront (machine side).
    Storefront public immutable storefront;
    /// @notice Receipts of cross-chain purchases made here (this contract holds their minter role).
    ReceiptNFT public immutable receipts;
    /// @notice Longest delivery deadline a buyer may set, in seconds from now.
    uint64 public maxDeliveryWindow;
    /// @notice Purchases made here.
    uint64 public purchaseCount;

    mapping(uint256 purchaseId => Purchase) private _purchases;
    /// @dev Expiries of orders never seen here cannot be told from fabricated ones; each costs its caller a
    ///      transport fee and they draw from their own per-chain bucket, so they can never use up the router's
    ///      outbound capacity that outcomes and transfers need.
    RateLimiter.RefillingBucket private _expiries;
    mapping(bytes32 key => Incoming) private _incoming;
    /// @notice Storefront order id => incoming key, for orders this contract placed.
    mapping(uint256 orderId => bytes32) public incomingKeyOf;

    /// @notice A purchase left for `dstChainId`; `order` is the exact order message (its keccak256 is `orderHash`).
    event PurchaseOpened(
        uint256 indexed purchaseId,
        address indexed buyer,
        uint64 indexed dstChainId,
        uint128 amount,
        uint64 deliverBy,
        uint64 routerNonce,
        bytes32 orderHash,
        bytes order
    );
    /// @notice The machine dispensed: receipt minted, `refund` (the amount taken minus price and premium) returned.
    event PurchaseSettled(
        uint256 indexed purchaseId, address indexed buyer, uint128 price, uint128 premium, uint128 refund, uint256 remoteOrderId
    );
    /// @notice The purchase was refunded in full.
    event PurchaseRefunded(uint256 indexed purchaseId, address indexed buyer, uint128 amount, RejectReason reason);
    /// @notice An outcome did not match a pending purchase and changed nothing.
    event OutcomeIgnored(uint256 indexed purchaseId, uint64 indexed srcChainId, bytes32 orderHash);
    /// @notice An order from `srcChainId` became Storefront order `orderId` (insured for `premium`, if not 0).
    event OrderAccepted(
        bytes32 indexed key, uint64 indexed srcChainId, uint64 purchaseId, uint256 orderId, uint128 price, uint128 premium
    );
    /// @notice An order from `srcChainId` was rejected on arrival (`detail`: the Storefront's revert data, if any).
    event OrderRejected(bytes32 indexed key, uint64 indexed srcChainId, uint64 purchaseId, RejectReason reason, bytes detail);
    /// @notice A copy of an order that was already handled arrived and was ignored.
    event OrderIgnored(bytes32 indexed key, uint64 indexed srcChainId, uint64 purchaseId, Fulfilment state);
    /// @notice The outcome of an order went back to its source chain.
    event OutcomeReported(
        bytes32 indexed key, uint64 indexed srcChainId, uint64 purchaseId, bool dispensed, RejectReason reason, uint64 routerNonce
    );
    /// @notice The maximum delivery window changed.
    event MaxDeliveryWindowSet(uint64 window);
    /// @notice The limit on expiries of never-seen orders changed.
    event ExpiryRateLimitSet(uint48 window, uint208 capacity);

    /// @notice Only the router may deliver.
    error OnlyRouter(address caller);
    /// @notice A purchase must go to another chain.
    error SameChain();
    /// @notice The delivery deadline is in the past or too far ahead.
    error InvalidDeliveryDeadline(uint64 deliverBy, uint64 latest);
    /// @notice The quote's price exceeds the buyer's maximum.
    error PriceAboveMax(uint128 price, uint128 maxPrice);
    /// @notice The order is not finished yet (report later).
    error NotFinished(bytes32 key);
    /// @notice The order was already reported.
    error AlreadyReported(bytes32 key);
    /// @notice An order that never arrived can be declared expired only after its deadline.
    error DeadlineNotPassed(uint64 deliverBy, uint256 now_);
    /// @notice Too little gas was given to place the order, or placing it ran out of gas (`needed`: at least; the
    ///         delivery can be retried with more).
    error InsufficientGas(uint256 left, uint256 needed);
    /// @notice Too many expiries of never-seen orders toward that chain right now (try again later).
    error ExpiryRateLimited(uint64 srcChainId);
    /// @notice The message kind is unknown.
    error UnknownKind(uint8 kind);

    constructor(
        address owner_,
        address router_,
        address gateway_,
        address storefront_,
        address receipts_,
        uint64 maxDeliveryWindow_
    ) Ownable(owner_) {
        router = CrossChainRouter(router_);
        gateway = TokenGateway(gateway_);
        token = gateway.token();
        storefront = Storefront(storefront_);
        receipts = ReceiptNFT(receipts_);
        maxDeliveryWindow = maxDeliveryWindow_;
        emit MaxDeliveryWindowSet(maxDeliveryWindow_);
        _setExpiryRateLimit(1 hours, 1_000);
    }

    // ---------------------------------------------------------------- buyer side

    /// @notice Buys one unit from a machine on `req.dstChainId` at the price in its signed quote, paying at most
    ///         `req.maxPrice`, and with `req.maxPremium` > 0 cover from chain B's insurance pool for at most that
    ///         premium, held by the caller's address there (approve the gateway for `maxPrice + maxPremium`). The
    ///         order must reach chain B by `req.deliverBy`; the machine then has `req.vendWindow` seconds. Pay the
    ///         router fee ({quoteBuy}) as value.
    function buy(BuyRequest calldata req, uint8 transport) external payable nonReentrant returns (uint256 purchaseId) {
        if (req.dstChainId == block.chainid) revert SameChain();
        if (req.quote.price > req.maxPrice) revert PriceAboveMax(req.quote.price, req.maxPrice);
        uint64 latest = uint64(block.timestamp) + maxDeliveryWindow;
        if (req.deliverBy <= block.timestamp || req.deliverBy > latest) {
            revert InvalidDeliveryDeadline(req.deliverBy, latest);
        }
        uint128 amount = req.maxPrice + req.maxPremium;
        purchaseId = ++purchaseCount;
        bytes memory order = _encodeOrder(req, uint64(purchaseId), msg.sender);
        bytes32 orderHash = keccak256(order);
        Purchase storage p = _purchases[purchaseId];
        p.buyer = msg.sender;
        p.dstChainId = req.dstChainId;
        p.deliverBy = req.deliverBy;
        p.status = PurchaseStatus.Pending;
        p.amount = amount;
        p.orderHash = orderHash;
        gateway.debit(msg.sender, amount, req.dstChainId);
        uint64 nonce = router.send{value: msg.value}(req.dstChainId, transport, abi.encode(KIND_ORDER, order), msg.sender);
        p.routerNonce = nonce;
        emit PurchaseOpened(purchaseId, msg.sender, req.dstChainId, amount, req.deliverBy, nonce, orderHash, order);
    }

    /// @notice The router fee for {buy} with these arguments.
    function quoteBuy(BuyRequest calldata req, uint8 transport) external view returns (uint256) {
        bytes memory order = _encodeOrder(req, purchaseCount + 1, msg.sender);
        return router.quote(req.dstChainId, transport, APP_ID, abi.encode(KIND_ORDER, order));
    }

    // -------------------------------------------------------------- machine side

    /// @notice Sends the outcome of the order `order` from `srcChainId` back through `transport` (pay its fee):
    ///         its Storefront result once finished, its rejection, or, when it never arrived and `deliverBy` has
    ///         passed here, its expiry (after which a late copy is rejected). Anyone may call; once per order.
    function report(uint64 srcChainId, bytes calldata order, uint8 transport)
        external
        payable
        nonReentrant
        returns (uint64 routerNonce)
    {
        bytes32 orderHash = keccak256(order);
        bytes32 key = incomingKey(srcChainId, orderHash);
        OrderMessage memory m = abi.decode(order, (OrderMessage));
        Incoming storage inc = _incoming[key];
        OutcomeMessage memory out = OutcomeMessage({
            purchaseId: m.purchaseId,
            orderHash: orderHash,
            dispensed: false,
            price: 0,
            premium: 0,
            remoteOrderId: inc.orderId,
            metadataDigest: bytes32(0),
            reason: inc.reason
        });
        if (inc.state == Fulfilment.Reported) revert AlreadyReported(key);
        if (inc.state == Fulfilment.None) {
            if (block.timestamp <= m.deliverBy) revert DeadlineNotPassed(m.deliverBy, block.timestamp);
            if (!_expiries.tryConsume(bytes32(uint256(srcChainId)), 1)) revert ExpiryRateLimited(srcChainId);
            out.reason = RejectReason.NeverArrived;
            inc.reason = RejectReason.NeverArrived;
        } else if (inc.state == Fulfilment.Accepted) {
            Storefront.Order memory o = storefront.orderOf(inc.orderId);
            if (o.status == Storefront.Status.Open) revert NotFinished(key);
            if (o.status == Storefront.Status.Dispensed) {
                out.dispensed = true;
                out.price = inc.price;
                out.premium = inc.premium;
                out.metadataDigest = storefront.receipts().metadataDigest(inc.orderId);
            } else {
                out.reason = RejectReason.VendFailedOrExpired;
                inc.reason = RejectReason.VendFailedOrExpired;
            }
        }
        inc.state = Fulfilment.Reported;
        uint256 refunded = uint256(inc.price) + inc.premium;
        if (!out.dispensed && refunded > 0) {
            // The Storefront refunded this contract the price and its pool the premium: both go back to the
            // buyer's chain.
            _approveGateway(refunded);
            gateway.debit(address(this), refunded, srcChainId);
        }
        routerNonce = router.send{value: msg.value}(srcChainId, transport, abi.encode(KIND_OUTCOME, abi.encode(out)), msg.sender);
        emit OutcomeReported(key, srcChainId, m.purchaseId, out.dispensed, out.reason, routerNonce);
    }

    /// @notice The router fee for reporting on `order` (as {report} would send it).
    function quoteReport(uint64 srcChainId, bytes calldata order, uint8 transport) external view returns (uint256) {
        OutcomeMessage memory out;
        out.orderHash = keccak256(order);
        return router.quote(srcChainId, transport, APP_ID, abi.encode(KIND_OUTCOME, abi.encode(out)));
    }

    // ------------------------------------------------------------------ inbound

    /// @inheritdoc IRouterApp
    function onRouterMessage(uint64 srcChainId, uint64, bytes calldata payload) external nonReentrant {
        if (msg.sender != address(router)) revert OnlyRouter(msg.sender);
        (uint8 kind, bytes memory body) = abi.decode(payload, (uint8, bytes));
        if (kind == KIND_ORDER) _acceptOrder(srcChainId, body);
        else if (kind == KIND_OUTCOME) _applyOutcome(srcChainId, abi.decode(body, (OutcomeMessage)));
        else revert UnknownKind(kind);
    }

    // -------------------------------------------------------------------- admin

    /// @notice Sets the longest delivery window buyers may ask for.
    function setMaxDeliveryWindow(uint64 window) external onlyOwner {
        maxDeliveryWindow = window;
        emit MaxDeliveryWindowSet(window);
    }

    /// @notice Sets how many never-seen orders may be declared expired toward each chain per `window` seconds.
    function setExpiryRateLimit(uint48 window, uint208 capacity) external onlyOwner {
        _setExpiryRateLimit(window, capacity);
    }

    // -------------------------------------------------------------------- views

    /// @notice A purchase made here.
    function purchaseOf(uint256 purchaseId) external view returns (Purchase memory) {
        return _purchases[purchaseId];
    }

    /// @notice An incoming order's state here.
    function incomingOf(bytes32 key) external view returns (Incoming memory) {
        return _incoming[key];
    }

    /// @notice The key of the order with hash `orderHash` from `srcChainId`.
    function incomingKey(uint64 srcChainId, bytes32 orderHash) public pure returns (bytes32) {
        return keccak256(abi.encode(srcChainId, orderHash));
    }

    // ---------------------------------------------------------------- internals

    function _acceptOrder(uint64 srcChainId, bytes memory order) private {
        bytes32 key = incomingKey(srcChainId, keccak256(order));
        OrderMessage memory m = abi.decode(order, (OrderMessage));
        Incoming storage inc = _incoming[key];
        if (inc.state != Fulfilment.None) {
            emit OrderIgnored(key, srcChainId, m.purchaseId, inc.state);
            return;
        }
        if (block.timestamp > m.deliverBy) return _reject(inc, key, srcChainId, m.purchaseId, RejectReason.ArrivedLate, "");
        if (m.quote.price > m.maxPrice) {
            return _reject(inc, key, srcChainId, m.purchaseId, RejectReason.PriceAboveMax, "");
        }
        uint256 needed = m.maxPremium == 0 ? PLACE_ORDER_GAS : PLACE_INSURED_ORDER_GAS;
        if (gasleft() < needed) revert InsufficientGas(gasleft(), needed);
        // Effects first: the state is final before any external call.
        inc.state = Fulfilment.Accepted;
        inc.price = m.quote.price;
        uint256 credited = uint256(m.quote.price) + m.maxPremium;
        gateway.credit(address(this), credited, srcChainId);
        token.forceApprove(address(storefront), m.quote.price);
        (bool placed, uint256 orderId, uint128 premium, bytes memory detail) = _place(m);
        if (!placed) {
            token.forceApprove(address(storefront), 0);
            _approveGateway(credited);
            gateway.debit(address(this), credited, srcChainId);
            inc.price = 0;
            return _reject(inc, key, srcChainId, m.purchaseId, RejectReason.StorefrontRefused, detail);
        }
        inc.premium = premium;
        inc.orderId = orderId;
        incomingKeyOf[orderId] = key;
        emit OrderAccepted(key, srcChainId, m.purchaseId, orderId, m.quote.price, premium);
        // The unused part of the max premium goes straight back (burned or locked again), so only what was paid
        // stays credited here.
        uint128 unused = m.maxPremium - premium;
        if (unused > 0) {
            _approveGateway(unused);
            gateway.debit(address(this), unused, srcChainId);
        }
    }

    /// @dev Places `m` on the Storefront, insured for the buyer's address when it carries a max premium (the pool
    ///      pulls the premium from this contract). Never reverts: a refusal returns the Storefront's revert data.
    function _place(OrderMessage memory m)
        private
        returns (bool placed, uint256 orderId, uint128 premium, bytes memory detail)
    {
        uint64 deadline = uint64(block.timestamp) + m.vendWindow;
        uint256 gasBefore = gasleft();
        if (m.maxPremium == 0) {
            try storefront.placeOrder(m.quote, m.quoteSignature, m.maxPrice, deadline) returns (uint256 id) {
                return (true, id, 0, "");
            } catch (bytes memory reason) {
                _revertIfOutOfGas(gasBefore);
                return (false, 0, 0, reason);
            }
        }
        InsurancePool pool = storefront.insurance();
        // No pool: the Storefront refuses the order below (an approval of the zero address would revert here).
        if (address(pool) != address(0)) token.forceApprove(address(pool), m.maxPremium);
        try storefront.placeInsuredOrderFor(m.buyer, m.quote, m.quoteSignature, m.maxPrice, deadline, m.maxPremium)
        returns (uint256 id, uint128 paid) {
            placed = true;
            (orderId, premium) = (id, paid);
        } catch (bytes memory reason) {
            _revertIfOutOfGas(gasBefore);
            detail = reason;
        }
        if (address(pool) != address(0)) token.forceApprove(address(pool), 0);
    }

    /// @dev A Storefront call that failed leaving less than 1/32 of the gas there was before it ran out of gas (it
    ///      was given at most 63/64 of it; a refusal leaves far more): the delivery reverts, to be retried with more
    ///      gas, instead of rejecting the order for a deliverer's stinginess (e.g. a pool with many IOUs to pay).
    function _revertIfOutOfGas(uint256 gasBefore) private view {
        if (gasleft() < gasBefore / 32) revert InsufficientGas(gasleft(), gasBefore);
    }

    function _reject(
        Incoming storage inc,
        bytes32 key,
        uint64 srcChainId,
        uint64 purchaseId,
        RejectReason reason,
        bytes memory detail
    ) private {
        inc.state = Fulfilment.Rejected;
        inc.reason = reason;
        emit OrderRejected(key, srcChainId, purchaseId, reason, detail);
    }

    function _applyOutcome(uint64 srcChainId, OutcomeMessage memory out) private {
        Purchase storage p = _purchases[out.purchaseId];
        if (p.status != PurchaseStatus.Pending || p.dstChainId != srcChainId || p.orderHash != out.orderHash) {
            emit OutcomeIgnored(out.purchaseId, srcChainId, out.orderHash);
            return;
        }
        address buyer = p.buyer;
        uint128 amount = p.amount;
        if (out.dispensed && uint256(out.price) + out.premium <= amount) {
            p.status = PurchaseStatus.Settled;
            uint128 refund = amount - out.price - out.premium;
            emit PurchaseSettled(out.purchaseId, buyer, out.price, out.premium, refund, out.remoteOrderId);
            receipts.mint(buyer, out.purchaseId, out.metadataDigest);
            if (refund > 0) gateway.credit(buyer, refund, srcChainId);
        } else {
            p.status = PurchaseStatus.Refunded;
            emit PurchaseRefunded(out.purchaseId, buyer, amount, out.reason);
            gateway.credit(buyer, amount, srcChainId);
        }
    }

    function _setExpiryRateLimit(uint48 window, uint208 capacity) private {
        _expiries.updateSettings(window, capacity);
        emit ExpiryRateLimitSet(window, capacity);
    }

    function _encodeOrder(BuyRequest calldata req, uint64 purchaseId, address buyer) private pure returns (bytes memory) {
        return abi.encode(
            OrderMessage({
                purchaseId: purchaseId,
                buyer: buyer,
                quote: req.quote,
                quoteSignature: req.quoteSignature,
                maxPrice: req.maxPrice,
                deliverBy: req.deliverBy,
                vendWindow: req.vendWindow,
                maxPremium: req.maxPremium
            })
        );
    }

    function _approveGateway(uint256 amount) private {
        token.forceApprove(address(gateway), amount);
    }
}
