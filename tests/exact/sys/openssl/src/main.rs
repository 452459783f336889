fn main() {
    let v = unsafe { std::ffi::CStr::from_ptr(openssl_sys::OpenSSL_version(openssl_sys::OPENSSL_VERSION)) };
    println!("{}", v.to_str().unwrap());
}
