// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title MachineRegistry
/// @notice Who sells what, where. Operators register with a stake in the payment token; each operator manages its
///         own machines: the key the machine signs with, its location (geohash) and jurisdiction, its slots (item,
///         stock, price band), whether it is active and how much it may sell offline during a network partition.
///         The Storefront (STOREFRONT_ROLE) reserves and releases stock; the court and the network coordinator
///         (REPUTATION_ROLE) move a machine's reputation.
contract MachineRegistry is AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Role of the Storefront: reserves, releases and consumes stock.
    bytes32 public constant STOREFRONT_ROLE = keccak256("STOREFRONT_ROLE");
    /// @notice Role allowed to change reputation (court, network coordinator).
    bytes32 public constant REPUTATION_ROLE = keccak256("REPUTATION_ROLE");
    /// @notice Reputation of a new machine.
    uint16 public constant INITIAL_REPUTATION = 500;
    /// @notice Highest reputation.
    uint16 public constant MAX_REPUTATION = 1000;
    /// @notice Most slots a machine may have.
    uint16 public constant MAX_SLOTS = 64;

    /// @notice An operator's standing.
    struct Operator {
        uint256 stake;
        uint32 activeMachines;
        bool registered;
    }

    /// @notice One slot of a machine: what it holds, how many, and the price band quotes must fall in.
    struct Slot {
        uint64 itemId;
        uint32 stock;
        uint128 minPrice;
        uint128 maxPrice;
    }

    /// @notice A machine.
    struct Machine {
        address operator;
        address signer;
        bytes8 geohash;
        bytes2 jurisdiction;
        bool active;
        uint16 reputation;
        uint16 slotCount;
        uint128 offlineCreditCap;
    }

    /// @notice What the Storefront needs to know about a slot it reserved or consumed.
    struct Reservation {
        address operator;
        address signer;
        uint64 itemId;
        uint128 minPrice;
        uint128 maxPrice;
    }

    /// @notice The token stakes are paid in.
    IERC20 public immutable stakeToken;
    /// @notice Stake an operator must hold to register and to run machines.
    uint256 public minOperatorStake;
    /// @notice Number of machines ever registered; ids run from 1 to this.
    uint64 public machineCount;

    mapping(address operator => Operator) private _operators;
    mapping(uint64 machineId => Machine) private _machines;
    mapping(uint64 machineId => mapping(uint16 slot => Slot)) private _slots;

    /// @notice An operator registered.
    event OperatorRegistered(address indexed operator, uint256 stake);
    /// @notice An operator added stake.
    event StakeAdded(address indexed operator, uint256 amount, uint256 stake);
    /// @notice An operator withdrew stake.
    event StakeWithdrawn(address indexed operator, uint256 amount, uint256 stake);
    /// @notice The minimum operator stake changed.
    event MinOperatorStakeChanged(uint256 minStake);
    /// @notice A machine registered.
    event MachineRegistered(
        uint64 indexed machineId, address indexed operator, address signer, bytes8 geohash, bytes2 jurisdiction
    );
    /// @notice A machine's signing key changed.
    event MachineSignerChanged(uint64 indexed machineId, address signer);
    /// @notice A machine was switched on or off.
    event MachineActiveChanged(uint64 indexed machineId, bool active);
    /// @notice A machine moved.
    event MachineLocationChanged(uint64 indexed machineId, bytes8 geohash, bytes2 jurisdiction);
    /// @notice A machine's offline credit cap changed.
    event OfflineCreditCapChanged(uint64 indexed machineId, uint128 cap);
    /// @notice A slot's item or price band changed (or the slot was added).
    event SlotConfigured(uint64 indexed machineId, uint16 indexed slot, uint64 itemId, uint128 minPrice, uint128 maxPrice);
    /// @notice A slot's stock changed.
    event StockChanged(uint64 indexed machineId, uint16 indexed slot, uint32 stock);
    /// @notice A machine's reputation changed.
    event ReputationChanged(uint64 indexed machineId, uint16 previous, uint16 current);

    /// @notice The caller is already a registered operator.
    error OperatorAlreadyRegistered(address operator);
    /// @notice The caller is not a registered operator.
    error OperatorNotRegistered(address operator);
    /// @notice The stake is below the minimum.
    error StakeTooLow(uint256 stake, uint256 minStake);
    /// @notice More stake was asked for than the operator holds.
    error StakeInsufficient(uint256 requested, uint256 stake);
    /// @notice No machine has this id.
    error MachineNotFound(uint64 machineId);
    /// @notice The caller does not operate this machine.
    error NotMachineOperator(uint64 machineId, address caller);
    /// @notice The machine is switched off.
    error MachineInactive(uint64 machineId);
    /// @notice The zero address cannot sign.
    error InvalidSigner();
    /// @notice The machine has no such slot (or a slot index would leave a gap).
    error SlotNotFound(uint64 machineId, uint16 slot);
    /// @notice Too many slots.
    error TooManySlots(uint256 count, uint16 max);
    /// @notice A price band is empty or zero.
    error InvalidPriceBand(uint128 minPrice, uint128 maxPrice);
    /// @notice The slot is empty.
    error SoldOut(uint64 machineId, uint16 slot);
    /// @notice The offline credit cap exceeds the operator's stake.
    error CreditCapAboveStake(uint128 cap, uint256 stake);

    /// @param stakeToken_ The token stakes are paid in (the payment token).
    /// @param minOperatorStake_ Stake needed to register.
    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(IERC20 stakeToken_, uint256 minOperatorStake_, address admin) {
        stakeToken = stakeToken_;
        minOperatorStake = minOperatorStake_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        emit MinOperatorStakeChanged(minOperatorStake_);
    }

    modifier onlyOperatorOf(uint64 machineId) {
        _onlyOperatorOf(machineId);
        _;
    }

    // ---------------------------------------------------------------- operators

    /// @notice Registers the caller as an operator, pulling `stake` of the stake token.
    /// @param stake Amount to stake; at least `minOperatorStake`.
    function registerOperator(uint256 stake) external nonReentrant {
        Operator storage op = _operators[msg.sender];
        if (op.registered) revert OperatorAlreadyRegistered(msg.sender);
        if (stake < minOperatorStake) revert StakeTooLow(stake, minOperatorStake);
        op.registered = true;
        op.stake = stake;
        emit OperatorRegistered(msg.sender, stake);
        stakeToken.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @notice Adds `amount` to the caller's stake.
    /// @param amount Amount of stake token to pull.
    function addStake(uint256 amount) external nonReentrant {
        Operator storage op = _registered(msg.sender);
        op.stake += amount;
        emit StakeAdded(msg.sender, amount, op.stake);
        stakeToken.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Withdraws `amount` of the caller's stake. While any of its machines is active the remainder must
    ///         stay at or above `minOperatorStake`.
    /// @param amount Amount to withdraw.
    function withdrawStake(uint256 amount) external nonReentrant {
        Operator storage op = _registered(msg.sender);
        if (amount > op.stake) revert StakeInsufficient(amount, op.stake);
        uint256 remaining = op.stake - amount;
        if (op.activeMachines > 0 && remaining < minOperatorStake) revert StakeTooLow(remaining, minOperatorStake);
        op.stake = remaining;
        emit StakeWithdrawn(msg.sender, amount, remaining);
        stakeToken.safeTransfer(msg.sender, amount);
    }

    /// @notice Sets the stake needed to register and run machines.
    /// @param minStake The new minimum.
    function setMinOperatorStake(uint256 minStake) external onlyRole(DEFAULT_ADMIN_ROLE) {
        minOperatorStake = minStake;
        emit MinOperatorStakeChanged(minStake);
    }

    // ---------------------------------------------------------------- machines

    /// @notice Registers a machine operated by the caller.
    /// @param signer Key the machine signs quotes, attestations and offline sales with.
    /// @param geohash Location as a geohash (ASCII, up to 8 characters, left aligned).
    /// @param jurisdiction ISO 3166-1 alpha-2 country code.
    /// @param slots Initial slots (item, stock, price band).
    /// @param offlineCreditCap Most the machine may sell on vouchers while it cannot reach the chain.
    /// @return machineId The new machine's id.
    function registerMachine(
        address signer,
        bytes8 geohash,
        bytes2 jurisdiction,
        Slot[] calldata slots,
        uint128 offlineCreditCap
    ) external returns (uint64 machineId) {
        Operator storage op = _registered(msg.sender);
        if (op.stake < minOperatorStake) revert StakeTooLow(op.stake, minOperatorStake);
        if (signer == address(0)) revert InvalidSigner();
        if (slots.length > MAX_SLOTS) revert TooManySlots(slots.length, MAX_SLOTS);
        if (offlineCreditCap > op.stake) revert CreditCapAboveStake(offlineCreditCap, op.stake);
        machineId = ++machineCount;
        _machines[machineId] = Machine({
            operator: msg.sender,
            signer: signer,
            geohash: geohash,
            jurisdiction: jurisdiction,
            active: true,
            reputation: INITIAL_REPUTATION,
            slotCount: uint16(slots.length),
            offlineCreditCap: offlineCreditCap
        });
        op.activeMachines += 1;
        emit MachineRegistered(machineId, msg.sender, signer, geohash, jurisdiction);
        emit MachineActiveChanged(machineId, true);
        emit OfflineCreditCapChanged(machineId, offlineCreditCap);
        emit ReputationChanged(machineId, 0, INITIAL_REPUTATION);
        for (uint16 i = 0; i < slots.length; ++i) {
            _configureSlot(machineId, i, slots[i].itemId, slots[i].minPrice, slots[i].maxPrice);
            _slots[machineId][i].stock = slots[i].stock;
            emit StockChanged(machineId, i, slots[i].stock);
        }
    }

    /// @notice Replaces a machine's signing key.
    /// @param machineId The machine.
    /// @param signer The new key.
    function setSigner(uint64 machineId, address signer) external onlyOperatorOf(machineId) {
        if (signer == address(0)) revert InvalidSigner();
        _machines[machineId].signer = signer;
        emit MachineSignerChanged(machineId, signer);
    }

    /// @notice Switches a machine on or off. An inactive machine takes no new orders.
    /// @param machineId The machine.
    /// @param active The new state.
    function setActive(uint64 machineId, bool active) external onlyOperatorOf(machineId) {
        Machine storage m = _machines[machineId];
        if (m.active == active) return;
        m.active = active;
        Operator storage op = _operators[m.operator];
        if (active) {
            if (op.stake < minOperatorStake) revert StakeTooLow(op.stake, minOperatorStake);
            op.activeMachines += 1;
        } else {
            op.activeMachines -= 1;
        }
        emit MachineActiveChanged(machineId, active);
    }

    /// @notice Moves a machine.
    /// @param machineId The machine.
    /// @param geohash New geohash.
    /// @param jurisdiction New ISO 3166-1 alpha-2 country code.
    function setLocation(uint64 machineId, bytes8 geohash, bytes2 jurisdiction) external onlyOperatorOf(machineId) {
        Machine storage m = _machines[machineId];
        m.geohash = geohash;
        m.jurisdiction = jurisdiction;
        emit MachineLocationChanged(machineId, geohash, jurisdiction);
    }

    /// @notice Sets how much a machine may sell on vouchers while partitioned; at most the operator's stake.
    /// @param machineId The machine.
    /// @param cap The cap in payment-token base units.
    function setOfflineCreditCap(uint64 machineId, uint128 cap) external onlyOperatorOf(machineId) {
        uint256 stake = _operators[msg.sender].stake;
        if (cap > stake) revert CreditCapAboveStake(cap, stake);
        _machines[machineId].offlineCreditCap = cap;
        emit OfflineCreditCapChanged(machineId, cap);
    }

    /// @notice Configures slot `slot` (an existing one, or the next new one) of a machine.
    /// @param machineId The machine.
    /// @param slot Slot index; `slotCount` appends a slot.
    /// @param itemId The item the slot holds.
    /// @param minPrice Lowest price a quote may carry.
    /// @param maxPrice Highest price a quote may carry.
    function configureSlot(uint64 machineId, uint16 slot, uint64 itemId, uint128 minPrice, uint128 maxPrice)
        external
        onlyOperatorOf(machineId)
    {
        Machine storage m = _machines[machineId];
        if (slot > m.slotCount) revert SlotNotFound(machineId, slot);
        if (slot == m.slotCount) {
            if (slot >= MAX_SLOTS) revert TooManySlots(uint256(slot) + 1, MAX_SLOTS);
            m.slotCount = slot + 1;
        }
        _configureSlot(machineId, slot, itemId, minPrice, maxPrice);
    }

    /// @notice Sets the stock of a slot after a refill or a count.
    /// @param machineId The machine.
    /// @param slot The slot.
    /// @param stock Units now in the slot.
    function restock(uint64 machineId, uint16 slot, uint32 stock) external onlyOperatorOf(machineId) {
        _slotOf(machineId, slot).stock = stock;
        emit StockChanged(machineId, slot, stock);
    }

    // ---------------------------------------------------------------- storefront

    /// @notice Reserves one unit of an active machine's slot for an order.
    /// @param machineId The machine.
    /// @param slot The slot.
    /// @return r The machine's operator and signer and the slot's item and price band.
    function reserveStock(uint64 machineId, uint16 slot)
        external
        onlyRole(STOREFRONT_ROLE)
        returns (Reservation memory r)
    {
        Machine storage m = _machineOf(machineId);
        if (!m.active) revert MachineInactive(machineId);
        Slot storage s = _slotOf(machineId, slot);
        if (s.stock == 0) revert SoldOut(machineId, slot);
        s.stock -= 1;
        emit StockChanged(machineId, slot, s.stock);
        r = Reservation(m.operator, m.signer, s.itemId, s.minPrice, s.maxPrice);
    }

    /// @notice Puts back one unit reserved by an order that was refunded. Saturates at the maximum count, so an
    ///         operator can never block a buyer's refund through the stock figure.
    /// @param machineId The machine.
    /// @param slot The slot.
    function releaseStock(uint64 machineId, uint16 slot) external onlyRole(STOREFRONT_ROLE) {
        Slot storage s = _slotOf(machineId, slot);
        if (s.stock == type(uint32).max) return;
        s.stock += 1;
        emit StockChanged(machineId, slot, s.stock);
    }

    /// @notice Records a unit sold offline (during a partition). The unit already left the machine, so the
    ///         on-chain count is lowered but never below zero.
    /// @param machineId The machine.
    /// @param slot The slot.
    /// @return r The machine's operator and signer and the slot's item and price band.
    function consumeOfflineStock(uint64 machineId, uint16 slot)
        external
        onlyRole(STOREFRONT_ROLE)
        returns (Reservation memory r)
    {
        Machine storage m = _machineOf(machineId);
        Slot storage s = _slotOf(machineId, slot);
        if (s.stock > 0) {
            s.stock -= 1;
            emit StockChanged(machineId, slot, s.stock);
        }
        r = Reservation(m.operator, m.signer, s.itemId, s.minPrice, s.maxPrice);
    }

    // ---------------------------------------------------------------- reputation

    /// @notice Moves a machine's reputation by `delta`, clamped to [0, MAX_REPUTATION].
    /// @param machineId The machine.
    /// @param delta Signed change.
    function adjustReputation(uint64 machineId, int32 delta) external onlyRole(REPUTATION_ROLE) {
        Machine storage m = _machineOf(machineId);
        uint16 previous = m.reputation;
        int256 next = int256(uint256(previous)) + delta;
        if (next < 0) next = 0;
        if (next > int256(uint256(MAX_REPUTATION))) next = int256(uint256(MAX_REPUTATION));
        m.reputation = uint16(uint256(next));
        emit ReputationChanged(machineId, previous, m.reputation);
    }

    // ---------------------------------------------------------------- views

    /// @notice An operator's standing.
    /// @param operator The operator.
    /// @return The operator record.
    function operatorOf(address operator) external view returns (Operator memory) {
        return _operators[operator];
    }

    /// @notice A machine's record.
    /// @param machineId The machine.
    /// @return The machine record.
    function machine(uint64 machineId) external view returns (Machine memory) {
        return _machineOf(machineId);
    }

    /// @notice A slot's record.
    /// @param machineId The machine.
    /// @param slot The slot.
    /// @return The slot record.
    function slotOf(uint64 machineId, uint16 slot) external view returns (Slot memory) {
        return _slots[machineId][_checkSlot(machineId, slot)];
    }

    /// @notice A machine's operator and signing key.
    /// @param machineId The machine.
    /// @return operator The operator.
    /// @return signer The signing key.
    function machineKeys(uint64 machineId) external view returns (address operator, address signer) {
        Machine storage m = _machineOf(machineId);
        return (m.operator, m.signer);
    }

    // ---------------------------------------------------------------- internals

    function _configureSlot(uint64 machineId, uint16 slot, uint64 itemId, uint128 minPrice, uint128 maxPrice)
        private
    {
        if (maxPrice == 0 || minPrice > maxPrice) revert InvalidPriceBand(minPrice, maxPrice);
        Slot storage s = _slots[machineId][slot];
        s.itemId = itemId;
        s.minPrice = minPrice;
        s.maxPrice = maxPrice;
        emit SlotConfigured(machineId, slot, itemId, minPrice, maxPrice);
    }

    function _registered(address operator) private view returns (Operator storage op) {
        op = _operators[operator];
        if (!op.registered) revert OperatorNotRegistered(operator);
    }

    function _machineOf(uint64 machineId) private view returns (Machine storage m) {
        m = _machines[machineId];
        if (m.operator == address(0)) revert MachineNotFound(machineId);
    }

    function _checkSlot(uint64 machineId, uint16 slot) private view returns (uint16) {
        if (slot >= _machineOf(machineId).slotCount) revert SlotNotFound(machineId, slot);
        return slot;
    }

    function _slotOf(uint64 machineId, uint16 slot) private view returns (Slot storage) {
        return _slots[machineId][_checkSlot(machineId, slot)];
    }

    function _onlyOperatorOf(uint64 machineId) private view {
        if (_machineOf(machineId).operator != msg.sender) revert NotMachineOperator(machineId, msg.sender);
    }
}
