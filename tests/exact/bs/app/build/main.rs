// A build script in build/, with a module beside it (as openssl-sys has).
mod helper;

use std::{env, fs, path::Path};

fn main() {
    let out = env::var("OUT_DIR").unwrap();
    let text = format!("pub const FROM_BUILD: &str = \"{}\";\n", helper::message());
    fs::write(Path::new(&out).join("generated.rs"), text).unwrap();
    println!("cargo:rustc-env=BS_NOTE=set by build/main.rs");
    println!("cargo:rerun-if-changed=build");
}
