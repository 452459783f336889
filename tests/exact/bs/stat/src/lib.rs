#[no_mangle]
pub extern "C" fn green_static() -> i32 {
    7
}
