//! `sol!` bindings of the parts of LayerZero v2 this module calls, written from the interfaces in
//! `@layerzerolabs/lz-evm-protocol-v2` and `@layerzerolabs/lz-evm-messagelib-v2` 3.0.168 (a test checks
//! every selector and event topic against the ABIs of the published artifacts we deploy).

#![allow(missing_docs, clippy::too_many_arguments)]

use alloy_sol_types::sol;

sol! {
    /// `Origin` of `ILayerZeroEndpointV2`: where an inbound packet comes from.
    #[derive(Debug, PartialEq, Eq)]
    struct Origin {
        uint32 srcEid;
        bytes32 sender;
        uint64 nonce;
    }

    /// `UlnConfig` of `UlnBase`: the DVN set and confirmations of one pathway.
    #[derive(Debug, PartialEq, Eq, Default)]
    struct UlnConfig {
        uint64 confirmations;
        uint8 requiredDVNCount;
        uint8 optionalDVNCount;
        uint8 optionalDVNThreshold;
        address[] requiredDVNs;
        address[] optionalDVNs;
    }

    /// `SetDefaultUlnConfigParam` of `UlnBase`.
    #[derive(Debug, PartialEq, Eq)]
    struct SetDefaultUlnConfigParam {
        uint32 eid;
        UlnConfig config;
    }

    /// `ExecutorConfig` of `SendLibBase`.
    #[derive(Debug, PartialEq, Eq)]
    struct ExecutorConfig {
        uint32 maxMessageSize;
        address executor;
    }

    /// `SetDefaultExecutorConfigParam` of `SendLibBase`.
    #[derive(Debug, PartialEq, Eq)]
    struct SetDefaultExecutorConfigParam {
        uint32 eid;
        ExecutorConfig config;
    }

    /// `SetConfigParam` of `IMessageLibManager`.
    #[derive(Debug, PartialEq, Eq)]
    struct SetConfigParam {
        uint32 eid;
        uint32 configType;
        bytes config;
    }

    /// `ILayerZeroPriceFeed.Price`.
    #[derive(Debug, PartialEq, Eq)]
    struct Price {
        uint128 priceRatio;
        uint64 gasPriceInUnit;
        uint32 gasPerByte;
    }

    /// `ILayerZeroPriceFeed.UpdatePrice`.
    #[derive(Debug, PartialEq, Eq)]
    struct UpdatePrice {
        uint32 eid;
        Price price;
    }

    /// `IExecutor.DstConfigParam`.
    #[derive(Debug, PartialEq, Eq)]
    struct ExecutorDstConfigParam {
        uint32 dstEid;
        uint64 lzReceiveBaseGas;
        uint64 lzComposeBaseGas;
        uint16 multiplierBps;
        uint128 floorMarginUSD;
        uint128 nativeCap;
    }

    /// `IExecutor.ExecutionParams`.
    #[derive(Debug, PartialEq, Eq)]
    struct ExecutionParams {
        address receiver;
        Origin origin;
        bytes32 guid;
        bytes message;
        bytes extraData;
        uint256 gasLimit;
    }

    /// `IDVN.DstConfigParam`.
    #[derive(Debug, PartialEq, Eq)]
    struct DvnDstConfigParam {
        uint32 dstEid;
        uint64 gas;
        uint16 multiplierBps;
        uint128 floorMarginUSD;
    }

    /// `ExecuteParam` of `DVN.sol`: one quorum-signed instruction.
    #[derive(Debug, PartialEq, Eq)]
    struct ExecuteParam {
        uint32 vid;
        address target;
        bytes callData;
        uint256 expiration;
        bytes signatures;
    }

    /// `EndpointV2` (`ILayerZeroEndpointV2`, `IMessageLibManager`, `IMessagingChannel`).
    interface IEndpointV2 {
        event PacketSent(bytes encodedPayload, bytes options, address sendLibrary);
        event PacketVerified(Origin origin, address receiver, bytes32 payloadHash);
        event PacketDelivered(Origin origin, address receiver);
        event LzReceiveAlert(
            address indexed receiver,
            address indexed executor,
            Origin origin,
            bytes32 guid,
            uint256 gas,
            uint256 value,
            bytes message,
            bytes extraData,
            bytes reason
        );

        function eid() external view returns (uint32);
        function registerLibrary(address lib) external;
        function isRegisteredLibrary(address lib) external view returns (bool);
        function setDefaultSendLibrary(uint32 eid, address newLib) external;
        function defaultSendLibrary(uint32 eid) external view returns (address);
        function setDefaultReceiveLibrary(uint32 eid, address newLib, uint256 gracePeriod) external;
        function defaultReceiveLibrary(uint32 eid) external view returns (address);
        function getReceiveLibrary(address receiver, uint32 eid) external view returns (address lib, bool isDefault);
        function setConfig(address oapp, address lib, SetConfigParam[] calldata params) external;
        function getConfig(address oapp, address lib, uint32 eid, uint32 configType) external view returns (bytes memory config);
        function inboundNonce(address receiver, uint32 srcEid, bytes32 sender) external view returns (uint64);
        function lazyInboundNonce(address receiver, uint32 srcEid, bytes32 sender) external view returns (uint64);
        function inboundPayloadHash(address receiver, uint32 srcEid, bytes32 sender, uint64 nonce) external view returns (bytes32);
        function lzReceive(Origin calldata origin, address receiver, bytes32 guid, bytes calldata message, bytes calldata extraData) external payable;
    }

    /// `SendUln302` (`SendUlnBase`, `SendLibBase`, `UlnBase`).
    interface ISendUln302 {
        event DVNFeePaid(address[] requiredDVNs, address[] optionalDVNs, uint256[] fees);

        function setTreasury(address treasury) external;
        function treasury() external view returns (address);
        function setDefaultUlnConfigs(SetDefaultUlnConfigParam[] calldata params) external;
        function setDefaultExecutorConfigs(SetDefaultExecutorConfigParam[] calldata params) external;
        function getUlnConfig(address oapp, uint32 remoteEid) external view returns (UlnConfig memory rtnConfig);
        function getExecutorConfig(address oapp, uint32 remoteEid) external view returns (ExecutorConfig memory rtnConfig);
        function isSupportedEid(uint32 eid) external view returns (bool);
    }

    /// `ReceiveUln302` (`ReceiveUlnBase`, `UlnBase`).
    interface IReceiveUln302 {
        event PayloadVerified(address dvn, bytes header, uint256 confirmations, bytes32 proofHash);

        function setDefaultUlnConfigs(SetDefaultUlnConfigParam[] calldata params) external;
        function getUlnConfig(address oapp, uint32 remoteEid) external view returns (UlnConfig memory rtnConfig);
        function verify(bytes calldata packetHeader, bytes32 payloadHash, uint64 confirmations) external;
        function commitVerification(bytes calldata packetHeader, bytes32 payloadHash) external;
        function verifiable(UlnConfig memory config, bytes32 headerHash, bytes32 payloadHash) external view returns (bool);
        function hashLookup(bytes32 headerHash, bytes32 payloadHash, address dvn) external view returns (bool submitted, uint64 confirmations);
        function isSupportedEid(uint32 eid) external view returns (bool);
    }

    /// `PriceFeed`.
    interface IPriceFeed {
        function initialize(address priceUpdater) external;
        function setPrice(UpdatePrice[] calldata price) external;
        function getPrice(uint32 dstEid) external view returns (Price memory price);
    }

    /// `Executor` (`WorkerUpgradeable`, `IExecutor`).
    interface IExecutor {
        function initialize(
            address endpoint,
            address receiveUln301,
            address[] memory messageLibs,
            address priceFeed,
            address roleAdmin,
            address[] memory admins
        ) external;
        function setWorkerFeeLib(address workerFeeLib) external;
        function setDstConfig(ExecutorDstConfigParam[] memory params) external;
        function execute302(ExecutionParams calldata executionParams) external payable;
        function hasRole(bytes32 role, address account) external view returns (bool);
        function grantRole(bytes32 role, address account) external;
    }

    /// `DVN` (`Worker`, `MultiSig`).
    interface IDVN {
        event VerifySignaturesFailed(uint256 idx);
        event ExecuteFailed(uint256 _index, bytes _data);
        event HashAlreadyUsed(ExecuteParam param, bytes32 _hash);
        event UpdateSigner(address _signer, bool _active);
        event UpdateQuorum(uint64 _quorum);

        function vid() external view returns (uint32);
        function quorum() external view returns (uint64);
        function getSigners() external view returns (address[] memory);
        function isSigner(address signer) external view returns (bool);
        function setSigner(address signer, bool active) external;
        function setQuorum(uint64 quorum) external;
        function setWorkerFeeLib(address workerFeeLib) external;
        function setDstConfig(DvnDstConfigParam[] calldata params) external;
        function execute(ExecuteParam[] calldata params) external;
        function hashCallData(uint32 vid, address target, bytes calldata callData, uint256 expiration) external pure returns (bytes32);
        function hasRole(bytes32 role, address account) external view returns (bool);
        function grantRole(bytes32 role, address account) external;
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::{SolCall, SolEvent};
    use automat_contracts::artifacts;

    use super::*;

    fn has_function(contract: &str, selector: [u8; 4], signature: &str) {
        let artifact = artifacts::get(contract).unwrap_or_else(|e| panic!("{contract}: {e}"));
        assert!(artifact.abi.functions().any(|f| f.selector().0 == selector), "{contract} has no function {signature}");
    }

    fn has_event(contract: &str, topic: alloy_primitives::B256, signature: &str) {
        let artifact = artifacts::get(contract).unwrap_or_else(|e| panic!("{contract}: {e}"));
        assert!(artifact.abi.events().any(|e| e.selector() == topic), "{contract} has no event {signature}");
    }

    macro_rules! functions {
        ($contract:literal: $($call:ty),* $(,)?) => {
            $( has_function($contract, <$call>::SELECTOR, <$call>::SIGNATURE); )*
        };
    }

    macro_rules! events {
        ($contract:literal: $($event:ty),* $(,)?) => {
            $( has_event($contract, <$event>::SIGNATURE_HASH, <$event>::SIGNATURE); )*
        };
    }

    #[test]
    fn bindings_match_the_published_abis() {
        use IDVN as D;
        use IEndpointV2 as E;
        use IExecutor as X;
        use IPriceFeed as P;
        use IReceiveUln302 as R;
        use ISendUln302 as S;
        functions!("EndpointV2": E::eidCall, E::registerLibraryCall, E::isRegisteredLibraryCall,
            E::setDefaultSendLibraryCall, E::defaultSendLibraryCall, E::setDefaultReceiveLibraryCall,
            E::defaultReceiveLibraryCall, E::getReceiveLibraryCall, E::setConfigCall, E::getConfigCall,
            E::inboundNonceCall, E::lazyInboundNonceCall, E::inboundPayloadHashCall, E::lzReceiveCall);
        events!("EndpointV2": E::PacketSent, E::PacketVerified, E::PacketDelivered, E::LzReceiveAlert);
        functions!("SendUln302": S::setTreasuryCall, S::treasuryCall, S::setDefaultUlnConfigsCall,
            S::setDefaultExecutorConfigsCall, S::getUlnConfigCall, S::getExecutorConfigCall, S::isSupportedEidCall);
        events!("SendUln302": S::DVNFeePaid);
        functions!("ReceiveUln302": R::setDefaultUlnConfigsCall, R::getUlnConfigCall, R::verifyCall,
            R::commitVerificationCall, R::verifiableCall, R::hashLookupCall, R::isSupportedEidCall);
        events!("ReceiveUln302": R::PayloadVerified);
        functions!("PriceFeed": P::initializeCall, P::setPriceCall, P::getPriceCall);
        functions!("Executor": X::initializeCall, X::setWorkerFeeLibCall, X::setDstConfigCall, X::execute302Call,
            X::hasRoleCall, X::grantRoleCall);
        functions!("DVN": D::vidCall, D::quorumCall, D::getSignersCall, D::isSignerCall, D::setSignerCall,
            D::setQuorumCall, D::setWorkerFeeLibCall, D::setDstConfigCall, D::executeCall, D::hashCallDataCall,
            D::hasRoleCall, D::grantRoleCall);
        events!("DVN": D::VerifySignaturesFailed, D::ExecuteFailed, D::HashAlreadyUsed, D::UpdateSigner,
            D::UpdateQuorum);
    }
}
