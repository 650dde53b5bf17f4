//! Embeds every committed artifact under `contracts/out/` so the binary carries the suite's bytecode.

use std::{env, fmt::Write as _, fs, path::Path};

fn collect(dir: &Path, root: &Path, found: &mut Vec<String>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, found);
        } else if path.extension().is_some_and(|e| e == "json")
            && path.file_name().is_some_and(|n| n != "manifest.json")
            && let Ok(rel) = path.strip_prefix(root)
        {
            found.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_root = Path::new(&manifest_dir).join("../../contracts/out");
    println!("cargo:rerun-if-changed={}", out_root.display());
    let mut found = Vec::new();
    collect(&out_root, &out_root, &mut found);
    let mut code = String::from(
        "/// Every artifact under `contracts/out/`: (path without `.json`, JSON text).\npub(crate) static EMBEDDED: &[(&str, &str)] = &[\n",
    );
    for rel in &found {
        let abs = out_root.join(rel);
        println!("cargo:rerun-if-changed={}", abs.display());
        let key = rel.trim_end_matches(".json");
        writeln!(code, "    ({key:?}, include_str!({:?})),", abs.display().to_string()).expect("write to string");
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_artifacts.rs");
    fs::write(out, code).expect("write embedded_artifacts.rs");
}
