use std::{collections::HashMap, fmt, sync::RwLock};

use alloy_dyn_abi::{DynSolValue, JsonAbiExt};
use alloy_json_abi::{Error as AbiError, JsonAbi};
use alloy_primitives::{Selector, hex};
use alloy_sol_types::{Panic, Revert, SolError};
use serde::{Deserialize, Serialize};

/// Revert data turned into something a person can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecodedRevert {
    /// The custom error's name (`"VaultStillLocked"`), `"Error"` for `require` strings, `"Panic"` for
    /// assertion failures; `None` when the selector is unknown or there is no data.
    pub name: Option<String>,
    /// Named arguments as `(name, value)`, values rendered (addresses checksummed, integers decimal).
    pub args: Vec<(String, String)>,
    /// The raw data, hex, when nothing could be decoded.
    pub raw: Option<String>,
}

impl DecodedRevert {
    /// The value of argument `name`, as rendered.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

impl fmt::Display for DecodedRevert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.raw) {
            (Some(name), _) => {
                write!(f, "{name}(")?;
                for (i, (arg, value)) in self.args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if arg.is_empty() {
                        write!(f, "{value}")?;
                    } else {
                        write!(f, "{arg}: {value}")?;
                    }
                }
                f.write_str(")")
            }
            (None, Some(raw)) if raw.len() > 2 => write!(f, "unknown error data {raw}"),
            (None, _) => f.write_str("without data"),
        }
    }
}

/// Maps 4-byte error selectors to the ABI definitions that can decode them.
///
/// Shared (behind an `Arc`) by every client of a backend: registering a contract's ABI once makes its
/// custom errors readable wherever they surface. `Error(string)` and `Panic(uint256)` are always known.
#[derive(Debug, Default)]
pub struct RevertDecoder {
    errors: RwLock<HashMap<Selector, Vec<AbiError>>>,
}

impl RevertDecoder {
    /// An empty decoder (standard `Error` and `Panic` are built in).
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers every custom error declared in `abi`.
    pub fn register_abi(&self, abi: &JsonAbi) {
        for error in abi.errors() {
            self.register_error(error.clone());
        }
    }

    /// Registers one error definition.
    pub fn register_error(&self, error: AbiError) {
        let mut map = self.errors.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let known = map.entry(error.selector()).or_default();
        if !known.contains(&error) {
            known.push(error);
        }
    }

    /// Decodes revert `data` into a name and arguments.
    pub fn decode(&self, data: &[u8]) -> DecodedRevert {
        if data.len() < 4 {
            return DecodedRevert { name: None, args: vec![], raw: Some(hex::encode_prefixed(data)) };
        }
        let selector = Selector::from_slice(&data[..4]);
        if selector == Revert::SELECTOR
            && let Ok(revert) = Revert::abi_decode(data)
        {
            return DecodedRevert {
                name: Some("Error".into()),
                args: vec![(String::new(), format!("{:?}", revert.reason))],
                raw: None,
            };
        }
        if selector == Panic::SELECTOR
            && let Ok(panic) = Panic::abi_decode(data)
        {
            let code = panic.code;
            let meaning = panic.kind().map(|k| k.as_str().to_string());
            let value = match meaning {
                Some(m) => format!("{code:#x} ({m})"),
                None => format!("{code:#x}"),
            };
            return DecodedRevert { name: Some("Panic".into()), args: vec![(String::new(), value)], raw: None };
        }
        let map = self.errors.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(candidates) = map.get(&selector) {
            for error in candidates {
                if let Ok(values) = error.abi_decode_input(&data[4..]) {
                    let args = error
                        .inputs
                        .iter()
                        .zip(values.iter())
                        .map(|(param, value)| (param.name.clone(), render(value)))
                        .collect();
                    return DecodedRevert { name: Some(error.name.clone()), args, raw: None };
                }
            }
        }
        DecodedRevert { name: None, args: vec![], raw: Some(hex::encode_prefixed(data)) }
    }
}

/// Renders an ABI value the way a person reads it.
fn render(value: &DynSolValue) -> String {
    match value {
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(word, size) => hex::encode_prefixed(&word[..*size]),
        DynSolValue::Address(a) => a.to_checksum(None),
        DynSolValue::Function(f) => hex::encode_prefixed(f.as_slice()),
        DynSolValue::Bytes(b) => hex::encode_prefixed(b),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            format!("[{}]", items.iter().map(render).collect::<Vec<_>>().join(", "))
        }
        DynSolValue::Tuple(items) => {
            format!("({})", items.iter().map(render).collect::<Vec<_>>().join(", "))
        }
        #[allow(unreachable_patterns)]
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{U256, address};

    fn vault_abi() -> JsonAbi {
        JsonAbi::parse([
            "error VaultStillLocked(address owner, uint64 unlockAt, uint64 nowTs)",
            "error VaultZeroAmount()",
        ])
        .expect("valid human-readable ABI")
    }

    #[test]
    fn decodes_a_registered_custom_error_with_named_arguments() {
        let decoder = RevertDecoder::new();
        decoder.register_abi(&vault_abi());
        let error = vault_abi().errors().find(|e| e.name == "VaultStillLocked").cloned().expect("declared");
        let owner = address!("0x1111111111111111111111111111111111111111");
        let data = error
            .abi_encode_input(&[
                DynSolValue::Address(owner),
                DynSolValue::Uint(U256::from(200), 64),
                DynSolValue::Uint(U256::from(100), 64),
            ])
            .expect("encodes");
        let decoded = decoder.decode(&data);
        assert_eq!(decoded.name.as_deref(), Some("VaultStillLocked"));
        assert_eq!(decoded.arg("unlockAt"), Some("200"));
        assert_eq!(
            decoded.to_string(),
            format!("VaultStillLocked(owner: {}, unlockAt: 200, nowTs: 100)", owner.to_checksum(None))
        );
    }

    #[test]
    fn unknown_selector_keeps_raw_data_and_standard_errors_always_decode() {
        let decoder = RevertDecoder::new();
        let unknown = decoder.decode(&[0xde, 0xad, 0xbe, 0xef, 1]);
        assert_eq!(unknown.name, None);
        assert_eq!(unknown.raw.as_deref(), Some("0xdeadbeef01"));

        let revert = Revert::from("not allowed").abi_encode();
        assert_eq!(decoder.decode(&revert).to_string(), "Error(\"not allowed\")");

        let panic = Panic { code: U256::from(0x11) }.abi_encode();
        let shown = decoder.decode(&panic).to_string();
        assert!(shown.starts_with("Panic(0x11"), "{shown}");
    }
}
