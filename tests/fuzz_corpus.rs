//! Replays the fuzz corpora under plain `cargo test`, with the same checks the
//! fuzz targets run.

mod chunks_locate {
    include!("../fuzz/checks/chunks_locate.rs");
}

mod gather {
    include!("../fuzz/checks/gather.rs");
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

#[test]
fn chunks_locate_corpus_replays_cleanly() {
    let inputs = corpus("chunks_locate");
    assert!(
        inputs.len() >= 10,
        "the corpus should hold seed inputs, found {}",
        inputs.len()
    );
    for (name, data) in inputs {
        let outcome = std::panic::catch_unwind(|| chunks_locate::check(&data));
        assert!(outcome.is_ok(), "corpus input {name} fails the check");
    }
}

#[test]
fn gather_corpus_replays_cleanly() {
    let inputs = corpus("gather");
    assert!(
        inputs.len() >= 10,
        "the corpus should hold seed inputs, found {}",
        inputs.len()
    );
    for (name, data) in inputs {
        let outcome = std::panic::catch_unwind(|| gather::check(&data));
        assert!(outcome.is_ok(), "corpus input {name} fails the check");
    }
}
