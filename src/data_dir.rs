//! The data directory holds every secret the daemon keeps: the SQLite database (webhook secrets,
//! header values, proxy passwords), `.api-key`, device keys and received media. It is private to
//! the daemon's user whatever the umask it was started with: new files are created 0600 and new
//! folders 0700, and whatever an earlier version or another tool left readable is tightened at
//! start.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Makes the process create private files from now on, then creates `dir` (and `extra` files that
/// live outside it, such as an absolute SQLite path) or narrows what is already there.
pub fn secure(dir: &Path, extra: &[&Path]) -> io::Result<()> {
    // Process-wide on purpose: files made later by SQLite, the engine's key store and media
    // downloads all inherit it.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    fs::create_dir_all(dir)?;
    narrow(dir)?;
    for path in extra {
        if path.exists() && !path.starts_with(dir) {
            narrow(path)?;
        }
    }
    Ok(())
}

/// Sets 0700 on folders and 0600 on files under `path`, without following symbolic links (a link
/// may point anywhere; what it points to is not ours to change).
fn narrow(path: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Ok(());
    }
    let wanted = if kind.is_dir() { DIR_MODE } else { FILE_MODE };
    if meta.permissions().mode() & 0o777 != wanted {
        fs::set_permissions(path, fs::Permissions::from_mode(wanted))?;
    }
    if kind.is_dir() {
        for entry in fs::read_dir(path)? {
            narrow(&entry?.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_files_and_folders_are_narrowed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        fs::create_dir_all(dir.join("media/s1")).unwrap();
        fs::write(dir.join("media/s1/m1"), b"x").unwrap();
        fs::write(dir.join("openwa.sqlite"), b"x").unwrap();
        for (p, mode) in [
            (dir.clone(), 0o755),
            (dir.join("media"), 0o775),
            (dir.join("media/s1/m1"), 0o644),
            (dir.join("openwa.sqlite"), 0o666),
        ] {
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        }
        secure(&dir, &[]).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("media")), 0o700);
        assert_eq!(mode(&dir.join("media/s1")), 0o700);
        assert_eq!(mode(&dir.join("media/s1/m1")), 0o600);
        assert_eq!(mode(&dir.join("openwa.sqlite")), 0o600);
        // New files follow the umask set above.
        fs::write(dir.join("new"), b"x").unwrap();
        assert_eq!(mode(&dir.join("new")), 0o600);
    }
}
