fn main() {
    println!("{} {}", member::twice(21), odep::plus_one(41));
}
