//! `sol!` bindings of the parts of Hyperlane's contracts (`@hyperlane-xyz/core` 12.1.0) this module calls,
//! written from the package's Solidity sources (`contracts/node_modules/@hyperlane-xyz/core/contracts`).
//! The bytecode comes from the published artifacts in `contracts/out/protocols/hyperlane/`.
#![allow(missing_docs)]

use alloy_sol_types::sol;

sol! {
    /// `Mailbox.sol` (`IMailbox` plus the owner's setters and `initialize`).
    #[derive(Debug, PartialEq, Eq)]
    interface IMailbox {
        event Dispatch(address indexed sender, uint32 indexed destination, bytes32 indexed recipient, bytes message);
        event DispatchId(bytes32 indexed messageId);
        event ProcessId(bytes32 indexed messageId);
        event Process(uint32 indexed origin, bytes32 indexed sender, address indexed recipient);
        event DefaultIsmSet(address indexed module);

        function initialize(address _owner, address _defaultIsm, address _defaultHook, address _requiredHook) external;
        function localDomain() external view returns (uint32);
        function nonce() external view returns (uint32);
        function owner() external view returns (address);
        function delivered(bytes32 messageId) external view returns (bool);
        function processor(bytes32 messageId) external view returns (address);
        function processedAt(bytes32 messageId) external view returns (uint48);
        function defaultIsm() external view returns (address);
        function defaultHook() external view returns (address);
        function requiredHook() external view returns (address);
        function recipientIsm(address recipient) external view returns (address);
        function setDefaultIsm(address module) external;
        function dispatch(uint32 destinationDomain, bytes32 recipientAddress, bytes calldata messageBody)
            external payable returns (bytes32 messageId);
        function quoteDispatch(uint32 destinationDomain, bytes32 recipientAddress, bytes calldata messageBody)
            external view returns (uint256 fee);
        function process(bytes calldata metadata, bytes calldata message) external payable;
    }

    /// `hooks/MerkleTreeHook.sol`.
    #[derive(Debug, PartialEq, Eq)]
    interface IMerkleTreeHook {
        event InsertedIntoTree(bytes32 messageId, uint32 index);

        function count() external view returns (uint32);
        function root() external view returns (bytes32);
        function latestCheckpoint() external view returns (bytes32, uint32);
    }

    /// `hooks/ProtocolFee.sol`.
    #[derive(Debug, PartialEq, Eq)]
    interface IProtocolFee {
        function protocolFee() external view returns (uint256);
        function beneficiary() external view returns (address);
        function MAX_PROTOCOL_FEE() external view returns (uint256);
    }

    /// `libs/StaticAddressSetFactory.sol` (`StaticThresholdAddressSetFactory`).
    #[derive(Debug, PartialEq, Eq)]
    interface IThresholdAddressFactory {
        function implementation() external view returns (address);
        function deploy(address[] calldata values, uint8 threshold) external returns (address);
        function getAddress(address[] calldata values, uint8 threshold) external view returns (address);
    }

    /// `isms/multisig/StaticMultisigIsm.sol` (`StaticMessageIdMultisigIsm`, via `AbstractMultisigIsm`).
    #[derive(Debug, PartialEq, Eq)]
    interface IMultisigIsm {
        function moduleType() external view returns (uint8);
        function validatorsAndThreshold(bytes calldata message) external view returns (address[] memory, uint8);
        function verify(bytes calldata metadata, bytes calldata message) external view returns (bool);
    }

    /// `isms/multisig/ValidatorAnnounce.sol`.
    #[derive(Debug, PartialEq, Eq)]
    interface IValidatorAnnounce {
        event ValidatorAnnouncement(address indexed validator, string storageLocation);

        function announce(address validator, string calldata storageLocation, bytes calldata signature)
            external returns (bool);
        function getAnnouncedStorageLocations(address[] calldata validators)
            external view returns (string[][] memory);
        function getAnnouncedValidators() external view returns (address[] memory);
        function getAnnouncementDigest(string memory storageLocation) external view returns (bytes32);
    }
}

/// `IInterchainSecurityModule.Types.MESSAGE_ID_MULTISIG`.
pub const MODULE_TYPE_MESSAGE_ID_MULTISIG: u8 = 5;

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, Selector};
    use alloy_sol_types::{SolEventInterface, SolInterface};
    use automat_contracts::artifacts;

    use super::*;

    /// Every function and event bound here exists, with the same signature, in the published artifact.
    fn check<C: SolInterface, E: SolEventInterface>(artifact: &str, events: &[B256]) {
        let abi = artifacts::get(artifact).expect("artifact").abi;
        let functions: Vec<Selector> = abi.functions().map(|f| f.selector()).collect();
        for selector in C::selectors() {
            assert!(functions.contains(&Selector::from(selector)), "{artifact} lacks function {selector:?}");
        }
        let topics: Vec<B256> = abi.events().map(|e| e.selector()).collect();
        for topic in events {
            assert!(topics.contains(topic), "{artifact} lacks event {topic}");
        }
        assert_eq!(events.len(), E::COUNT);
    }

    #[test]
    fn bindings_match_the_published_abis() {
        use alloy_sol_types::SolEvent;
        check::<IMailbox::IMailboxCalls, IMailbox::IMailboxEvents>(
            "Mailbox",
            &[
                IMailbox::Dispatch::SIGNATURE_HASH,
                IMailbox::DispatchId::SIGNATURE_HASH,
                IMailbox::ProcessId::SIGNATURE_HASH,
                IMailbox::Process::SIGNATURE_HASH,
                IMailbox::DefaultIsmSet::SIGNATURE_HASH,
            ],
        );
        check::<IMerkleTreeHook::IMerkleTreeHookCalls, IMerkleTreeHook::IMerkleTreeHookEvents>(
            "MerkleTreeHook",
            &[IMerkleTreeHook::InsertedIntoTree::SIGNATURE_HASH],
        );
        let fee = artifacts::get("ProtocolFee").expect("artifact").abi;
        for selector in IProtocolFee::IProtocolFeeCalls::selectors() {
            assert!(fee.functions().any(|f| f.selector() == Selector::from(selector)));
        }
        let factory = artifacts::get("StaticMessageIdMultisigIsmFactory").expect("artifact").abi;
        for selector in IThresholdAddressFactory::IThresholdAddressFactoryCalls::selectors() {
            assert!(factory.functions().any(|f| f.selector() == Selector::from(selector)));
        }
        let ism = artifacts::get("StaticMessageIdMultisigIsm").expect("artifact").abi;
        for selector in IMultisigIsm::IMultisigIsmCalls::selectors() {
            assert!(ism.functions().any(|f| f.selector() == Selector::from(selector)));
        }
        check::<IValidatorAnnounce::IValidatorAnnounceCalls, IValidatorAnnounce::IValidatorAnnounceEvents>(
            "ValidatorAnnounce",
            &[IValidatorAnnounce::ValidatorAnnouncement::SIGNATURE_HASH],
        );
    }
}
