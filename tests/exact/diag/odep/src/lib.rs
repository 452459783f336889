pub fn plus_one(x: u32) -> u32 {
    x + 1
}
