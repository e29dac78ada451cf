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

    /// Whether the directory is on a file system kept in memory (tmpfs, as `/tmp` is on
    /// many systems), where spilling saves no memory.
    pub fn in_memory(&self) -> bool {
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::ffi::OsStrExt;
            const TMPFS_MAGIC: i64 = 0x0102_1994;
            let Ok(path) = std::ffi::CString::new(self.path().as_os_str().as_bytes()) else { return false };
            let mut stat = std::mem::MaybeUninit::<libc::statfs>::zeroed();
            // SAFETY: a valid C string and a buffer of the size statfs(2) fills.
            let done = unsafe { libc::statfs(path.as_ptr(), stat.as_mut_ptr()) } == 0;
            // SAFETY: filled by a successful statfs (and zeroed before).
            let stat = unsafe { stat.assume_init() };
            // f_type's integer type differs between platforms.
            #[allow(clippy::unnecessary_cast)]
            let kind = stat.f_type as i64;
            done && kind == TMPFS_MAGIC
        }
        #[cfg(not(target_os = "linux"))]
        false
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
                    // Workers may still be making files in it: again until it is gone.
                    for _ in 0..100 {
                        if std::fs::remove_dir_all(dir).is_ok() || !dir.exists() {
                            break;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                }
                std::process::exit(128 + signal);
            }
        });
    }
}
