pub mod cli;
pub fn other() -> String {
    format!("other says {}", cli::cli_name())
}
