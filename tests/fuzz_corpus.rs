//! Replays the fuzz corpora under plain `cargo test`, with the same checks the
//! fuzz targets run.

mod chunks_locate {
    include!("../fuzz/checks/chunks_locate.rs");
}

mod gather {
    include!("../fuzz/checks/gather.rs");
}

mod expr {
    include!("../fuzz/checks/expr.rs");
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read(&p).expect("corpus file"),
            )
        })
        .collect()
}

/// Runs `check` on every input of `target`'s corpus.
fn replay(target: &str, check: fn(&[u8])) {
    let inputs = corpus(target);
    assert!(
        inputs.len() >= 10,
        "the {target} corpus should hold seed inputs, found {}",
        inputs.len()
    );
    for (name, data) in inputs {
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "corpus input {name} fails the check");
    }
}

#[test]
fn chunks_locate_corpus_replays_cleanly() {
    replay("chunks_locate", chunks_locate::check);
}

#[test]
fn gather_corpus_replays_cleanly() {
    replay("gather", gather::check);
}

#[test]
fn expr_corpus_replays_cleanly() {
    replay("expr", expr::check);
}
