pub fn cli_name() -> &'static str {
    "cli-from-other"
}
