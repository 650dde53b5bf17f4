//! The synthetic demand generator and sales history read from CSV or records.
#![allow(clippy::unwrap_used, missing_docs)]

use automat_oracle::data::{
    DEFAULT_START, DataError, Dataset, DemandConfig, HOURS_PER_WEEK, Location, SalesRecord, generate, hour_of_week,
    parse_csv, to_hourly, write_csv,
};

fn small(seed: u64) -> DemandConfig {
    DemandConfig { seed, machines: 4, slots_per_machine: 3, hours: 6 * HOURS_PER_WEEK, ..DemandConfig::default() }
}

#[test]
fn hour_of_week_starts_on_monday() {
    // 2024-01-01 00:00 UTC was a Monday; 1970-01-01 00:00 UTC a Thursday.
    assert_eq!(hour_of_week(DEFAULT_START / 3600), 0);
    assert_eq!(hour_of_week(DEFAULT_START / 3600 + 167), 167);
    assert_eq!(hour_of_week(DEFAULT_START / 3600 + 168), 0);
    assert_eq!(hour_of_week(0), 72);
}

#[test]
fn seasonal_factors_average_to_one() {
    for location in Location::ALL {
        let mean = (0..HOURS_PER_WEEK).map(|u| location.seasonal_factor(u)).sum::<f64>() / HOURS_PER_WEEK as f64;
        assert!((mean - 1.0).abs() < 1e-12, "{location:?}: {mean}");
    }
    // Offices are busier on a Tuesday noon than on a Sunday noon; gyms less so.
    let office = Location::Office.seasonal_factor(24 + 12) / Location::Office.seasonal_factor(6 * 24 + 12);
    let gym = Location::Gym.seasonal_factor(24 + 12) / Location::Gym.seasonal_factor(6 * 24 + 12);
    assert!(office > 5.0 && gym < 2.0, "office {office}, gym {gym}");
}

#[test]
fn generation_is_deterministic_per_seed() {
    let a = generate(&small(7)).unwrap();
    let b = generate(&small(7)).unwrap();
    let c = generate(&small(8)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.series[0].hours, c.series[0].hours);
}

#[test]
fn dataset_shape_and_truth() {
    let config = small(1);
    let data = generate(&config).unwrap();
    assert_eq!(data.series.len(), 12);
    assert_eq!(data.items.len(), config.items as usize);
    for (i, s) in data.series.iter().enumerate() {
        assert_eq!(s.machine, i as u64 / 3);
        assert_eq!(usize::from(s.slot), i % 3);
        assert_eq!(s.location, Some(config.locations[s.machine as usize % config.locations.len()]));
        assert_eq!(s.len(), config.hours);
        let truth = s.truth.unwrap();
        let item = data.items[s.item.unwrap() as usize];
        assert_eq!(truth.elasticity, item.elasticity);
        assert!((config.elasticity.0..=config.elasticity.1).contains(&truth.elasticity));
        assert!((config.base_rate.0..=config.base_rate.1).contains(&truth.base_rate));
        for (k, h) in s.hours.iter().enumerate() {
            assert_eq!(h.t, DEFAULT_START / 3600 + k as u64, "consecutive hours");
        }
    }
}

#[test]
fn stock_censors_demand() {
    let data = generate(&small(2)).unwrap();
    let mut stock_outs = 0;
    for s in &data.series {
        let truth = s.truth.unwrap();
        let mut expected_stock = truth.capacity;
        for h in &s.hours {
            let restock = h.t >= truth.first_restock
                && (h.t - truth.first_restock).is_multiple_of(u64::from(truth.restock_interval_hours));
            if restock {
                expected_stock = truth.capacity;
            }
            let (demand, stock) = (h.demand.unwrap(), h.stock.unwrap());
            assert_eq!(stock, expected_stock);
            assert_eq!(h.units_sold, demand.min(stock));
            assert_eq!(h.stock_out, demand > stock);
            stock_outs += usize::from(h.stock_out);
            expected_stock -= h.units_sold;
        }
    }
    assert!(stock_outs > 0, "the default covers let some slots run empty");
}

#[test]
fn demand_follows_the_documented_structure() {
    // Many slots, Poisson noise, no trend, no promotions or price experiments: mean demand per hour of the week
    // divided by the base rate should track the location's seasonal factor.
    let config = DemandConfig {
        seed: 3,
        machines: 1,
        slots_per_machine: 40,
        hours: 8 * HOURS_PER_WEEK,
        locations: vec![Location::Station],
        base_rate: (2.0, 2.0),
        trend_per_week: (0.0, 0.0),
        price_experiment_rate: 0.0,
        promo_rate: 0.0,
        dispersion: f64::INFINITY,
        ..DemandConfig::default()
    };
    let data = generate(&config).unwrap();
    let mut sums = vec![0.0; HOURS_PER_WEEK];
    let mut counts = vec![0.0; HOURS_PER_WEEK];
    for s in &data.series {
        for h in &s.hours {
            sums[hour_of_week(h.t)] += f64::from(h.demand.unwrap());
            counts[hour_of_week(h.t)] += 1.0;
        }
    }
    for u in 0..HOURS_PER_WEEK {
        let expected = 2.0 * Location::Station.seasonal_factor(u);
        let observed = sums[u] / counts[u];
        // 320 Poisson draws per hour of the week: standard error √(λ/320).
        let tolerance = 4.0 * (expected / counts[u]).sqrt() + 1e-9;
        assert!((observed - expected).abs() < tolerance, "hour {u}: {observed} vs {expected}");
    }
}

#[test]
fn price_experiments_and_promotions_happen() {
    let data = generate(&small(4)).unwrap();
    let s = &data.series[0];
    let reference = s.truth.unwrap().reference_price;
    assert!(s.hours.iter().any(|h| h.price != reference));
    assert!(s.hours.iter().any(|h| h.price == reference));
    // A price is constant over each UTC day.
    for day in s.hours.chunks(24) {
        assert!(day.iter().all(|h| h.price == day[0].price));
    }
    assert!(data.series.iter().any(|s| s.hours.iter().any(|h| h.promo)));
}

#[test]
fn invalid_configs_are_rejected() {
    for config in [
        DemandConfig { machines: 0, ..DemandConfig::default() },
        DemandConfig { base_rate: (2.0, 1.0), ..DemandConfig::default() },
        DemandConfig { promo_rate: 1.5, ..DemandConfig::default() },
        DemandConfig { price_levels: vec![], ..DemandConfig::default() },
        DemandConfig { dispersion: 0.0, ..DemandConfig::default() },
    ] {
        assert!(matches!(generate(&config), Err(DataError::InvalidConfig { .. })), "{config:?}");
    }
}

#[test]
fn split_holds_out_the_last_hours() {
    let data = generate(&small(5)).unwrap();
    let (history, held_out) = data.split(HOURS_PER_WEEK).unwrap();
    for ((s, h), o) in data.series.iter().zip(&history.series).zip(&held_out.series) {
        assert_eq!(h.len(), s.len() - HOURS_PER_WEEK);
        assert_eq!(o.len(), HOURS_PER_WEEK);
        assert_eq!([h.hours.as_slice(), o.hours.as_slice()].concat(), s.hours);
        assert_eq!((h.machine, h.slot, o.machine, o.slot), (s.machine, s.slot, s.machine, s.slot));
    }
    assert!(matches!(data.split(0), Err(DataError::BadSplit { .. })));
    assert!(matches!(data.split(data.series[0].len()), Err(DataError::BadSplit { .. })));
}

#[test]
fn csv_round_trip() {
    let data = generate(&small(6)).unwrap();
    let mut bytes = Vec::new();
    write_csv(&data.to_records(), &mut bytes).unwrap();
    let records = parse_csv(bytes.as_slice()).unwrap();
    let back = Dataset::from_records(&records);
    assert_eq!(back.series.len(), data.series.len());
    for (a, b) in data.series.iter().zip(&back.series) {
        assert_eq!((a.machine, a.slot), (b.machine, b.slot));
        assert!(a.units_sold() == b.units_sold(), "units of {}/{}", a.machine, a.slot);
        assert!(a.prices() == b.prices(), "prices of {}/{}", a.machine, a.slot);
        assert_eq!(b.demand(), None);
    }
}

fn parse(text: &str) -> Result<Vec<SalesRecord>, DataError> {
    parse_csv(text.as_bytes())
}

fn bad_line(text: &str) -> (u64, String) {
    match parse(text) {
        Err(DataError::BadRow { line, reason }) => (line, reason),
        other => panic!("expected a bad row, got {other:?}"),
    }
}

#[test]
fn csv_parses_columns_in_any_order() {
    let records = parse("price, units ,slot,machine,timestamp,note\n2.5,3,1,7,3600,x\n\n1,0,2,7,7200,y\n").unwrap();
    assert_eq!(
        records,
        vec![
            SalesRecord { timestamp: 3600, machine: 7, slot: 1, units: 3, price: 2.5 },
            SalesRecord { timestamp: 7200, machine: 7, slot: 2, units: 0, price: 1.0 },
        ]
    );
}

#[test]
fn csv_missing_column_in_header() {
    match parse("timestamp,machine,slot,units\n0,1,2,3\n") {
        Err(DataError::MissingColumn { column }) => assert_eq!(column, "price"),
        other => panic!("{other:?}"),
    }
    let message = parse("").unwrap_err().to_string();
    assert!(message.contains("line 1") && message.contains("timestamp"), "{message}");
}

#[test]
fn csv_bad_rows_report_their_line() {
    let header = "timestamp,machine,slot,units,price\n";
    let ok = "3600,1,0,2,1.5\n";
    // A short row (missing field) on line 3.
    let (line, reason) = bad_line(&format!("{header}{ok}3600,1,0,2\n"));
    assert_eq!(line, 3);
    assert!(reason.contains("fields"), "{reason}");
    // Non-numeric units on line 4 (after a blank line, still counted).
    let (line, reason) = bad_line(&format!("{header}{ok}\n3600,1,0,two,1.5\n"));
    assert_eq!(line, 4);
    assert!(reason.contains("units") && reason.contains("not a number"), "{reason}");
    // Negative units.
    let (line, reason) = bad_line(&format!("{header}3600,1,0,-2,1.5\n"));
    assert_eq!(line, 2);
    assert!(reason.contains("negative units"), "{reason}");
    // Fractional units, bad timestamp, slot out of range, negative and non-numeric price, empty field.
    for (row, needle) in [
        ("3600,1,0,2.5,1.5", "whole number"),
        ("2024-01-01,1,0,2,1.5", "timestamp"),
        ("3600,1,70000,2,1.5", "slot 70000"),
        ("3600,1,0,2,-1", "price"),
        ("3600,1,0,2,abc", "price `abc`"),
        ("3600,,0,2,1", "empty `machine`"),
        ("3600,1,0,2,NaN", "price"),
    ] {
        let (line, reason) = bad_line(&format!("{header}{ok}{ok}{row}\n"));
        assert_eq!(line, 4, "{row}");
        assert!(reason.contains(needle), "{row}: {reason}");
    }
    // Blank lines and quoted line breaks count.
    let (line, _) = bad_line(&format!("{header}\n\r\n3600,1,0,2,\"1.5\"\n\n\"3\n600\",1,0,2,1.5\n"));
    assert_eq!(line, 6);
    // Invalid UTF-8 on line 3.
    let mut bytes = format!("{header}{ok}3600,1,0,").into_bytes();
    bytes.extend_from_slice(&[0xff, b',', b'1', b'\n']);
    match parse_csv(bytes.as_slice()) {
        Err(DataError::BadRow { line, .. }) => assert_eq!(line, 3),
        other => panic!("{other:?}"),
    }
    // The message names the line.
    let message = parse(&format!("{header}{ok}3600,1,0,-2,1.5\n")).unwrap_err().to_string();
    assert!(message.starts_with("line 3:"), "{message}");
}

#[test]
fn to_hourly_sorts_sums_and_fills_gaps() {
    let base = DEFAULT_START;
    let r = |hour: u64, secs: u64, machine: u64, slot: u16, units: u32, price: f64| SalesRecord {
        timestamp: base + hour * 3600 + secs,
        machine,
        slot,
        units,
        price,
    };
    // Unsorted; machine 1 slot 0 sells twice in hour 0 (summed, unit-weighted price) and an exact duplicate
    // row in hour 3 (summed too: every row is a sale); nothing in hours 1–2; machine 2 only in hour 4.
    let records = vec![
        r(3, 0, 1, 0, 1, 2.0),
        r(0, 10, 1, 0, 1, 1.0),
        r(4, 0, 2, 5, 2, 3.0),
        r(0, 3000, 1, 0, 3, 2.0),
        r(3, 0, 1, 0, 1, 2.0),
    ];
    let series = to_hourly(&records);
    assert_eq!(series.len(), 2);
    let (a, b) = (&series[0], &series[1]);
    assert_eq!((a.machine, a.slot, b.machine, b.slot), (1, 0, 2, 5));
    let first = base / 3600;
    for s in &series {
        assert_eq!(s.hours.iter().map(|h| h.t).collect::<Vec<_>>(), (first..first + 5).collect::<Vec<_>>());
        assert!(s.hours.iter().all(|h| h.demand.is_none() && h.stock.is_none() && !h.stock_out && !h.promo));
    }
    assert_eq!(a.units_sold(), vec![4.0, 0.0, 0.0, 2.0, 0.0]);
    assert_eq!(a.prices(), vec![1.75, 1.75, 1.75, 2.0, 2.0]);
    assert_eq!(b.units_sold(), vec![0.0, 0.0, 0.0, 0.0, 2.0]);
    assert_eq!(b.prices(), vec![3.0; 5]);
    assert!(to_hourly(&[]).is_empty());
}
