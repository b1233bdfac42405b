//! Client mode.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{CannotRun, Target};

/// What `--serve` was asked.
#[allow(dead_code)] // client mode is not written yet
pub struct Config {
    pub target: Target,
    pub bind: SocketAddr,
    pub timeout: Duration,
    pub clients: usize,
    pub json: bool,
    pub junit: Option<PathBuf>,
}

/// Runs client mode.
pub fn run(config: &Config) -> Result<bool, CannotRun> {
    Err(CannotRun(format!(
        "--serve is not available for {}",
        config.target
    )))
}
