//! Risk score for insurance: the probability that a purchase fails or is disputed, by logistic regression
//! (`linfa-logistic`) on the purchase's features (machine reputation, the machine's failure history, item
//! value, chain and cross-chain transport). The insurance premium derives from this probability (later).
//!
//! The module also holds a seeded synthetic labelled generator, [`RiskGenerator`], whose labels are drawn
//! from a documented true logistic model, [`TrueRiskModel`], so that fitting can be checked against known
//! coefficients, and [`evaluate`], which scores a model on held-out samples by ROC AUC and log-loss against
//! the base-rate baseline (both computed by `linfa`'s classification metrics).
//!
//! # Feature encoding
//!
//! A purchase's [`RiskFeatures`] are encoded into the vector (in the order of [`FEATURE_NAMES`]):
//!
//! | index | name | value |
//! |---|---|---|
//! | 0 | `reputation` | reputation / 1000, in `[0, 1]` |
//! | 1 | `failure_rate` | the machine's past failure rate, in `[0, 1]` |
//! | 2 | `log_value` | `ln(1 + item value in USD)` |
//! | 3 | `chain_rollup` | 1 if the purchase's chain is a rollup, else 0 |
//! | 4 | `chain_other` | 1 if the chain is neither an L1 nor a known rollup, else 0 |
//! | 5 | `layerzero` | 1 if the payment crosses chains over LayerZero, else 0 |
//! | 6 | `hyperlane` | 1 if the payment crosses chains over Hyperlane, else 0 |
//!
//! An L1 chain and a local (same-chain) payment are the reference categories (all indicators 0).

use linfa::Dataset;
use linfa::dataset::Pr;
use linfa::metrics::BinaryClassification;
use linfa::traits::Fit;
use linfa_logistic::{FittedLogisticRegression, LogisticRegression};
use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// Number of encoded features (see the module documentation).
pub const N_FEATURES: usize = 7;

/// Names of the encoded features, in the order of [`RiskFeatures::encode`].
pub const FEATURE_NAMES: [&str; N_FEATURES] =
    ["reputation", "failure_rate", "log_value", "chain_rollup", "chain_other", "layerzero", "hyperlane"];

/// Highest machine reputation.
pub const MAX_REPUTATION: u16 = 1000;

/// Errors of the risk model.
#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    /// No samples were given.
    #[error("no samples")]
    NoSamples,
    /// The samples hold only one outcome (all failed or none), so no logistic model can be fitted.
    #[error("the samples hold only one outcome (failed = {failed}); both are needed")]
    SingleOutcome {
        /// The only outcome present.
        failed: bool,
    },
    /// A feature value is out of its domain.
    #[error("invalid feature: {0}")]
    InvalidFeature(&'static str),
    /// A predicted probability is outside `[0, 1]` (or not a number).
    #[error("predicted probability {0} outside [0, 1]")]
    InvalidProbability(f64),
    /// `linfa-logistic` failed to fit.
    #[error("logistic regression failed: {0}")]
    Fit(#[from] linfa_logistic::error::Error),
    /// `linfa` failed to compute a metric.
    #[error("metric failed: {0}")]
    Metric(#[from] linfa::Error),
    /// The design matrix could not be shaped.
    #[error("design matrix: {0}")]
    Shape(#[from] ndarray::ShapeError),
}

/// Class of the chain a purchase is paid on (from its chain id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChainClass {
    /// An L1 (Ethereum mainnet, Sepolia, Holesky): the reference category.
    L1,
    /// A known optimistic or zk rollup (Optimism, Base, Arbitrum and their testnets).
    Rollup,
    /// Any other chain (sidechains, devnets, unknown ids).
    Other,
}

impl ChainClass {
    /// The class of an EVM chain id.
    pub fn from_chain_id(chain_id: u64) -> Self {
        match chain_id {
            1 | 11_155_111 | 17_000 => Self::L1,
            10 | 8453 | 42_161 | 11_155_420 | 84_532 | 421_614 | 324 | 300 | 59_144 | 534_352 => Self::Rollup,
            _ => Self::Other,
        }
    }
}

/// How the payment reaches the machine's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Transport {
    /// Paid on the machine's own chain: the reference category.
    Local,
    /// Crossed chains over LayerZero.
    LayerZero,
    /// Crossed chains over Hyperlane.
    Hyperlane,
}

/// The features of one purchase that the risk score depends on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskFeatures {
    /// The machine's reputation, `0..=1000`.
    pub reputation: u16,
    /// The machine's past rate of failed or disputed purchases, in `[0, 1]`.
    pub failure_rate: f64,
    /// The item's value in USD (non-negative).
    pub item_value: f64,
    /// The class of the chain the purchase is paid on.
    pub chain: ChainClass,
    /// How the payment reaches the machine.
    pub transport: Transport,
}

impl RiskFeatures {
    /// Checks that every feature is within its domain.
    pub fn validate(&self) -> Result<(), RiskError> {
        if self.reputation > MAX_REPUTATION {
            return Err(RiskError::InvalidFeature("reputation above 1000"));
        }
        if !(0.0..=1.0).contains(&self.failure_rate) {
            return Err(RiskError::InvalidFeature("failure rate outside [0, 1]"));
        }
        if !(self.item_value.is_finite() && self.item_value >= 0.0) {
            return Err(RiskError::InvalidFeature("item value negative or not finite"));
        }
        Ok(())
    }

    /// The encoded feature vector (see the module documentation).
    pub fn encode(&self) -> [f64; N_FEATURES] {
        let indicator = |b: bool| if b { 1.0 } else { 0.0 };
        [
            f64::from(self.reputation) / f64::from(MAX_REPUTATION),
            self.failure_rate,
            self.item_value.ln_1p(),
            indicator(self.chain == ChainClass::Rollup),
            indicator(self.chain == ChainClass::Other),
            indicator(self.transport == Transport::LayerZero),
            indicator(self.transport == Transport::Hyperlane),
        ]
    }
}

/// One labelled purchase.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskSample {
    /// The purchase's features.
    pub features: RiskFeatures,
    /// Whether the purchase failed or was disputed.
    pub failed: bool,
}

/// The logistic function `1 / (1 + e^-z)`.
fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The true logistic model the synthetic labels are drawn from:
/// `P(failed) = sigmoid(intercept + coefficients · encode(features))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueRiskModel {
    /// The intercept (log-odds of failure for a reputation-0, never-failed machine selling a free item on
    /// an L1, paid locally).
    pub intercept: f64,
    /// The coefficients, in the order of [`FEATURE_NAMES`].
    pub coefficients: [f64; N_FEATURES],
}

impl Default for TrueRiskModel {
    /// The documented true model:
    ///
    /// - intercept −3.0 (a failure rate of about 11 % over the generator's feature distribution);
    /// - reputation −3.0 (a 1000-reputation machine has e^−3 ≈ 1/20 the odds of a 0-reputation one);
    /// - past failure rate +8.0 (each 10 points of past failure rate multiply the odds by e^0.8 ≈ 2.2);
    /// - log value +0.4 (dearer items are disputed more often);
    /// - rollup +0.3, other chain +0.7 (against an L1);
    /// - LayerZero +0.9, Hyperlane +1.1 (against a local payment).
    fn default() -> Self {
        Self { intercept: -3.0, coefficients: [-3.0, 8.0, 0.4, 0.3, 0.7, 0.9, 1.1] }
    }
}

impl TrueRiskModel {
    /// The true probability that a purchase with these features fails.
    pub fn probability(&self, features: &RiskFeatures) -> f64 {
        let x = features.encode();
        let z = self.intercept + self.coefficients.iter().zip(x.iter()).map(|(b, v)| b * v).sum::<f64>();
        sigmoid(z)
    }
}

/// A seeded generator of labelled purchases.
///
/// Features are drawn independently: reputation uniform on `200..=1000`; past failure rate uniform on
/// `[0, 0.15)`; item value log-uniform on `[0.5, 200)` USD; chain L1 30 %, rollup 50 %, other 20 %;
/// transport local 60 %, LayerZero 20 %, Hyperlane 20 %. The label is a Bernoulli draw with the
/// probability of [`TrueRiskModel::probability`].
#[derive(Debug, Clone)]
pub struct RiskGenerator {
    model: TrueRiskModel,
    rng: StdRng,
}

impl RiskGenerator {
    /// A generator with the default true model and the given seed.
    pub fn new(seed: u64) -> Self {
        Self::with_model(TrueRiskModel::default(), seed)
    }

    /// A generator with the given true model and seed.
    pub fn with_model(model: TrueRiskModel, seed: u64) -> Self {
        Self { model, rng: StdRng::seed_from_u64(seed) }
    }

    /// The true model labels are drawn from.
    pub fn model(&self) -> &TrueRiskModel {
        &self.model
    }

    /// Draws the features of one purchase.
    pub fn features(&mut self) -> RiskFeatures {
        let rng = &mut self.rng;
        let reputation = rng.random_range(200..=MAX_REPUTATION);
        let failure_rate = rng.random_range(0.0..0.15);
        let item_value = (rng.random_range(0.5f64.ln()..200f64.ln())).exp();
        let chain = match rng.random_range(0..10) {
            0..=2 => ChainClass::L1,
            3..=7 => ChainClass::Rollup,
            _ => ChainClass::Other,
        };
        let transport = match rng.random_range(0..10) {
            0..=5 => Transport::Local,
            6 | 7 => Transport::LayerZero,
            _ => Transport::Hyperlane,
        };
        RiskFeatures { reputation, failure_rate, item_value, chain, transport }
    }

    /// Draws one labelled purchase.
    pub fn sample(&mut self) -> RiskSample {
        let features = self.features();
        let p = self.model.probability(&features);
        let failed = self.rng.random_bool(p);
        RiskSample { features, failed }
    }

    /// Draws `n` labelled purchases.
    pub fn samples(&mut self, n: usize) -> Vec<RiskSample> {
        (0..n).map(|_| self.sample()).collect()
    }
}

/// Hyperparameters of [`RiskModel::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskFitParams {
    /// L2 penalty on the coefficients (not the intercept), on the summed log-loss (so its weight shrinks
    /// relative to the data as the sample grows).
    pub l2: f64,
    /// Maximum L-BFGS iterations.
    pub max_iterations: u64,
    /// Norm of the gradient of the summed log-loss at which L-BFGS stops.
    pub gradient_tolerance: f64,
}

impl Default for RiskFitParams {
    fn default() -> Self {
        Self { l2: 1e-3, max_iterations: 500, gradient_tolerance: 1e-4 }
    }
}

/// A fitted risk model: logistic regression of "failed or disputed" on the encoded features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskModel {
    intercept: f64,
    coefficients: [f64; N_FEATURES],
    samples: usize,
    base_rate: f64,
}

fn design(features: impl ExactSizeIterator<Item = [f64; N_FEATURES]>) -> Result<Array2<f64>, RiskError> {
    let n = features.len();
    let flat: Vec<f64> = features.flat_map(|x| x.into_iter()).collect();
    Ok(Array2::from_shape_vec((n, N_FEATURES), flat)?)
}

impl RiskModel {
    /// Fits the model on labelled samples with the default hyperparameters.
    pub fn fit(samples: &[RiskSample]) -> Result<Self, RiskError> {
        Self::fit_with(samples, RiskFitParams::default())
    }

    /// Fits the model on labelled samples with `linfa-logistic` (L-BFGS on the L2-penalised log-loss).
    pub fn fit_with(samples: &[RiskSample], params: RiskFitParams) -> Result<Self, RiskError> {
        let first = samples.first().ok_or(RiskError::NoSamples)?;
        for s in samples {
            s.features.validate()?;
        }
        let failures = samples.iter().filter(|s| s.failed).count();
        if failures == 0 || failures == samples.len() {
            return Err(RiskError::SingleOutcome { failed: first.failed });
        }
        let x = design(samples.iter().map(|s| s.features.encode()))?;
        let y: Array1<bool> = samples.iter().map(|s| s.failed).collect();
        let dataset = Dataset::new(x, y);
        let fitted: FittedLogisticRegression<f64, bool> = LogisticRegression::default()
            .alpha(params.l2)
            .max_iterations(params.max_iterations)
            .gradient_tolerance(params.gradient_tolerance)
            .fit(&dataset)?;
        // linfa-logistic models the probability of its "positive" class, which is the *more frequent*
        // label in the training set; turn it into the log-odds of failure.
        let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
        let mut coefficients = [0.0; N_FEATURES];
        for (c, p) in coefficients.iter_mut().zip(fitted.params().iter()) {
            *c = sign * p;
        }
        Ok(Self {
            intercept: sign * fitted.intercept(),
            coefficients,
            samples: samples.len(),
            base_rate: failures as f64 / samples.len() as f64,
        })
    }

    /// The fitted intercept (log-odds scale).
    pub fn intercept(&self) -> f64 {
        self.intercept
    }

    /// The fitted coefficients (log-odds scale), in the order of [`FEATURE_NAMES`].
    pub fn coefficients(&self) -> &[f64; N_FEATURES] {
        &self.coefficients
    }

    /// Number of training samples.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Failure rate in the training samples.
    pub fn base_rate(&self) -> f64 {
        self.base_rate
    }

    /// The probability that a purchase with these features fails or is disputed.
    pub fn predict(&self, features: &RiskFeatures) -> f64 {
        let x = features.encode();
        let z = self.intercept + self.coefficients.iter().zip(x.iter()).map(|(b, v)| b * v).sum::<f64>();
        sigmoid(z)
    }
}

/// A model's scores on held-out samples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RiskEvaluation {
    /// Number of held-out samples.
    pub samples: usize,
    /// Failure rate in the held-out samples.
    pub failure_rate: f64,
    /// Area under the ROC curve of the predicted probabilities (0.5 = no skill).
    pub auc: f64,
    /// Mean log-loss of the predicted probabilities.
    pub log_loss: f64,
    /// Mean log-loss of the constant prediction "the training base rate" (the baseline).
    pub baseline_log_loss: f64,
}

/// Scores `model` on held-out `samples` with `linfa`'s ROC AUC and log-loss, against the baseline that
/// predicts the model's training base rate for every purchase.
pub fn evaluate(model: &RiskModel, samples: &[RiskSample]) -> Result<RiskEvaluation, RiskError> {
    evaluate_probabilities(|f| model.predict(f), model.base_rate, samples)
}

/// Scores any probability function (e.g. [`TrueRiskModel::probability`], the best achievable) on
/// `samples` with `linfa`'s ROC AUC and log-loss, against the constant prediction `baseline`.
pub fn evaluate_probabilities(
    predict: impl Fn(&RiskFeatures) -> f64,
    baseline: f64,
    samples: &[RiskSample],
) -> Result<RiskEvaluation, RiskError> {
    if samples.is_empty() {
        return Err(RiskError::NoSamples);
    }
    let labels: Vec<bool> = samples.iter().map(|s| s.failed).collect();
    let failures = labels.iter().filter(|&&f| f).count();
    if failures == 0 || failures == samples.len() {
        return Err(RiskError::SingleOutcome { failed: labels[0] });
    }
    // linfa's metrics take f32 probabilities (`Pr`), which must lie in [0, 1].
    let probability = |p: f64| Pr::try_from(p as f32).map_err(|_| RiskError::InvalidProbability(p));
    let predicted = samples.iter().map(|s| probability(predict(&s.features))).collect::<Result<Vec<Pr>, _>>()?;
    let baseline: Vec<Pr> = vec![probability(baseline)?; samples.len()];
    let auc = predicted.as_slice().roc(labels.as_slice())?.area_under_curve();
    let log_loss = predicted.as_slice().log_loss(labels.as_slice())?;
    let baseline_log_loss = baseline.as_slice().log_loss(labels.as_slice())?;
    Ok(RiskEvaluation {
        samples: samples.len(),
        failure_rate: failures as f64 / samples.len() as f64,
        auc: f64::from(auc),
        log_loss: f64::from(log_loss),
        baseline_log_loss: f64::from(baseline_log_loss),
    })
}
