fn main() { println!("{}", env!("RV")); }
