/// Exported for C (and Python's ctypes): the .so must carry it.
#[no_mangle]
pub extern "C" fn green_answer() -> i32 {
    answer()
}

pub fn answer() -> i32 {
    42
}

#[cfg(test)]
mod tests {
    #[test]
    fn answers() {
        assert_eq!(super::green_answer(), 42);
    }
}
