//! The claims crate on the embedded devnet: claims filed with evidence and resolved by juror agents and the
//! keeper, a dishonest minority, a juror restarted between commit and reveal, random voters.

mod fixture;
mod resolve;
