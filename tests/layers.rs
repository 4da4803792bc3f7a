//! The crate's layers call only downward: each module of `src/` may name (as
//! `crate::x`) only modules of a lower layer or its own. This test reads the
//! sources and fails on an upward or sideways reference, naming the file, the
//! line and both layers. The order is drawn in `docs/design-notes.md`
//! ("Layers").

use std::path::Path;

/// The layers, lowest first. A module may use its own layer's modules only
/// where the pair is listed in [`SAME_LAYER`].
const LAYERS: &[&[&str]] = &[
    &["error", "macros"],
    &["config", "huge_pages"],
    &["element", "block"],
    &["chunks", "grid", "ship"],
    &["registry"],
    &["expr"],
    &["plan"],
    &["exec"],
    &["array"],
    &["io"],
    &["worker", "lib"],
];

/// Pairs (user, used) within one layer that are allowed.
/// (An element type wraps itself as a block, and a block is one of them; a
/// chunking, and a side file reading a box of a block, do their block-index
/// arithmetic with the grid's.)
const SAME_LAYER: &[(&str, &str)] = &[
    ("element", "block"),
    ("block", "element"),
    ("chunks", "grid"),
    ("ship", "grid"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level modules named by `crate::` paths on one line of code,
/// including those of a `use crate::{a::b, c}` group.
fn referenced(code: &str, group: &mut Option<usize>) -> Vec<String> {
    let mut found = Vec::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    // Inside a multi-line `use crate::{ ... }`: every path at depth 1.
    if let Some(depth) = group.as_mut() {
        for part in code.split(',') {
            let part = part.trim();
            if *depth == 1 && !part.is_empty() && !part.starts_with('}') {
                found.push(ident(part));
            }
            *depth += part.matches('{').count();
            *depth -= part.matches('}').count().min(*depth);
        }
        if *depth == 0 {
            *group = None;
        }
        return found;
    }
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = &rest[..at];
        rest = &rest[at + "crate::".len()..];
        if before.ends_with('$') || before.ends_with("ndchunk_") {
            continue;
        }
        if let Some(inner) = rest.strip_prefix('{') {
            // `crate::{a, b::c}` on one line, or the start of a group.
            let close = inner.find('}');
            let (items, open) = match close {
                Some(c) if !inner[..c].contains('{') => (&inner[..c], false),
                _ => (inner, true),
            };
            for part in items.split(',') {
                let name = ident(part.trim());
                if !name.is_empty() {
                    found.push(name);
                }
            }
            if open && close.is_none() {
                *group = Some(1);
            }
        } else {
            found.push(ident(rest));
        }
    }
    found
}

fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every upward or sideways reference under `src`, as "file:line: ...".
fn violations(src: &Path) -> Vec<String> {
    let mut all = Vec::new();
    files(src, &mut all);
    all.sort();
    let mut bad = Vec::new();
    for file in &all {
        let module = module_of(src, file);
        let Some(mine) = layer_of(&module) else {
            bad.push(format!(
                "{}: module {module} is in no layer (add it to LAYERS)",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        let mut group = None;
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for used in referenced(code, &mut group) {
                // The crate root re-exports and assembles everything.
                if used.is_empty() || used == module || used == "self" || module == "lib" {
                    continue;
                }
                // Items of the crate root (`crate::Executor`) are the API,
                // which only the top layer may use.
                let theirs = layer_of(&used).unwrap_or(LAYERS.len() - 1);
                let sideways =
                    theirs == mine && !SAME_LAYER.contains(&(module.as_str(), used.as_str()));
                if theirs > mine || sideways {
                    bad.push(format!(
                        "{}:{}: {module} (layer {mine}) uses {used} (layer {theirs})",
                        file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    bad
}

#[test]
fn modules_use_only_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src);
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn the_checker_sees_single_line_grouped_and_multi_line_uses() {
    let mut group = None;
    assert_eq!(referenced("use crate::plan::Plan;", &mut group), ["plan"]);
    assert_eq!(
        referenced("use crate::{io::zarr, exec::Value};", &mut group),
        ["io", "exec"]
    );
    assert_eq!(
        referenced("let x = crate::array::f();", &mut group),
        ["array"]
    );
    assert!(referenced("$crate::element::Element", &mut group).is_empty());
    assert!(referenced("use crate::{", &mut group).is_empty());
    assert_eq!(referenced("    array::Array,", &mut group), ["array"]);
    assert_eq!(referenced("    expr::{Node, Op},", &mut group), ["expr"]);
    assert!(referenced("};", &mut group).is_empty());
    assert!(group.is_none());
}

#[test]
fn an_upward_import_is_reported_with_its_place() {
    let src = std::env::temp_dir().join(format!("ndchunk-layers-{}", std::process::id()));
    std::fs::create_dir_all(src.join("plan")).unwrap();
    std::fs::write(
        src.join("plan/mod.rs"),
        "//! Uses crate::io in a comment only.\nuse crate::chunks::Chunks;\nuse crate::io::zarr;\n",
    )
    .unwrap();
    let bad = violations(&src);
    std::fs::remove_dir_all(&src).unwrap();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].ends_with("plan/mod.rs:3: plan (layer 6) uses io (layer 9)"),
        "{bad:?}"
    );
}
