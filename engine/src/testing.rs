//! Support for fault tests here and in the crates built on this one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A small tmpfs mounted on a directory, unmounted when dropped: a disk that fills up.
pub struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    /// Mounts a tmpfs of `bytes` on `dir`. `None` when this process may not mount (not
    /// root, or without CAP_SYS_ADMIN); the caller skips its test and says so.
    pub fn mount(dir: &Path, bytes: u64) -> Option<SmallDisk> {
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={bytes}"), "tmpfs"])
            .arg(dir)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!("skipped: this process cannot mount a tmpfs");
            return None;
        }
        Some(SmallDisk {
            dir: dir.to_path_buf(),
        })
    }

    fn ballast(&self) -> PathBuf {
        self.dir.join(".ballast")
    }

    /// Bytes free on the disk.
    pub fn available(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.dir)
            .output()
            .expect("df runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|line| line.trim().parse().ok())
            .expect("df prints the bytes available")
    }

    /// Fills the disk until `bytes` are left free (tmpfs allocates whole pages).
    pub fn leave_free(&self, bytes: u64) {
        self.free_all();
        let mut fill = self.available().saturating_sub(bytes);
        let chunk = vec![0x5a_u8; 1 << 20];
        let mut file = std::fs::File::create(self.ballast()).expect("ballast created");
        while fill > 0 {
            let n = fill.min(chunk.len() as u64) as usize;
            std::io::Write::write_all(&mut file, &chunk[..n]).expect("ballast written");
            fill -= n as u64;
        }
    }

    /// Gives back the space [`SmallDisk::leave_free`] took.
    pub fn free_all(&self) {
        let _ = std::fs::remove_file(self.ballast());
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}
