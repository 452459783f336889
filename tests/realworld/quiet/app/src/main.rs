// Prints its arguments, one a line, through a path crate; what it writes to
// stderr is the program's own.
fn main() {
    for a in std::env::args().skip(1) {
        println!("{}", dep::shout(&a));
    }
    eprintln!("done");
}
