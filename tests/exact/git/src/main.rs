fn main() {
    println!("head: {}", env!("GITREV_HEAD"));
    println!("tree: {}", env!("GITREV_DIRTY"));
}
