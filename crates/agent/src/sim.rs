//! A vending machine in software: slots with stock, a vend that succeeds, fails, jams or finds the slot empty
//! with configurable probabilities (or a scripted sequence), and an audit journal of every session — kept on
//! disk when given a path, so it survives the agent's crashes the way a real machine's counters do.

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    fs::{File, OpenOptions},
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard},
};

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::driver::{DispenseDriver, DriverError, VendFailure, VendOutcome, VendRequest};

/// Probabilities of each way a vend can end (the rest succeed).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct VendOdds {
    /// Probability of a plain vend failure.
    pub fail: f64,
    /// Probability of a jam (the slot then stays out of service until cleared).
    pub jam: f64,
    /// Probability the slot turns out empty although the count says otherwise (miscount).
    pub sold_out: f64,
}

impl VendOdds {
    /// Every vend succeeds (unless the slot is empty or jammed).
    pub const RELIABLE: Self = Self { fail: 0.0, jam: 0.0, sold_out: 0.0 };
}

impl Default for VendOdds {
    /// A field-realistic machine: 3 % failures, 1 % jams, 1 % miscounts.
    fn default() -> Self {
        Self { fail: 0.03, jam: 0.01, sold_out: 0.01 }
    }
}

/// How the simulated machine decides outcomes.
#[derive(Debug, Clone)]
pub enum Behaviour {
    /// Random outcomes with these odds, from a seeded generator (reproducible).
    Random {
        /// The odds.
        odds: VendOdds,
        /// The seed.
        seed: u64,
    },
    /// These outcomes in order, then success.
    Scripted(VecDeque<VendOutcome>),
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalEntry {
    session: String,
    slot: u16,
    outcome: VendOutcome,
}

#[derive(Debug)]
struct State {
    stock: BTreeMap<u16, u32>,
    jammed: BTreeSet<u16>,
    journal: Vec<JournalEntry>,
    journal_file: Option<File>,
    rng: StdRng,
    odds: VendOdds,
    script: VecDeque<VendOutcome>,
    offline: bool,
}

/// A simulated vending machine. Clones share the same machine.
#[derive(Debug, Clone)]
pub struct SimulatedMachine {
    state: Arc<Mutex<State>>,
}

impl SimulatedMachine {
    /// A machine with `stock[slot]` units per slot behaving as `behaviour`, its journal in memory.
    pub fn new(stock: impl IntoIterator<Item = (u16, u32)>, behaviour: Behaviour) -> Self {
        let (odds, seed, script) = match behaviour {
            Behaviour::Random { odds, seed } => (odds, seed, VecDeque::new()),
            Behaviour::Scripted(script) => (VendOdds::RELIABLE, 0, script),
        };
        Self {
            state: Arc::new(Mutex::new(State {
                stock: stock.into_iter().collect(),
                jammed: BTreeSet::new(),
                journal: Vec::new(),
                journal_file: None,
                rng: StdRng::seed_from_u64(seed),
                odds,
                script,
                offline: false,
            })),
        }
    }

    /// Keeps the audit journal in `path` (JSON lines, fsynced per session), loading what it already holds.
    /// Stock is then reduced by every dispensed session found there.
    pub fn with_journal(self, path: impl Into<PathBuf>) -> Result<Self, DriverError> {
        let path = path.into();
        {
            let mut state = self.lock();
            if path.exists() {
                let file = File::open(&path).map_err(|e| DriverError::Audit(format!("{}: {e}", path.display())))?;
                for line in BufReader::new(file).lines() {
                    let line = line.map_err(|e| DriverError::Audit(e.to_string()))?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    let entry: JournalEntry = serde_json::from_str(&line)
                        .map_err(|e| DriverError::Audit(format!("{}: {e}", path.display())))?;
                    if entry.outcome.dispensed()
                        && let Some(units) = state.stock.get_mut(&entry.slot)
                    {
                        *units = units.saturating_sub(1);
                    }
                    state.journal.push(entry);
                }
            }
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|e| DriverError::Audit(format!("{}: {e}", path.display())))?;
            state.journal_file = Some(file);
        }
        Ok(self)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Units left in `slot`.
    pub fn stock(&self, slot: u16) -> u32 {
        self.lock().stock.get(&slot).copied().unwrap_or(0)
    }

    /// Refills `slot` to `units`.
    pub fn refill(&self, slot: u16, units: u32) {
        self.lock().stock.insert(slot, units);
    }

    /// Clears a jam.
    pub fn clear_jam(&self, slot: u16) {
        self.lock().jammed.remove(&slot);
    }

    /// Queues outcomes to return next, before the random behaviour resumes.
    pub fn script(&self, outcomes: impl IntoIterator<Item = VendOutcome>) {
        self.lock().script.extend(outcomes);
    }

    /// Powers the machine's controller off (vends fail with [`DriverError::Unavailable`]) or on.
    pub fn set_offline(&self, offline: bool) {
        self.lock().offline = offline;
    }

    /// How many sessions ran under `session` (more than one would be a double vend).
    pub fn sessions(&self, session: &str) -> usize {
        self.lock().journal.iter().filter(|e| e.session == session).count()
    }

    /// How many items were delivered in total.
    pub fn dispensed(&self) -> usize {
        self.lock().journal.iter().filter(|e| e.outcome.dispensed()).count()
    }

    /// Every session run, in order: (session, outcome).
    pub fn journal(&self) -> Vec<(String, VendOutcome)> {
        self.lock().journal.iter().map(|e| (e.session.clone(), e.outcome)).collect()
    }

    fn decide(state: &mut State, slot: u16) -> VendOutcome {
        if state.jammed.contains(&slot) {
            return VendOutcome::Failed(VendFailure::Jam);
        }
        if state.stock.get(&slot).copied().unwrap_or(0) == 0 {
            return VendOutcome::Failed(VendFailure::SoldOut);
        }
        if let Some(outcome) = state.script.pop_front() {
            return outcome;
        }
        let odds = state.odds;
        let roll: f64 = state.rng.random();
        if roll < odds.fail {
            VendOutcome::Failed(VendFailure::VendFailed)
        } else if roll < odds.fail + odds.jam {
            VendOutcome::Failed(VendFailure::Jam)
        } else if roll < odds.fail + odds.jam + odds.sold_out {
            VendOutcome::Failed(VendFailure::SoldOut)
        } else {
            VendOutcome::Dispensed
        }
    }
}

impl DispenseDriver for SimulatedMachine {
    async fn vend(&self, request: &VendRequest) -> Result<VendOutcome, DriverError> {
        let mut state = self.lock();
        if state.offline {
            return Err(DriverError::Unavailable("simulated controller is powered off".into()));
        }
        let outcome = Self::decide(&mut state, request.slot);
        match outcome {
            VendOutcome::Dispensed => {
                if let Some(units) = state.stock.get_mut(&request.slot) {
                    *units = units.saturating_sub(1);
                }
            }
            VendOutcome::Failed(VendFailure::Jam) => {
                state.jammed.insert(request.slot);
            }
            VendOutcome::Failed(VendFailure::SoldOut) => {
                state.stock.insert(request.slot, 0);
            }
            VendOutcome::Failed(VendFailure::VendFailed) => {}
        }
        let entry = JournalEntry { session: request.session.clone(), slot: request.slot, outcome };
        if let Some(file) = state.journal_file.as_mut() {
            let mut line = serde_json::to_vec(&entry).map_err(|e| DriverError::Audit(e.to_string()))?;
            line.push(b'\n');
            file.write_all(&line).and_then(|()| file.sync_data()).map_err(|e| DriverError::Audit(e.to_string()))?;
        }
        state.journal.push(entry);
        Ok(outcome)
    }

    async fn recall(&self, session: &str) -> Result<Option<VendOutcome>, DriverError> {
        Ok(self.lock().journal.iter().rev().find(|e| e.session == session).map(|e| e.outcome))
    }
}
