use std::process::Command;

// As ripgrep's, vergen's and shadow-rs's build scripts do: ask git.
fn git(args: &[&str]) -> String {
    match Command::new("git").args(args).output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        _ => String::from("none"),
    }
}

fn main() {
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
    println!("cargo:rustc-env=GITREV_HEAD={}", git(&["rev-parse", "HEAD"]));
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]);
    println!("cargo:rustc-env=GITREV_DIRTY={}", if dirty.is_empty() { "clean" } else { "dirty" });
}
