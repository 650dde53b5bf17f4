// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MachineRegistry} from "../vending/MachineRegistry.sol";
import {Groth16, IDisclosureVerifier} from "../zk/Groth16.sol";
import {PoseidonT3} from "../zk/PoseidonT3.sol";

/// @title ComplianceRegistry
/// @notice What a machine may sell to whom, proved without revealing who the buyer is (selective disclosure).
///
///         Issuers (ISSUER_ROLE: e.g. a KYC provider) keep an off-chain depth-20 Poseidon Merkle tree of
///         credentials `Poseidon(Poseidon(holderSecret), jurisdiction, birthDate)` and publish its roots here.
///         Each machine has a set of up to {MAX_BLOCKED} blocked jurisdictions (ISO 3166-1 numeric codes), set by
///         its operator or a compliance officer (COMPLIANCE_ROLE), and each item a minimum age (COMPLIANCE_ROLE).
///         Where either applies, an order must carry a disclosure proof showing, for a credential under a published
///         issuer root, that its jurisdiction is not in the machine's blocked set (bound through the set's hash, so
///         a proof made for another set fails), that the holder was born on or before {maxBirthDate} (today, UTC,
///         minus the item's minimum age in years), and naming the order's binding (so it proves nothing for any
///         other order). The registry never learns the buyer's jurisdiction, birth date or identity.
contract ComplianceRegistry is AccessControl {
    /// @notice May publish and revoke issuer roots.
    bytes32 public constant ISSUER_ROLE = keccak256("ISSUER_ROLE");
    /// @notice May set any machine's blocked jurisdictions and every item's minimum age.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    /// @notice Most jurisdictions one machine may block (the circuit's fixed set size).
    uint256 public constant MAX_BLOCKED = 8;

    /// @notice The machine registry (machine operators manage their own machines' blocked sets).
    MachineRegistry public immutable machines;
    /// @notice Verifier of disclosure proofs.
    IDisclosureVerifier public immutable verifier;
    /// @notice {blockedSetHash} of the empty set (eight zeros): what proofs name for a machine blocking nothing.
    uint256 public immutable emptySetHash;

    mapping(uint256 root => address issuer) private _issuerOf;
    mapping(uint64 machineId => uint16[]) private _blocked;
    mapping(uint64 machineId => uint256) private _blockedSetHash;
    mapping(uint64 itemId => uint8) private _minimumAge;

    /// @notice `issuer` published a credential tree root.
    event IssuerRootPublished(address indexed issuer, uint256 indexed root);
    /// @notice A credential tree root was revoked; proofs against it fail from now on.
    event IssuerRootRevoked(address indexed issuer, uint256 indexed root);
    /// @notice A machine's blocked jurisdictions changed; `blockedSetHash` is what proofs must name.
    event BlockedJurisdictionsSet(uint64 indexed machineId, uint16[] codes, uint256 blockedSetHash);
    /// @notice An item's minimum buyer age changed.
    event MinimumAgeSet(uint64 indexed itemId, uint8 minimumAge);

    /// @notice The root is zero, not a field element, or published already.
    error InvalidIssuerRoot(uint256 root);
    /// @notice The root was never published (or was revoked).
    error UnknownIssuerRoot(uint256 root);
    /// @notice More than {MAX_BLOCKED} codes, a zero code or a code listed twice.
    error InvalidJurisdictions();
    /// @notice Only the machine's operator or a compliance officer may do this.
    error NotOperatorOrOfficer(uint64 machineId, address caller);
    /// @notice The machine asks for a disclosure proof for this item and none was given.
    error DisclosureRequired(uint64 machineId, uint64 itemId);
    /// @notice The disclosure proof does not verify for this order, machine and item: the credential's
    ///         jurisdiction may be blocked, its holder too young, or the proof made for another order or set.
    error DisclosureProofInvalid(uint64 machineId, uint64 itemId);

    /// @param machines_ The machine registry.
    /// @param verifier_ The disclosure verifier (generated from the disclosure circuit's verifying key).
    /// @param admin Holds DEFAULT_ADMIN_ROLE (grants issuers and compliance officers).
    constructor(MachineRegistry machines_, IDisclosureVerifier verifier_, address admin) {
        machines = machines_;
        verifier = verifier_;
        emptySetHash = blockedSetHash(new uint16[](0));
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    // ---------------------------------------------------------------- issuers

    /// @notice Publishes a root of the caller's credential tree.
    /// @param root The root.
    function publishIssuerRoot(uint256 root) external onlyRole(ISSUER_ROLE) {
        if (root == 0 || root >= Groth16.SCALAR_FIELD || _issuerOf[root] != address(0)) revert InvalidIssuerRoot(root);
        _issuerOf[root] = msg.sender;
        emit IssuerRootPublished(msg.sender, root);
    }

    /// @notice Revokes a root the caller published (or any root, for the admin).
    /// @param root The root.
    function revokeIssuerRoot(uint256 root) external {
        address issuer = _issuerOf[root];
        if (issuer == address(0)) revert UnknownIssuerRoot(root);
        if (issuer != msg.sender) _checkRole(DEFAULT_ADMIN_ROLE);
        delete _issuerOf[root];
        emit IssuerRootRevoked(issuer, root);
    }

    /// @notice Who published `root` (zero when unknown or revoked).
    /// @param root The root.
    /// @return The issuer.
    function issuerOf(uint256 root) external view returns (address) {
        return _issuerOf[root];
    }

    // ---------------------------------------------------------------- rules

    /// @notice Sets the jurisdictions machine `machineId` must not sell to (replacing the previous set).
    /// @param machineId The machine.
    /// @param codes Up to {MAX_BLOCKED} distinct nonzero ISO 3166-1 numeric codes; empty lifts the block.
    function setBlockedJurisdictions(uint64 machineId, uint16[] calldata codes) external {
        (address operator,) = machines.machineKeys(machineId);
        if (msg.sender != operator && !hasRole(COMPLIANCE_ROLE, msg.sender)) {
            revert NotOperatorOrOfficer(machineId, msg.sender);
        }
        if (codes.length > MAX_BLOCKED) revert InvalidJurisdictions();
        for (uint256 i = 0; i < codes.length; ++i) {
            if (codes[i] == 0) revert InvalidJurisdictions();
            for (uint256 j = 0; j < i; ++j) {
                if (codes[j] == codes[i]) revert InvalidJurisdictions();
            }
        }
        uint256 h = blockedSetHash(codes);
        _blocked[machineId] = codes;
        _blockedSetHash[machineId] = h;
        emit BlockedJurisdictionsSet(machineId, codes, h);
    }

    /// @notice Sets the minimum buyer age of item `itemId` (0 lifts it).
    /// @param itemId The item.
    /// @param years_ The minimum age in years.
    function setMinimumAge(uint64 itemId, uint8 years_) external onlyRole(COMPLIANCE_ROLE) {
        _minimumAge[itemId] = years_;
        emit MinimumAgeSet(itemId, years_);
    }

    // ---------------------------------------------------------------- orders

    /// @notice Reverts unless an order for item `itemId` at machine `machineId` with binding `orderBinding` may
    ///         go ahead: with no rule for them, always; otherwise only with a valid `disclosure`, the ABI encoding
    ///         of `(uint256 issuerRoot, Groth16.Proof proof)`.
    /// @param machineId The machine.
    /// @param itemId The item ordered.
    /// @param orderBinding The order's {Storefront-orderBinding}.
    /// @param disclosure The disclosure, or empty.
    function checkOrder(uint64 machineId, uint64 itemId, uint256 orderBinding, bytes calldata disclosure)
        external
        view
    {
        if (!requiresDisclosure(machineId, itemId)) return;
        if (disclosure.length == 0) revert DisclosureRequired(machineId, itemId);
        (uint256 issuerRoot, Groth16.Proof memory proof) = abi.decode(disclosure, (uint256, Groth16.Proof));
        if (_issuerOf[issuerRoot] == address(0)) revert UnknownIssuerRoot(issuerRoot);
        uint256[4] memory input = [issuerRoot, _setHashOf(machineId), maxBirthDate(itemId), orderBinding];
        if (!verifier.verifyProof(proof.a, proof.b, proof.c, input)) revert DisclosureProofInvalid(machineId, itemId);
    }

    /// @notice Whether orders for `itemId` at `machineId` need a disclosure proof.
    /// @param machineId The machine.
    /// @param itemId The item.
    /// @return Whether a proof is needed.
    function requiresDisclosure(uint64 machineId, uint64 itemId) public view returns (bool) {
        return _blocked[machineId].length != 0 || _minimumAge[itemId] != 0;
    }

    function _setHashOf(uint64 machineId) private view returns (uint256) {
        return _blocked[machineId].length == 0 ? emptySetHash : _blockedSetHash[machineId];
    }

    /// @notice Machine `machineId`'s blocked jurisdictions and their hash (0 when none are blocked).
    /// @param machineId The machine.
    /// @return codes The codes, in the order the proof hashes them.
    /// @return setHash Their {blockedSetHash} (the empty set's when none are blocked).
    function blockedJurisdictions(uint64 machineId) external view returns (uint16[] memory codes, uint256 setHash) {
        return (_blocked[machineId], _setHashOf(machineId));
    }

    /// @notice Item `itemId`'s minimum buyer age in years.
    /// @param itemId The item.
    /// @return The age.
    function minimumAge(uint64 itemId) external view returns (uint8) {
        return _minimumAge[itemId];
    }

    /// @notice The latest birth date (YYYYMMDD) old enough for item `itemId` today (UTC, block time).
    /// @param itemId The item.
    /// @return The date as the integer YYYYMMDD.
    function maxBirthDate(uint64 itemId) public view returns (uint256) {
        return today() - uint256(_minimumAge[itemId]) * 10_000;
    }

    /// @notice Today's UTC date at block time as the integer YYYYMMDD.
    /// @return The date.
    function today() public view returns (uint256) {
        return yyyymmdd(block.timestamp);
    }

    /// @notice The UTC calendar date of Unix time `timestamp` as YYYYMMDD (Howard Hinnant's civil_from_days).
    /// @param timestamp Seconds since 1970-01-01.
    /// @return The date.
    function yyyymmdd(uint256 timestamp) public pure returns (uint256) {
        uint256 z = timestamp / 86_400 + 719_468;
        uint256 era = z / 146_097;
        uint256 doe = z - era * 146_097;
        uint256 yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        uint256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        uint256 mp = (5 * doy + 2) / 153;
        uint256 d = doy - (153 * mp + 2) / 5 + 1;
        uint256 m = mp < 10 ? mp + 3 : mp - 9;
        uint256 y = yoe + era * 400 + (m <= 2 ? 1 : 0);
        return y * 10_000 + m * 100 + d;
    }

    /// @notice The hash a disclosure proof names for a blocked set: `h = 0`, then `h = Poseidon(h, code)` for each
    ///         of the {MAX_BLOCKED} codes, the list padded with zeros.
    /// @param codes Up to {MAX_BLOCKED} codes.
    /// @return h The hash.
    function blockedSetHash(uint16[] memory codes) public pure returns (uint256 h) {
        if (codes.length > MAX_BLOCKED) revert InvalidJurisdictions();
        for (uint256 i = 0; i < MAX_BLOCKED; ++i) {
            h = PoseidonT3.hash([h, i < codes.length ? uint256(codes[i]) : 0]);
        }
    }
}
