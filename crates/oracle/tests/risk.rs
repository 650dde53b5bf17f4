//! Risk model: fitting recovers the documented true logistic model and beats the base-rate baseline on
//! held-out purchases.

use automat_oracle::risk::{
    ChainClass, FEATURE_NAMES, RiskError, RiskFeatures, RiskGenerator, RiskModel, RiskSample, Transport, TrueRiskModel,
    evaluate, evaluate_probabilities,
};

const TRAIN: usize = 20_000;
const TEST: usize = 10_000;

fn split(seed: u64) -> (Vec<RiskSample>, Vec<RiskSample>, TrueRiskModel) {
    let mut generator = RiskGenerator::new(seed);
    let train = generator.samples(TRAIN);
    let test = generator.samples(TEST);
    (train, test, generator.model().clone())
}

#[test]
fn fitted_model_beats_base_rate_and_nears_the_true_model() {
    for seed in [1, 2, 3] {
        let (train, test, truth) = split(seed);
        let model = RiskModel::fit(&train).expect("fit");
        let fitted = evaluate(&model, &test).expect("evaluate");
        let best = evaluate_probabilities(|f| truth.probability(f), model.base_rate(), &test).expect("evaluate truth");
        println!(
            "seed {seed}: failure rate {:.3}, AUC {:.4} (true model {:.4}), log-loss {:.4} (true {:.4}, base rate {:.4})",
            fitted.failure_rate, fitted.auc, best.auc, fitted.log_loss, best.log_loss, fitted.baseline_log_loss
        );
        assert!(fitted.failure_rate > 0.03 && fitted.failure_rate < 0.5, "{fitted:?}");
        assert!(fitted.auc > 0.75, "AUC {}", fitted.auc);
        assert!(fitted.auc > best.auc - 0.01, "{fitted:?} vs {best:?}");
        assert!(fitted.log_loss < 0.9 * fitted.baseline_log_loss, "{fitted:?}");
        assert!(fitted.log_loss < best.log_loss + 0.005, "{fitted:?} vs {best:?}");
    }
}

#[test]
fn fit_recovers_the_true_coefficients() {
    let mut generator = RiskGenerator::new(7);
    let train = generator.samples(60_000);
    let truth = generator.model().clone();
    let model = RiskModel::fit(&train).expect("fit");
    println!("intercept {:.3} (true {:.3})", model.intercept(), truth.intercept);
    for ((name, fitted), real) in FEATURE_NAMES.iter().zip(model.coefficients()).zip(truth.coefficients) {
        println!("{name}: {fitted:.3} (true {real:.3})");
    }
    assert!((model.intercept() - truth.intercept).abs() < 0.4, "intercept {}", model.intercept());
    // The failure-rate coefficient multiplies a feature of range 0.15, so its standard error is larger.
    let tolerance = [0.3, 1.5, 0.1, 0.2, 0.2, 0.15, 0.15];
    for (i, name) in FEATURE_NAMES.iter().enumerate() {
        let (fitted, real) = (model.coefficients()[i], truth.coefficients[i]);
        assert!((fitted - real).abs() < tolerance[i], "{name}: fitted {fitted}, true {real}");
    }
}

#[test]
fn predictions_follow_the_risk_factors() {
    let (train, _, _) = split(11);
    let model = RiskModel::fit(&train).expect("fit");
    let base = RiskFeatures {
        reputation: 600,
        failure_rate: 0.05,
        item_value: 10.0,
        chain: ChainClass::L1,
        transport: Transport::Local,
    };
    let p = model.predict(&base);
    assert!(p > 0.0 && p < 1.0);
    let riskier = [
        RiskFeatures { reputation: 300, ..base },
        RiskFeatures { failure_rate: 0.12, ..base },
        RiskFeatures { item_value: 150.0, ..base },
        RiskFeatures { chain: ChainClass::Other, ..base },
        RiskFeatures { transport: Transport::LayerZero, ..base },
        RiskFeatures { transport: Transport::Hyperlane, ..base },
    ];
    for f in riskier {
        assert!(model.predict(&f) > p, "{f:?} not riskier than {base:?}");
    }
}

#[test]
fn failures_are_the_modelled_class_whichever_is_more_frequent() {
    // With a high intercept most purchases fail: the model must still predict P(failed), not P(majority).
    let truth = TrueRiskModel { intercept: 3.0, ..TrueRiskModel::default() };
    let mut generator = RiskGenerator::with_model(truth.clone(), 5);
    let train = generator.samples(20_000);
    let test = generator.samples(5_000);
    let model = RiskModel::fit(&train).expect("fit");
    assert!(model.base_rate() > 0.5, "base rate {}", model.base_rate());
    let fitted = evaluate(&model, &test).expect("evaluate");
    assert!(fitted.auc > 0.7, "{fitted:?}");
    let f = test[0].features;
    assert!((model.predict(&f) - truth.probability(&f)).abs() < 0.1);
}

#[test]
fn invalid_inputs_are_errors() {
    assert!(matches!(RiskModel::fit(&[]), Err(RiskError::NoSamples)));
    let mut generator = RiskGenerator::new(3);
    let mut samples = generator.samples(100);
    for s in &mut samples {
        s.failed = false;
    }
    assert!(matches!(RiskModel::fit(&samples), Err(RiskError::SingleOutcome { failed: false })));
    samples[0].failed = true;
    samples[1].features.reputation = 1001;
    assert!(matches!(RiskModel::fit(&samples), Err(RiskError::InvalidFeature(_))));
    samples[1].features.reputation = 1000;
    samples[2].features.failure_rate = 1.5;
    assert!(matches!(RiskModel::fit(&samples), Err(RiskError::InvalidFeature(_))));
}

#[test]
fn chain_classes() {
    assert_eq!(ChainClass::from_chain_id(1), ChainClass::L1);
    assert_eq!(ChainClass::from_chain_id(11_155_111), ChainClass::L1);
    assert_eq!(ChainClass::from_chain_id(8453), ChainClass::Rollup);
    assert_eq!(ChainClass::from_chain_id(42_161), ChainClass::Rollup);
    assert_eq!(ChainClass::from_chain_id(31_337), ChainClass::Other);
}
