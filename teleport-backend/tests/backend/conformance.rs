//! The conformance suite, once per backend: one test per case.

mod memory {
    teleport_backend::backend_conformance_tests!(|clock| async move {
        teleport_backend::MemoryBackend::new(clock)
    });
}

mod sled {
    teleport_backend::backend_conformance_tests!({
        // Owned by the constructor, so it lives exactly as long as the test.
        let dir = tempfile::tempdir().unwrap();
        move |clock| {
            let path = dir.path().join("backend");
            async move { teleport_backend::SledBackend::open(path, clock).unwrap() }
        }
    });
}

/// `run_all` runs every case, for backends that prefer one test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_runs_every_case_on_memory() {
    assert!(teleport_backend::conformance::CASES.len() >= 35);
    teleport_backend::conformance::run_all(|clock| async move {
        teleport_backend::MemoryBackend::new(clock)
    })
    .await;
}
