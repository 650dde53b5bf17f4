//! Price elasticity and price decisions: the elasticity is recovered from the generator's price
//! experiments, the decision rule is optimal in its model and respects the band, and it beats the fixed list
//! price on the generator's held-out period.

use automat_oracle::data::{DemandConfig, HOURS_PER_WEEK, generate};
use automat_oracle::pricing::{
    DemandModel, PolicySettings, PriceBand, PriceObservation, PriceReason, PricingError, PricingInput,
    compare_policies, estimate_elasticity, fit_items, observations, optimal_price, true_rate,
};
use proptest::prelude::*;

fn item_errors(config: &DemandConfig) -> Vec<f64> {
    let data = generate(config).expect("generate");
    let items = fit_items(&data.series).expect("fit items");
    assert_eq!(items.iter().map(|i| i.series.len()).sum::<usize>(), data.series.len());
    items.iter().map(|it| it.model.elasticity().beta - data.items[it.item as usize].elasticity).collect()
}

fn mae(errors: &[f64]) -> f64 {
    errors.iter().map(|e| e.abs()).sum::<f64>() / errors.len() as f64
}

fn bias(errors: &[f64]) -> f64 {
    errors.iter().sum::<f64>() / errors.len() as f64
}

#[test]
fn elasticity_is_recovered_from_price_experiments() {
    // Half the slot-days are price experiments at ±15 % and ±30 %, over sixteen weeks.
    for seed in [11, 12, 13] {
        let config = DemandConfig {
            seed,
            hours: 16 * HOURS_PER_WEEK,
            price_experiment_rate: 0.5,
            price_levels: vec![0.7, 0.85, 1.15, 1.3],
            ..DemandConfig::default()
        };
        let errors = item_errors(&config);
        let worst = errors.iter().map(|e| e.abs()).fold(0.0, f64::max);
        println!(
            "seed {seed}: items {}, MAE {:.3}, bias {:+.3}, worst {worst:.3}",
            errors.len(),
            mae(&errors),
            bias(&errors)
        );
        assert!(mae(&errors) < 0.2, "MAE {}", mae(&errors));
        assert!(bias(&errors).abs() < 0.1, "bias {}", bias(&errors));
        assert!(worst < 0.6, "worst {worst}");
    }
}

#[test]
fn elasticity_on_the_default_generator() {
    // The default generator runs few experiments (15 % of days at ±10 %, ±20 %): noisier, still unbiased.
    let mut all = Vec::new();
    for seed in [0, 1, 2, 3] {
        let errors = item_errors(&DemandConfig { seed, ..DemandConfig::default() });
        println!("seed {seed}: items {}, MAE {:.3}, bias {:+.3}", errors.len(), mae(&errors), bias(&errors));
        all.extend(errors);
    }
    println!("all: MAE {:.3}, bias {:+.3}", mae(&all), bias(&all));
    assert!(mae(&all) < 0.35, "MAE {}", mae(&all));
    assert!(bias(&all).abs() < 0.1, "bias {}", bias(&all));
}

#[test]
fn single_series_fit_and_forecast() {
    let config = DemandConfig { seed: 4, ..DemandConfig::default() };
    let data = generate(&config).expect("generate");
    let series = &data.series[1];
    let truth = series.truth.expect("synthetic");
    let obs = observations(series, 0);
    assert_eq!(obs.len(), series.len());
    assert_eq!(
        obs.iter().filter(|o| o.censored).count(),
        series.hours.iter().filter(|h| h.stock_out || h.stock == Some(0)).count()
    );
    let model = DemandModel::fit(&obs).expect("fit");
    let e = model.elasticity();
    assert_eq!(e, estimate_elasticity(&obs).expect("estimate"));
    assert!(e.beta < 0.0 && e.r2 > 0.3 && e.samples > 30, "{e:?}");
    assert!((model.reference_price(0).expect("group 0") - truth.reference_price).abs() < 1e-9);
    // Forecast at the list price against the true demand rate over the last week of the history.
    let last_week = &series.hours[series.len() - HOURS_PER_WEEK..];
    let forecast: f64 = last_week.iter().map(|h| model.rate(0, h.t, truth.reference_price).expect("rate")).sum();
    let truth_sum: f64 =
        last_week.iter().map(|h| true_rate(&config, series, h.t, truth.reference_price, false).expect("truth")).sum();
    println!("weekly forecast {forecast:.1} vs true {truth_sum:.1}");
    assert!((forecast / truth_sum - 1.0).abs() < 0.2, "{forecast} vs {truth_sum}");
    // Demand falls with the price, by the estimated elasticity.
    let day = last_week[0].t / 24;
    let (low, high) =
        (model.daily_rate(0, day, 0.8 * truth.reference_price), model.daily_rate(0, day, truth.reference_price));
    assert!(low.expect("rate") > high.expect("rate"));
    assert!(matches!(model.rate(1, 0, 1.0), Err(PricingError::UnknownGroup(1))));
}

#[test]
fn fit_errors() {
    assert!(matches!(DemandModel::fit(&[]), Err(PricingError::NoObservations)));
    let hour =
        |h: u64, price: f64| PriceObservation { group: 0, hour: h, price, units: 3.0, promo: false, censored: false };
    let constant: Vec<_> = (0..24 * 28).map(|h| hour(h, 2.0)).collect();
    assert!(matches!(DemandModel::fit(&constant), Err(PricingError::NoPriceVariation)));
    let mut bad = constant.clone();
    bad[5].price = -1.0;
    assert!(matches!(DemandModel::fit(&bad), Err(PricingError::InvalidObservation(_))));
    let mut gap = constant;
    for o in &mut gap {
        o.group = 1;
    }
    assert!(matches!(DemandModel::fit(&gap), Err(PricingError::EmptyGroup(0))));
}

fn input(forecast: &[f64]) -> PricingInput<'_> {
    PricingInput {
        elasticity: -3.0,
        reference_price: 2.0,
        forecast,
        unit_cost: 1.0,
        band: PriceBand { min: 1.0, max: 3.0 },
        stock: 1000,
        expires_in_hours: None,
    }
}

/// Expected profit of charging `price` (a degenerate band pins the decision to it).
fn profit_at(input: &PricingInput<'_>, price: f64) -> f64 {
    optimal_price(&PricingInput { band: PriceBand { min: price, max: price }, ..*input })
        .expect("pinned")
        .expected_profit
}

#[test]
fn elastic_demand_gets_the_markup_price() {
    let forecast = vec![1.0; 24];
    let decision = optimal_price(&input(&forecast)).expect("decision");
    // c · β / (1 + β) = 1 · (−3) / (−2) = 1.5.
    assert!((decision.price - 1.5).abs() < 1e-12, "{decision:?}");
    assert_eq!(decision.reason, PriceReason::ProfitOptimum);
    assert!(!decision.clamped);
    // D(1.5) = 24 · (1.5 / 2)^−3.
    assert!((decision.expected_units - 24.0 * 0.75f64.powi(-3)).abs() < 1e-9);
    assert!((decision.expected_profit - 0.5 * decision.expected_units).abs() < 1e-9);
    let band = PriceBand { min: 1.8, max: 3.0 };
    let clamped = optimal_price(&PricingInput { band, ..input(&forecast) }).expect("decision");
    assert_eq!((clamped.price, clamped.reason, clamped.clamped), (1.8, PriceReason::ProfitOptimum, true));
}

#[test]
fn inelastic_demand_gets_the_band_maximum() {
    let forecast = vec![1.0; 24];
    for beta in [-1.0, -0.5, 0.0, 0.3] {
        let decision = optimal_price(&PricingInput { elasticity: beta, ..input(&forecast) }).expect("decision");
        assert_eq!((decision.price, decision.reason), (3.0, PriceReason::Inelastic), "β = {beta}");
    }
}

#[test]
fn scarce_stock_raises_the_price_instead_of_selling_out_cheap() {
    let forecast = vec![2.0; 48]; // 96 units at the reference price 2.0, 227.6 at the markup price 1.5
    let plenty = optimal_price(&input(&forecast)).expect("decision");
    let scarce_input = PricingInput { stock: 60, ..input(&forecast) };
    let scarce = optimal_price(&scarce_input).expect("decision");
    assert_eq!(scarce.reason, PriceReason::StockLimited);
    assert!(scarce.price > plenty.price, "{scarce:?} vs {plenty:?}");
    // The price sells exactly the stock by the restock: 96 · (p / 2)^−3 = 60.
    assert!((scarce.price - 2.0 * (60.0f64 / 96.0).powf(-1.0 / 3.0)).abs() < 1e-9);
    assert!((scarce.expected_units - 60.0).abs() < 1e-9);
    // It beats every other price in the band, including the unconstrained optimum.
    for k in 0..=200 {
        let p = 1.0 + 2.0 * f64::from(k) / 200.0;
        assert!(scarce.expected_profit >= profit_at(&scarce_input, p) - 1e-9, "price {p}");
    }
    assert!(scarce.expected_profit > profit_at(&scarce_input, plenty.price));
    // With less stock than even the band maximum leaves unsold, the price is the band maximum.
    let tiny = optimal_price(&PricingInput { stock: 5, ..input(&forecast) }).expect("decision");
    assert_eq!((tiny.price, tiny.reason, tiny.clamped), (3.0, PriceReason::StockLimited, true));
    assert_eq!(tiny.expected_units, 5.0);
}

#[test]
fn expiring_stock_lowers_the_price_to_clear_it() {
    let forecast = vec![1.0; 72];
    // 40 units expire in 24 hours, long before the restock; at the markup price 1.5 only 24 · 2.37 = 56.9
    // would sell in those 24 hours — at the reference price 24.
    let keep = PricingInput { stock: 80, reference_price: 1.2, ..input(&forecast) };
    let kept = optimal_price(&keep).expect("decision");
    let expiring = PricingInput { expires_in_hours: Some(24), ..keep };
    let cleared = optimal_price(&expiring).expect("decision");
    println!("kept {kept:?}\ncleared {cleared:?}");
    assert_eq!(cleared.reason, PriceReason::Clearance);
    assert!(cleared.price < kept.price, "{cleared:?} vs {kept:?}");
    let at_kept_price =
        optimal_price(&PricingInput { band: PriceBand { min: kept.price, max: kept.price }, ..expiring })
            .expect("pinned");
    assert!(cleared.expected_expired < at_kept_price.expected_expired);
    assert!(cleared.expected_profit > at_kept_price.expected_profit);
    for k in 0..=200 {
        let p = 1.0 + 2.0 * f64::from(k) / 200.0;
        assert!(cleared.expected_profit >= profit_at(&expiring, p) - 1e-9, "price {p}");
    }
    // Expiry after the restock changes nothing (the restock comes first and the units are kept) ...
    let late = optimal_price(&PricingInput { expires_in_hours: Some(73), ..keep }).expect("decision");
    assert_eq!(late, kept);
    // ... but perishable stock the restock discards (expiry at the restock) is cleared over the whole window.
    let fresh = optimal_price(&PricingInput { expires_in_hours: Some(72), ..keep }).expect("decision");
    assert_eq!(fresh.reason, PriceReason::Clearance);
    assert!(fresh.price < kept.price && fresh.price > cleared.price, "{fresh:?}");
}

#[test]
fn no_stock_or_no_demand_keeps_the_reference_price() {
    let forecast = vec![1.0; 24];
    let empty = optimal_price(&PricingInput { stock: 0, ..input(&forecast) }).expect("decision");
    assert_eq!((empty.price, empty.reason, empty.expected_units), (2.0, PriceReason::NoStock, 0.0));
    let quiet = vec![0.0; 24];
    let none = optimal_price(&input(&quiet)).expect("decision");
    assert_eq!((none.price, none.reason), (2.0, PriceReason::NoDemand));
}

#[test]
fn invalid_pricing_inputs() {
    let forecast = vec![1.0; 24];
    let bad = [
        PricingInput { elasticity: f64::NAN, ..input(&forecast) },
        PricingInput { reference_price: 0.0, ..input(&forecast) },
        PricingInput { unit_cost: -1.0, ..input(&forecast) },
        PricingInput { band: PriceBand { min: 3.0, max: 1.0 }, ..input(&forecast) },
        PricingInput { band: PriceBand { min: 0.0, max: 1.0 }, ..input(&forecast) },
    ];
    for b in bad {
        assert!(matches!(optimal_price(&b), Err(PricingError::InvalidInput(_))), "{b:?}");
    }
    let negative = vec![-1.0; 3];
    assert!(matches!(optimal_price(&input(&negative)), Err(PricingError::InvalidInput(_))));
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn decisions_stay_in_the_band_and_are_optimal(
        beta in -4.0f64..0.5,
        reference in 0.5f64..5.0,
        rate in 0.0f64..5.0,
        hours in 1usize..100,
        cost_share in 0.0f64..1.0,
        low in 0.5f64..1.0,
        width in 0.0f64..1.0,
        stock in 0u32..300,
        expiry in proptest::option::of(0usize..120),
    ) {
        let forecast = vec![rate; hours];
        let band = PriceBand::around(reference, low, low + width);
        let input = PricingInput {
            elasticity: beta,
            reference_price: reference,
            forecast: &forecast,
            unit_cost: cost_share * reference,
            band,
            stock,
            expires_in_hours: expiry,
        };
        let d = optimal_price(&input).expect("decision");
        prop_assert!(d.price >= band.min && d.price <= band.max, "{:?}", d);
        prop_assert!(d.expected_units <= f64::from(stock) + 1e-9);
        prop_assert!(d.expected_units >= 0.0 && d.expected_expired >= -1e-9);
        // No price on a grid over the band does better in the model.
        for k in 0..=50 {
            let p = band.min + (band.max - band.min) * f64::from(k) / 50.0;
            let other = profit_at(&input, p);
            prop_assert!(d.expected_profit >= other - 1e-9 * (1.0 + other.abs()), "{:?} vs {} at {}", d, other, p);
        }
    }
}

#[test]
fn true_rate_matches_the_generator() {
    // The benchmark's replay uses `true_rate`; it must be the generator's demand model: over all hours, the
    // generator's realised demand sums to the true rates at the prices and promotions it drew.
    let config = DemandConfig { seed: 9, ..DemandConfig::default() };
    let data = generate(&config).expect("generate");
    let (mut rate, mut demand) = (0.0, 0.0);
    for s in &data.series {
        for h in &s.hours {
            rate += true_rate(&config, s, h.t, h.price, h.promo).expect("synthetic");
            demand += f64::from(h.demand.expect("synthetic"));
        }
    }
    println!("Σ demand {demand:.0}, Σ true rate {rate:.0}");
    assert!((demand / rate - 1.0).abs() < 0.02, "{demand} vs {rate}");
}

#[test]
fn optimised_price_beats_the_list_price() {
    // Goal: (profit with the optimised price − profit with the fixed list price) / the latter ≥ 0.10 over the
    // generator's two held-out weeks, pooled over ten generated worlds (seeds 0–9, each with its own replay
    // noise); band 70 %–130 % of the list price, unit cost half the list price (keystone pricing: the list
    // price is twice the cost, the least favourable cost of the benchmark's range).
    let settings = PolicySettings { unit_cost_ratio: 0.5, ..PolicySettings::default() };
    let mut fixed_profit = 0.0;
    let mut optimised_profit = 0.0;
    let mut reached = 0;
    for seed in 0..10u64 {
        let config = DemandConfig { seed, ..DemandConfig::default() };
        let data = generate(&config).expect("generate");
        let c = compare_policies(&config, &data, &PolicySettings { seed, ..settings }).expect("compare");
        println!(
            "seed {seed}: profit uplift {:+.3} (oracle {:+.3}), revenue uplift {:+.3}, elasticity MAE {:.3}, \
             mean price ×{:.3}, stock-out hours {} → {}",
            c.profit_uplift,
            c.oracle_profit_uplift,
            c.revenue_uplift,
            c.elasticity_mae,
            c.optimised.mean_price_ratio,
            c.fixed.stockout_hours,
            c.optimised.stockout_hours
        );
        assert_eq!(c.slot_hours, data.series.len() * settings.held_out_hours);
        assert!((c.fixed.mean_price_ratio - 1.0).abs() < 1e-12);
        assert!(c.optimised.mean_price_ratio >= 0.7 && c.optimised.mean_price_ratio <= 1.3);
        // Every seed gains, and close to what the true model would: the headroom itself depends on how far
        // the drawn list prices are from the optimum (the oracle's uplift).
        assert!(c.profit_uplift > 0.05, "seed {seed}: {c:?}");
        assert!(c.profit_uplift > c.oracle_profit_uplift - 0.05, "seed {seed}: {c:?}");
        reached += usize::from(c.profit_uplift >= 0.10);
        fixed_profit += c.fixed.profit;
        optimised_profit += c.optimised.profit;
    }
    let pooled = (optimised_profit - fixed_profit) / fixed_profit;
    println!("pooled profit uplift over seeds 0–9: {pooled:+.3}; seeds reaching 0.10 alone: {reached}/10");
    assert!(pooled >= 0.10, "{pooled}");
    assert!(reached >= 7, "{reached}");
}

#[test]
fn optimised_price_raises_revenue_at_a_typical_vending_cost() {
    // Goal: revenue with the optimised price over revenue with the fixed list price, minus 1, ≥ 0.10 over the
    // generator's two held-out weeks, pooled over ten generated worlds (seeds 0–9), at the default unit cost
    // (a third of the list price, typical of snack and drink vending); profit rises too. The optimiser
    // maximises profit, so at a higher cost it gives up revenue for margin: at keystone cost (half the list
    // price) the revenue uplift is well below the goal while the profit uplift is higher (see the test above).
    let settings = PolicySettings::default();
    let (mut fixed, mut optimised, mut fixed_profit, mut optimised_profit, mut wasted) = (0.0, 0.0, 0.0, 0.0, (0, 0));
    for seed in 0..10u64 {
        let config = DemandConfig { seed, ..DemandConfig::default() };
        let data = generate(&config).expect("generate");
        let c = compare_policies(&config, &data, &PolicySettings { seed, ..settings }).expect("compare");
        println!(
            "seed {seed}: revenue uplift {:+.3}, profit uplift {:+.3}, perishable units wasted {} → {}",
            c.revenue_uplift, c.profit_uplift, c.fixed.wasted, c.optimised.wasted
        );
        fixed += c.fixed.revenue;
        optimised += c.optimised.revenue;
        fixed_profit += c.fixed.profit;
        optimised_profit += c.optimised.profit;
        wasted.0 += c.fixed.wasted;
        wasted.1 += c.optimised.wasted;
    }
    let revenue_uplift = optimised / fixed - 1.0;
    let profit_uplift = optimised_profit / fixed_profit - 1.0;
    println!("pooled: revenue uplift {revenue_uplift:+.3}, profit uplift {profit_uplift:+.3}, wasted {wasted:?}");
    assert!(revenue_uplift >= 0.10, "{revenue_uplift}");
    assert!(profit_uplift >= 0.10, "{profit_uplift}");
    assert!(wasted.1 < wasted.0, "clearance pricing wastes less fresh food: {wasted:?}");
}
