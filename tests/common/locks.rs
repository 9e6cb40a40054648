//! Advisory record locks as the kernel sees them from this process
//! (`F_GETLK`, `F_SETLK`), and `dfs-run` guests that take them
//! (`tests/locks.rs`, `tests/volume.rs`).

use std::fs::File;
use std::os::fd::AsFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};
use nix::libc;

use super::guest;

/// A lock as `F_GETLK` reports it: (type, start, len).
pub type Seen = (libc::c_int, i64, i64);

/// `fcntl(F_GETLK)` from this process on bytes `start .. start + len` of
/// `file` for a lock of `l_type`: the lock in the way, if any.
pub fn getlk(file: &File, l_type: libc::c_int, start: i64, len: i64) -> Option<Seen> {
    let mut request = flock(l_type, start, len);
    fcntl(file.as_fd(), FcntlArg::F_GETLK(&mut request)).expect("F_GETLK");
    match libc::c_int::from(request.l_type) {
        libc::F_UNLCK => None,
        t => Some((t, request.l_start, request.l_len)),
    }
}

/// `fcntl(F_OFD_SETLK)` on `file`: a lock owned by this open file, as a
/// guest's are. What in-process tests (guests in this process's stores)
/// must use: the kernel drops *every* process-owned lock ([`setlk`]) a
/// process holds on a file when the process closes *any* FD of it, and
/// directfs, in the same process, opens and closes FDs of the file.
pub fn ofd_setlk(file: &File, l_type: libc::c_int, start: i64, len: i64) -> Result<(), Errno> {
    fcntl(
        file.as_fd(),
        FcntlArg::F_OFD_SETLK(&flock(l_type, start, len)),
    )
    .map(drop)
}

/// Makes `f` (one byte) in `dir`, opened read-write, with all of it locked
/// exclusively by `lock` (`setlk` or `ofd_setlk`) from this process.
pub fn locked_file(
    dir: &Path,
    lock: fn(&File, libc::c_int, i64, i64) -> Result<(), Errno>,
) -> File {
    std::fs::write(dir.join("f"), "x").unwrap();
    let f = File::options()
        .read(true)
        .write(true)
        .open(dir.join("f"))
        .unwrap();
    lock(&f, libc::F_WRLCK, 0, 0).unwrap();
    f
}

/// `fcntl(F_SETLK)` from this process: a process-owned record lock. Only
/// where the guests run in another process (`dfs-run`): see [`ofd_setlk`].
pub fn setlk(file: &File, l_type: libc::c_int, start: i64, len: i64) -> Result<(), Errno> {
    fcntl(file.as_fd(), FcntlArg::F_SETLK(&flock(l_type, start, len))).map(drop)
}

fn flock(l_type: libc::c_int, start: i64, len: i64) -> libc::flock {
    libc::flock {
        l_type: l_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: start,
        l_len: len,
        l_pid: 0,
    }
}

/// Waits (at most 30 s) until the guest makes `name` in `dir`.
#[track_caller]
pub fn wait_for(dir: &Path, name: &str, child: &mut Child) {
    let start = Instant::now();
    while !dir.join(name).exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the guest ended ({status}) before making {name}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no {name} after 30 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts `dfs-run` (with `extra` options) on guest `name` with `sandbox`
/// as `/sandbox` (with `,options` if any).
pub fn spawn(name: &str, sandbox: &Path, options: &str, extra: &[&str]) -> Child {
    let mut dir = format!("{}::/sandbox", sandbox.display());
    if !options.is_empty() {
        dir = format!("{dir},{options}");
    }
    Command::new(env!("CARGO_BIN_EXE_dfs-run"))
        .args(extra)
        .arg("--dir")
        .arg(dir)
        .arg(guest(name))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dfs-run")
}

/// Waits for `child` and returns its exit code and stdout, showing stderr
/// on failure.
pub fn finish(child: Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs guest `guest` (`lock_ranges`) through its handshake with `guest_dir` as its
/// sandbox (the test makes files in `host_dir`, the same directory, maybe
/// seen from another host): checks, from this process, the locks it holds
/// on `f` range by range and that this process is refused them (plus
/// `held`, more checks of the caller's, while it holds them), then that
/// dropping one handle released that handle's locks only.
pub fn check_lock_ranges(
    guest: &str,
    guest_dir: &Path,
    host_dir: &Path,
    options: &str,
    held: impl FnOnce(&File),
) {
    let f = File::options()
        .read(true)
        .write(true)
        .open(host_dir.join("f"))
        .unwrap();
    let mut child = spawn(guest, guest_dir, options, &[]);
    wait_for(guest_dir, "held", &mut child);
    let w = libc::F_WRLCK;
    assert_eq!(getlk(&f, w, 0, 1), Some((w, 0, 4)), "a's left part");
    assert_eq!(getlk(&f, w, 4, 1), Some((w, 4, 2)), "b's middle");
    assert_eq!(getlk(&f, w, 7, 1), Some((w, 6, 4)), "a's right part");
    assert_eq!(getlk(&f, w, 19, 1), Some((w, 10, 10)), "b's 10..20");
    assert_eq!(getlk(&f, w, 20, 0), None, "nothing from 20 on");
    assert_eq!(
        setlk(&f, libc::F_RDLCK, 5, 1),
        Err(Errno::EAGAIN),
        "refused"
    );
    held(&f);
    std::fs::write(host_dir.join("go"), "").unwrap();
    wait_for(guest_dir, "dropped", &mut child);
    assert_eq!(getlk(&f, w, 0, 1), None, "a's locks went with a");
    assert_eq!(getlk(&f, w, 7, 1), None, "a's locks went with a");
    assert_eq!(getlk(&f, w, 4, 1), Some((w, 4, 2)), "b's stay");
    std::fs::write(host_dir.join("done"), "").unwrap();
    let (code, stdout, stderr) = finish(child);
    assert_eq!(code, Some(0), "guest failed:\n{stdout}\n{stderr}");
}

/// What the appender guests (`lock_append`, `lock_std_append`: 32-byte
/// records `id=II n=NNNNN ###…\n`) left in `log`: how many records are
/// whole and distinct, and the log's length in records.
pub fn appended_records(log: &[u8]) -> (usize, usize) {
    let mut whole = std::collections::HashSet::new();
    for record in log.chunks(32) {
        let text = String::from_utf8_lossy(record);
        if record.len() == 32 && record.ends_with(b"#\n") && text.starts_with("id=") {
            whole.insert(text[..13].to_string());
        }
    }
    (whole.len(), log.len().div_ceil(32))
}
