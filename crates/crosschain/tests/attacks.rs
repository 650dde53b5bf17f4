//! Attacks on the cross-chain layer that must fail, on the embedded devnet with both real protocols.
//! (Protocol-level attacks on the DVNs and the multisig ISM themselves, such as a verifier counted twice,
//! high-s or zero-recovering signatures and rotated-out verifiers, are in automat-bridge's tests.)

mod common;

use std::fmt;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_sol_types::{SolConstructor, SolError, SolValue, sol};
use automat_chain::{ChainClient, ChainClientExt, ChainError, alloy::Filter};
use automat_contracts::{
    crosschain::{
        CompromisedTransport, CrossChainRouter, Envelope, FeeOnTransferToken, HyperlaneAdapter, LayerZeroAdapter,
        PurchaseStatus, TokenGateway, Transport,
    },
    vending::PaymentToken,
};
use automat_crosschain::KeeperConfig;
use common::{AUSD, TestResult, setup};

sol! {
    interface IThresholdAddressFactory {
        function deploy(address[] values, uint8 threshold) returns (address);
        function getAddress(address[] values, uint8 threshold) view returns (address);
    }

    /// LayerZero's ULN config, as the message libraries encode it.
    struct UlnConfigParam {
        uint64 confirmations;
        uint8 requiredDVNCount;
        uint8 optionalDVNCount;
        uint8 optionalDVNThreshold;
        address[] requiredDVNs;
        address[] optionalDVNs;
    }
}

#[track_caller]
fn assert_revert<T: fmt::Debug, E: SolError + PartialEq + fmt::Debug>(
    result: Result<T, impl Into<Box<dyn std::error::Error>>>,
    expected: E,
) {
    let err: Box<dyn std::error::Error> = match result {
        Ok(v) => panic!("expected {}, but it succeeded: {v:?}", E::SIGNATURE),
        Err(e) => e.into(),
    };
    let chain = err
        .downcast_ref::<ChainError>()
        .or_else(|| match err.downcast_ref::<automat_contracts::vending::VendingError>() {
            Some(automat_contracts::vending::VendingError::Chain(c)) => Some(c),
            _ => None,
        })
        .unwrap_or_else(|| panic!("expected a chain revert {}, got {err}", E::SIGNATURE));
    let ChainError::Reverted { data, .. } = chain else { panic!("expected revert {}, got {chain}", E::SIGNATURE) };
    let decoded = E::abi_decode(data).unwrap_or_else(|e| panic!("expected {}, got {chain} ({e})", E::SIGNATURE));
    assert_eq!(decoded, expected);
}

fn envelope(src: u64, src_router: Address, dst: u64, nonce: u64, app: B256, payload: Vec<u8>) -> Bytes {
    Envelope { srcChainId: src, srcRouter: src_router, dstChainId: dst, nonce, app, payload: payload.into() }
        .abi_encode()
        .into()
}

/// Even a transport whose verifiers are all compromised cannot make the router take a message claiming another
/// source chain, coming from a router that is not the peer, addressed to another chain, or already delivered;
/// and a forged transfer it can make is capped by the gateway's inbound value limit.
#[tokio::test]
async fn a_compromised_transport_cannot_get_past_the_router_checks() -> TestResult {
    let mut f = setup(KeeperConfig { primary: Transport::LayerZero, retry_after: None, confirmations: 1 }).await?;
    let (a, b) = (f.a, f.b);
    let admin_b = f.devnet.dev_client(b, 0)?;
    let app_a = f.network.chain(a)?.app;
    let app_b = f.network.chain(b)?.app;
    let raw = admin_b
        .deploy(
            [
                CompromisedTransport::BYTECODE.to_vec(),
                CompromisedTransport::constructorCall { router_: app_b.router }.abi_encode(),
            ]
            .concat()
            .into(),
        )
        .await?
        .address;
    admin_b.send_sol(app_b.router, &CrossChainRouter::setAdapterCall { transport: 3, adapter: raw }).await?;
    let gateway_app = admin_b.call_sol(app_b.gateway, &TokenGateway::APP_IDCall {}).await?;
    let inject = |src: u64, env: Bytes| {
        let admin_b = admin_b.clone();
        async move { admin_b.send_sol(raw, &CompromisedTransport::injectCall { srcChainId: src, envelope: env }).await }
    };
    let mint_to_me = (admin_b.sender(), U256::from(AUSD)).abi_encode_params();

    // Claims chain A inside, but the transport authenticated chain 777.
    let forged = envelope(a, app_a.router, b, 1, gateway_app, mint_to_me.clone());
    assert_revert(inject(777, forged).await, CrossChainRouter::WrongSourceChain { claimed: a, authenticated: 777 });
    // From a router that is not chain A's peer.
    let stranger = Address::repeat_byte(0x66);
    let forged = envelope(a, stranger, b, 1, gateway_app, mint_to_me.clone());
    assert_revert(inject(a, forged).await, CrossChainRouter::UnknownPeer { chainId: a, router: stranger });
    // Addressed to another chain (a message for chain A replayed onto chain B).
    let forged = envelope(a, app_a.router, a, 1, gateway_app, mint_to_me.clone());
    assert_revert(inject(a, forged).await, CrossChainRouter::WrongDestinationChain { dstChainId: a });
    // To an app id nobody registered.
    let nobody = keccak256("nobody");
    let forged = envelope(a, app_a.router, b, 1, nobody, mint_to_me);
    assert_revert(inject(a, forged).await, CrossChainRouter::UnknownApp { appId: nobody });
    // A forged transfer above the inbound value limit.
    let limit = admin_b.call_sol(app_b.gateway, &TokenGateway::inboundAvailableCall { chainId: a }).await?;
    let too_much = (admin_b.sender(), limit + U256::from(1)).abi_encode_params();
    let forged = envelope(a, app_a.router, b, 1, gateway_app, too_much);
    assert_revert(
        inject(a, forged).await,
        TokenGateway::InboundValueLimited { chainId: a, amount: limit + U256::from(1), available: limit },
    );

    // A real purchase, then its exact envelope replayed on the same chain: dropped, nothing credited twice.
    let opened = f.buy(Transport::LayerZero, 300).await?;
    assert_eq!(f.drive(opened.purchase_id, 12).await?, PurchaseStatus::Settled);
    let minted = admin_b.call_sol(app_b.gateway, &TokenGateway::mintedCall {}).await?;
    let replay = inject(a, opened.envelope.clone()).await?;
    let dropped = replay.events::<CrossChainRouter::DuplicateDropped>();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].deliveredVia, Transport::LayerZero.id());
    assert_eq!(admin_b.call_sol(app_b.gateway, &TokenGateway::mintedCall {}).await?, minted);
    Ok(())
}

/// Messages can never be addressed to the protocols' own contracts or to the router's configuration.
#[tokio::test]
async fn protocol_and_config_contracts_cannot_be_registered_as_apps() -> TestResult {
    let f = setup(KeeperConfig::default()).await?;
    let chain = f.network.chain(f.b)?;
    let admin = f.devnet.dev_client(f.b, 0)?;
    for target in [chain.lz.endpoint, chain.hl.mailbox, chain.app.router, chain.app.lz_adapter, chain.app.hl_adapter] {
        let attempt = admin
            .send_sol(chain.app.router, &CrossChainRouter::registerAppCall { appId: keccak256("evil"), app: target })
            .await;
        assert_revert(attempt, CrossChainRouter::ForbiddenApp { app: target });
    }
    Ok(())
}

/// An admin mistake that would leave a pathway with fewer than two required DVNs, or a Hyperlane ISM with a
/// threshold below two, is refused by the adapters' invariant checks.
#[tokio::test]
async fn quorum_cannot_be_reduced_below_two_by_an_admin_mistake() -> TestResult {
    let f = setup(KeeperConfig::default()).await?;
    let chain = f.network.chain(f.b)?;
    let eid_a = f.network.chain(f.a)?.lz.eid;
    let admin = f.devnet.dev_client(f.b, 0)?;
    let one_dvn = UlnConfigParam {
        confirmations: 1,
        requiredDVNCount: 1,
        optionalDVNCount: 0,
        optionalDVNThreshold: 0,
        requiredDVNs: vec![chain.lz.dvns[0].address],
        optionalDVNs: vec![],
    };
    let params =
        vec![LayerZeroAdapter::SetConfigParam { eid: eid_a, configType: 2, config: one_dvn.abi_encode().into() }];
    let attempt = admin
        .send_sol(chain.app.lz_adapter, &LayerZeroAdapter::setLibraryConfigCall { lib: chain.lz.receive_uln, params })
        .await;
    assert_revert(
        attempt,
        LayerZeroAdapter::QuorumBelowMinimum {
            eid: eid_a,
            lib: chain.lz.receive_uln,
            requiredDVNCount: 1,
            // The check reads the effective config: a custom threshold of 0 means "the default's" (1).
            optionalDVNThreshold: 1,
        },
    );

    // A 1-of-3 ISM.
    let validators = chain.hl.validators.clone();
    let factory = chain.hl.ism_factory;
    let weak = admin
        .call_sol(factory, &IThresholdAddressFactory::getAddressCall { values: validators.clone(), threshold: 1 })
        .await?;
    admin.send_sol(factory, &IThresholdAddressFactory::deployCall { values: validators.clone(), threshold: 1 }).await?;
    let attempt = admin.send_sol(chain.app.hl_adapter, &HyperlaneAdapter::setIsmCall { ism: weak }).await;
    assert_revert(
        attempt,
        HyperlaneAdapter::QuorumBelowMinimum { ism: weak, threshold: 1, validators: U256::from(validators.len()) },
    );
    Ok(())
}

/// The token gateway refuses a zero-address or codeless token at deployment and a fee-on-transfer token at the
/// first lock.
#[tokio::test]
async fn gateway_refuses_zero_codeless_and_fee_on_transfer_tokens() -> TestResult {
    let f = setup(KeeperConfig::default()).await?;
    let admin = f.devnet.dev_client(f.a, 0)?;
    let router = f.network.chain(f.a)?.app.router;
    let deploy_gateway = |token: Address| {
        let admin = admin.clone();
        async move {
            let args = TokenGateway::constructorCall {
                admin: admin.sender(),
                token_: token,
                isHome_: true,
                router_: router,
                window: alloy_primitives::aliases::U48::from(3_600u64),
                outboundCapacity: alloy_primitives::Uint::<208, 4>::from(1_000_000_000u64),
                inboundCapacity: alloy_primitives::Uint::<208, 4>::from(1_000_000_000u64),
            };
            admin.deploy([TokenGateway::BYTECODE.to_vec(), args.abi_encode()].concat().into()).await
        }
    };
    assert_revert(deploy_gateway(Address::ZERO).await, TokenGateway::ZeroToken {});
    let codeless = Address::repeat_byte(0x42);
    assert_revert(deploy_gateway(codeless).await, TokenGateway::TokenNotAContract { token: codeless });

    let fot = admin
        .deploy(
            [
                FeeOnTransferToken::BYTECODE.to_vec(),
                FeeOnTransferToken::constructorCall {
                    holder: admin.sender(),
                    supply: U256::from(1_000_000u64),
                    feeBps_: 100,
                }
                .abi_encode(),
            ]
            .concat()
            .into(),
        )
        .await?
        .address;
    let gateway = deploy_gateway(fot).await?.address;
    let app_id = admin.call_sol(gateway, &TokenGateway::APP_IDCall {}).await?;
    admin.send_sol(router, &CrossChainRouter::registerAppCall { appId: app_id, app: gateway }).await?;
    admin.send_sol(fot, &PaymentToken::approveCall { spender: gateway, value: U256::from(10_000u64) }).await?;
    let fee = admin
        .call_sol(
            router,
            &CrossChainRouter::quoteCall {
                dstChainId: f.b,
                transport: Transport::Hyperlane.id(),
                appId: app_id,
                payload: (admin.sender(), U256::from(10_000u64)).abi_encode_params().into(),
            },
        )
        .await?;
    let attempt = admin
        .send_sol_with_value(
            gateway,
            &TokenGateway::bridgeCall {
                dstChainId: f.b,
                to: admin.sender(),
                amount: U256::from(10_000u64),
                transport: Transport::Hyperlane.id(),
            },
            fee,
        )
        .await;
    assert_revert(
        attempt,
        TokenGateway::FeeOnTransferToken { asked: U256::from(10_000u64), received: U256::from(9_900u64) },
    );
    Ok(())
}

/// A non-peer OApp / Hyperlane sender that addresses our adapters with a well-formed envelope is refused at the
/// adapter: LayerZero's OApp peer check (the pathway cannot even be initialised) and the Hyperlane adapter's
/// sender check. Nothing reaches the router.
#[tokio::test]
async fn messages_from_non_peers_are_refused_by_both_adapters() -> TestResult {
    sol!(
        #[sol(rpc = false)]
        LzPing,
        "../../contracts/out/testing/LzPing.sol/LzPing.json"
    );
    sol!(
        #[sol(rpc = false)]
        HyperlanePing,
        "../../contracts/out/testing/HyperlanePing.sol/HyperlanePing.json"
    );
    let mut f = setup(KeeperConfig::default()).await?;
    let (a, b) = (f.a, f.b);
    let chain_a = f.network.chain(a)?.clone();
    let chain_b = f.network.chain(b)?.clone();
    let attacker = f.devnet.dev_client(a, 7)?;
    let gateway_app = attacker.call_sol(chain_a.app.gateway, &TokenGateway::APP_IDCall {}).await?;
    let payload =
        envelope(a, chain_a.app.router, b, 42, gateway_app, (attacker.sender(), U256::from(AUSD)).abi_encode_params());

    // LayerZero: an OApp of the attacker's whose peer on B is our adapter.
    let ping = attacker
        .deploy(
            [
                LzPing::BYTECODE.to_vec(),
                LzPing::constructorCall { endpoint: chain_a.lz.endpoint, owner_: attacker.sender() }.abi_encode(),
            ]
            .concat()
            .into(),
        )
        .await?
        .address;
    attacker
        .send_sol(ping, &LzPing::setPeerCall { _eid: chain_b.lz.eid, _peer: chain_b.app.lz_adapter.into_word() })
        .await?;
    let fee = attacker.call_sol(ping, &LzPing::quoteCall { dstEid: chain_b.lz.eid, payload: payload.clone() }).await?;
    attacker
        .send_sol_with_value(ping, &LzPing::sendCall { dstEid: chain_b.lz.eid, payload: payload.clone() }, fee)
        .await?;

    // Hyperlane: a sender of the attacker's dispatching to our adapter.
    let hping = attacker
        .deploy(
            [
                HyperlanePing::BYTECODE.to_vec(),
                HyperlanePing::constructorCall { mailbox_: chain_a.hl.mailbox }.abi_encode(),
            ]
            .concat()
            .into(),
        )
        .await?
        .address;
    let domain_b = u32::try_from(b)?;
    attacker
        .send_sol(
            hping,
            &HyperlanePing::sendCall {
                destination: domain_b,
                recipient: chain_b.app.hl_adapter.into_word(),
                body: payload.clone(),
            },
        )
        .await?;

    for _ in 0..4 {
        f.relayers.tick().await?;
    }
    let lz_records = f.relayers.executor().packets()?;
    let refused = lz_records.iter().find(|p| p.receiver == chain_b.app.lz_adapter).ok_or("packet not seen")?;
    // The endpoint asks the OApp `allowInitializePath(origin)` before committing the first packet of a pathway;
    // our adapter answers from its peer list, so the packet is never even committed (and `lzReceive` would
    // refuse it with `OnlyPeer` anyway).
    assert!(
        refused.last_error.as_deref().is_some_and(|e| e.contains("LZ_PathNotInitializable")),
        "LayerZero must refuse the non-peer's pathway: {refused:?}"
    );
    let hl_records = f.relayers.relayer().messages()?;
    let refused = hl_records
        .iter()
        .find(|m| {
            automat_bridge::hyperlane::HlMessage::decode(&m.message)
                .is_ok_and(|d| d.recipient_address() == chain_b.app.hl_adapter)
        })
        .ok_or("message not seen")?;
    assert!(
        refused.last_error.as_deref().is_some_and(|e| e.contains("NotPeer")),
        "Hyperlane delivery must be refused by the adapter's sender check: {refused:?}"
    );
    let client_b = f.devnet.dev_client(b, 0)?;
    let delivered = client_b
        .logs(
            &Filter::new()
                .address(chain_b.app.router)
                .event_signature(<CrossChainRouter::MessageDelivered as alloy_sol_types::SolEvent>::SIGNATURE_HASH)
                .from_block(0),
        )
        .await?;
    assert!(delivered.is_empty(), "nothing reached the router");
    Ok(())
}

/// A guardian pause holds messages at the transport without losing them: deliveries fail while paused and
/// succeed once the admin unpauses. The guardian cannot reconfigure.
#[tokio::test]
async fn a_guardian_pause_holds_messages_and_loses_none() -> TestResult {
    let mut f = setup(KeeperConfig { primary: Transport::LayerZero, retry_after: None, confirmations: 1 }).await?;
    let app_b = f.network.chain(f.b)?.app;
    let admin_b = f.devnet.dev_client(f.b, 0)?;
    let guardian = f.devnet.dev_client(f.b, 6)?;
    let role = admin_b.call_sol(app_b.router, &CrossChainRouter::GUARDIAN_ROLECall {}).await?;
    admin_b.send_sol(app_b.router, &CrossChainRouter::grantRoleCall { role, account: guardian.sender() }).await?;
    guardian.send_sol(app_b.router, &CrossChainRouter::pauseCall {}).await?;
    let attempt =
        guardian.send_sol(app_b.router, &CrossChainRouter::setPeerCall { chainId: 1, router: guardian.sender() }).await;
    assert!(matches!(attempt, Err(ChainError::Reverted { .. })), "guardian cannot reconfigure");

    let opened = f.buy(Transport::LayerZero, 900).await?;
    for _ in 0..4 {
        f.relayers.tick().await?;
    }
    assert_eq!(f.buyer.purchase_status(opened.purchase_id).await?, PurchaseStatus::Pending);
    admin_b.send_sol(app_b.router, &CrossChainRouter::unpauseCall {}).await?;
    assert_eq!(f.drive(opened.purchase_id, 12).await?, PurchaseStatus::Settled);
    Ok(())
}
