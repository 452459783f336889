fn main() {
    // A build script reading a file of the workspace outside its package
    // (as prost/tonic projects read ../proto/*.proto).
    let input = std::fs::read_to_string("../../data/build-input.txt").expect("read ../../data/build-input.txt");
    println!("cargo:rerun-if-changed=../../data/build-input.txt");
    println!("cargo:rustc-env=GREEN_BUILD_INPUT={}", input.trim());
}
