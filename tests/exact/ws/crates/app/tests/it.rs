#[test]
fn runs_the_binary() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_app")).output().expect("run CARGO_BIN_EXE_app");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("cli-from-other"));
}

#[test]
fn finds_its_data_at_run_time() {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/x.txt");
    assert!(std::fs::read_to_string(p).expect(p).contains("x data"));
}

#[test]
fn target_tmpdir_exists() {
    assert!(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).is_dir());
}
