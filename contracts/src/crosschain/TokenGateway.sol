// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {RateLimiter} from "@openzeppelin/contracts/utils/RateLimiter.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IRouterApp} from "./ITransport.sol";
import {CrossChainRouter} from "./CrossChainRouter.sol";

/// @notice The mint and burn a gateway needs from the payment token on a chain that is not its home.
interface IMintBurnToken {
    /// @notice Mints `amount` to `to` (the gateway holds the minter role).
    function mint(address to, uint256 amount) external;
    /// @notice Burns `amount` of `from`'s tokens within the caller's allowance.
    function burnFrom(address from, uint256 amount) external;
}

/// @title TokenGateway
/// @notice The payment token across chains, in the OFT-adapter pattern: on the home chain the gateway locks
///         tokens that leave and unlocks tokens that come back; on every other chain it mints tokens that arrive
///         and burns tokens that leave (it is the only minter there). Transfers travel as {CrossChainRouter}
///         messages, so a transfer is credited at most once whichever transport (or retry) delivers it.
///
///         Invariant: the sum over other chains of what their gateways minted and did not burn never exceeds what
///         the home gateway holds locked. A debit always happens before its message leaves; a credit only when a
///         message arrives, once.
///
///         The token must be a contract and must move exactly the amounts asked (a fee-on-transfer or rebasing
///         token is refused at the first lock). Value rate limits apply per chain, outbound and inbound.
///         {CrossChainCheckout} debits and credits through the gateway for orders ({SPENDER_ROLE}).
contract TokenGateway is AccessControl, ReentrancyGuard, IRouterApp {
    using SafeERC20 for IERC20;
    using RateLimiter for RateLimiter.RefillingBucket;

    /// @notice The gateway's app id on the router.
    bytes32 public constant APP_ID = keccak256("automat.token-gateway.v1");
    /// @notice May debit and credit on behalf of orders (the checkout).
    bytes32 public constant SPENDER_ROLE = keccak256("SPENDER_ROLE");

    /// @notice The payment token here.
    IERC20 public immutable token;
    /// @notice True on the home chain (lock/unlock), false elsewhere (mint/burn).
    bool public immutable isHome;
    /// @notice The router.
    CrossChainRouter public immutable router;
    /// @notice Home: tokens held for other chains.
    uint256 public locked;
    /// @notice Elsewhere: tokens minted here and not yet burned.
    uint256 public minted;

    RateLimiter.RefillingBucket private _outbound;
    RateLimiter.RefillingBucket private _inbound;

    /// @notice Tokens left this chain for `dstChainId` (locked at home or burned).
    event Debited(address indexed from, uint64 indexed dstChainId, uint256 amount);
    /// @notice Tokens arrived from `srcChainId` (unlocked at home or minted).
    event Credited(address indexed to, uint64 indexed srcChainId, uint256 amount);
    /// @notice A bridge transfer was sent.
    event TransferSent(address indexed from, uint64 indexed dstChainId, address indexed to, uint256 amount, uint64 nonce);
    /// @notice Value rate limits changed.
    event RateLimitsSet(uint48 window, uint208 outboundCapacity, uint208 inboundCapacity);

    /// @notice The token address is zero.
    error ZeroToken();
    /// @notice The token address has no code.
    error TokenNotAContract(address token);
    /// @notice The token moved a different amount than asked (fee-on-transfer, rebasing).
    error FeeOnTransferToken(uint256 asked, uint256 received);
    /// @notice More would be unlocked at home than is locked (cannot happen with honest peers).
    error InsufficientLocked(uint256 requested, uint256 locked);
    /// @notice More would be burned than was minted here.
    error InsufficientMinted(uint256 requested, uint256 minted);
    /// @notice Only the router may deliver.
    error OnlyRouter(address caller);
    /// @notice Zero amount or recipient.
    error InvalidTransfer();
    /// @notice The outbound value limit to that chain is exhausted.
    error OutboundValueLimited(uint64 chainId, uint256 amount, uint256 available);
    /// @notice The inbound value limit from that chain is exhausted (the message stays deliverable later).
    error InboundValueLimited(uint64 chainId, uint256 amount, uint256 available);

    constructor(
        address admin,
        address token_,
        bool isHome_,
        address router_,
        uint48 window,
        uint208 outboundCapacity,
        uint208 inboundCapacity
    ) {
        if (token_ == address(0)) revert ZeroToken();
        if (token_.code.length == 0) revert TokenNotAContract(token_);
        token = IERC20(token_);
        isHome = isHome_;
        router = CrossChainRouter(router_);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setRateLimits(window, outboundCapacity, inboundCapacity);
    }

    /// @notice Sends `amount` of the caller's tokens to `to` on `dstChainId` through `transport`; pay the
    ///         router's fee as value. Approve the gateway first (it locks or burns from the caller).
    function bridge(uint64 dstChainId, address to, uint256 amount, uint8 transport)
        external
        payable
        nonReentrant
        returns (uint64 nonce)
    {
        if (amount == 0 || to == address(0)) revert InvalidTransfer();
        _debit(msg.sender, amount, dstChainId);
        nonce = router.send{value: msg.value}(dstChainId, transport, abi.encode(to, amount), msg.sender);
        emit TransferSent(msg.sender, dstChainId, to, amount, nonce);
    }

    /// @notice Takes `amount` from `from` for a message to `dstChainId` (checkout).
    function debit(address from, uint256 amount, uint64 dstChainId) external onlyRole(SPENDER_ROLE) nonReentrant {
        _debit(from, amount, dstChainId);
    }

    /// @notice Gives `amount` to `to` for a message from `srcChainId` (checkout).
    function credit(address to, uint256 amount, uint64 srcChainId) external onlyRole(SPENDER_ROLE) nonReentrant {
        _credit(to, amount, srcChainId);
    }

    /// @inheritdoc IRouterApp
    function onRouterMessage(uint64 srcChainId, uint64, bytes calldata payload) external nonReentrant {
        if (msg.sender != address(router)) revert OnlyRouter(msg.sender);
        (address to, uint256 amount) = abi.decode(payload, (address, uint256));
        _credit(to, amount, srcChainId);
    }

    /// @notice Sets the per-chain value limits (token units per `window` seconds, refilling linearly).
    function setRateLimits(uint48 window, uint208 outboundCapacity, uint208 inboundCapacity)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        _setRateLimits(window, outboundCapacity, inboundCapacity);
    }

    /// @notice Value that may still leave for `chainId` now.
    function outboundAvailable(uint64 chainId) external view returns (uint256) {
        return _outbound.available(bytes32(uint256(chainId)));
    }

    /// @notice Value that may still arrive from `chainId` now.
    function inboundAvailable(uint64 chainId) external view returns (uint256) {
        return _inbound.available(bytes32(uint256(chainId)));
    }

    // ---------------------------------------------------------------- internals

    function _debit(address from, uint256 amount, uint64 dstChainId) private {
        bytes32 key = bytes32(uint256(dstChainId));
        if (!_outbound.tryConsume(key, amount)) {
            revert OutboundValueLimited(dstChainId, amount, _outbound.available(key));
        }
        emit Debited(from, dstChainId, amount);
        if (isHome) {
            locked += amount;
            uint256 before = token.balanceOf(address(this));
            token.safeTransferFrom(from, address(this), amount);
            uint256 received = token.balanceOf(address(this)) - before;
            if (received != amount) revert FeeOnTransferToken(amount, received);
        } else {
            if (amount > minted) revert InsufficientMinted(amount, minted);
            minted -= amount;
            IMintBurnToken(address(token)).burnFrom(from, amount);
        }
    }

    function _credit(address to, uint256 amount, uint64 srcChainId) private {
        bytes32 key = bytes32(uint256(srcChainId));
        if (!_inbound.tryConsume(key, amount)) {
            revert InboundValueLimited(srcChainId, amount, _inbound.available(key));
        }
        emit Credited(to, srcChainId, amount);
        if (isHome) {
            if (amount > locked) revert InsufficientLocked(amount, locked);
            locked -= amount;
            token.safeTransfer(to, amount);
        } else {
            minted += amount;
            IMintBurnToken(address(token)).mint(to, amount);
        }
    }

    function _setRateLimits(uint48 window, uint208 outboundCapacity, uint208 inboundCapacity) private {
        _outbound.updateSettings(window, outboundCapacity);
        _inbound.updateSettings(window, inboundCapacity);
        emit RateLimitsSet(window, outboundCapacity, inboundCapacity);
    }
}
