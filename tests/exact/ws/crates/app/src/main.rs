// Another crate's file, included by path.
mod cli {
    include!("../../other/src/cli.rs");
}

// A file of the workspace outside every package.
const BANNER: &str = include_str!("../../../data/banner.txt");
// A file found from the compile-time manifest dir.
const DATA: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/x.txt"));

fn main() {
    println!("{}", cli::cli_name());
    print!("{}", BANNER);
    print!("{}", DATA);
    println!("manifest dir: {}", env!("CARGO_MANIFEST_DIR"));
    println!("shell: {}", env!("GREEN_WS_SHELL_VAR"));
    println!("config: {}", env!("GREEN_WS_CONFIG_ENV"));
    println!("build: {}", env!("GREEN_BUILD_INPUT"));
    println!("{}", other::other());
}
