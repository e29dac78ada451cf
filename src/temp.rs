//! Temporary directories (spill files), removed when dropped, and on Ctrl-C or SIGTERM
//! once [`remove_on_interrupt`] is on: whatever otelcost was doing, it leaves nothing
//! behind in `$TMPDIR`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The directories alive now, for the signal thread to remove.
static ALIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A temporary directory of this process.
pub struct Dir(tempfile::TempDir);

impl Dir {
    pub fn new_in(parent: &Path, prefix: &str) -> std::io::Result<Dir> {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir_in(parent)?;
        ALIVE.lock().unwrap_or_else(|p| p.into_inner()).push(dir.path().to_owned());
        Ok(Dir(dir))
    }

    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        ALIVE.lock().unwrap_or_else(|p| p.into_inner()).retain(|p| p != self.0.path());
    }
}

/// From now on, SIGINT or SIGTERM removes every temporary directory, then ends the
/// process with 128 + the signal, as a shell reports it. For the commands that read
/// files; `listen` and `run` end their session on Ctrl-C instead (and drop theirs).
pub fn remove_on_interrupt() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else { return };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until exit: no directory can be made after this.
                let alive = ALIVE.lock().unwrap_or_else(|p| p.into_inner());
                for dir in alive.iter() {
                    let _ = std::fs::remove_dir_all(dir);
                }
                std::process::exit(128 + signal);
            }
        });
    }
}
