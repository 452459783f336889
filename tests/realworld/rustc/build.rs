// As anyhow's and many build scripts do: ask $RUSTC its version.
fn main() {
    let rustc = std::env::var("RUSTC").unwrap();
    let version = match std::process::Command::new(&rustc).arg("--version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => format!("failed: {}", o.status),
        Err(e) => format!("failed: {e}"),
    };
    println!("cargo:rustc-env=RV={version}");
}
