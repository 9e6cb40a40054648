//! A hostile `directfs:fs` guest: random calls of every dentry and handle
//! function — walks and path walks of dotted, slashed, escaping, NUL and
//! long names, creates with any flags and mode bits, renames and exchanges
//! between any two held directories, links, symlinks, xattrs, `set-stat`
//! with any field, reads and writes at offsets up to 2^64, locks of any
//! range, directory pages of any size from any cursor — from a pool of
//! held dentries and handles that grows, shrinks and is dropped at random.
//! Every call must return (a value or an error code): the guest runs to
//! its end and prints how many succeeded; the host test checks that
//! nothing outside the sandbox or in the read-only preopen changed and that
//! the host FDs stayed within the budget.
//!
//! Usage: `core_hostile SEED CALLS`.

use guest::hostile::{Rng, hold, let_go};
use guest::{
    Dentry, Handle, LockKind, OpenFlags, Owner, RenameFlags, SetStat, SetTime, Timestamp,
    XattrFlags, arg, get_directories, no_change, range,
};

/// Names and paths, harmless and hostile.
const NAMES: &[&str] = &[
    "a",
    "b",
    "d",
    "e",
    "l",
    "ld",
    "loop",
    "up",
    "out",
    ".",
    "..",
    "",
    "/",
    "a/b",
    "d/e",
    "d/../..",
    "../outside",
    "up/canary",
    "out/canary",
    "a\0b",
    "...",
    "d/",
    "//d//e",
    "/etc/passwd",
];

fn name(rng: &mut Rng) -> String {
    rng.name(NAMES)
}

fn flags(rng: &mut Rng) -> OpenFlags {
    OpenFlags::from_bits_truncate(rng.below(64) as u8)
}

fn time(rng: &mut Rng) -> SetTime {
    match rng.below(3) {
        0 => SetTime::Omit,
        1 => SetTime::Now,
        _ => SetTime::At(Timestamp {
            seconds: rng.next() as i64 >> rng.below(64),
            nanoseconds: rng.next() as u32 % 1_200_000_000,
        }),
    }
}

fn owner(rng: &mut Rng) -> Option<Owner> {
    rng.chance(8).then(|| Owner {
        uid: rng.next() as u32 % 3,
        gid: rng.next() as u32 % 3,
    })
}

fn main() {
    let mut rng = Rng(arg(1).max(1));
    let calls = arg(2);
    let mut dirs: Vec<Dentry> = get_directories().into_iter().map(|(d, _)| d).collect();
    let mut others: Vec<Dentry> = Vec::new();
    let mut handles: Vec<Handle> = Vec::new();
    let mut ok = 0u64;
    for _ in 0..calls {
        let d = &dirs[rng.below(dirs.len() as u64) as usize];
        let succeeded = match rng.below(30) {
            0 => d
                .walk(&name(&mut rng))
                .map(|x| keep(&mut rng, &mut dirs, &mut others, x)),
            1 => {
                let path = name(&mut rng);
                let follow = rng.chance(2);
                d.walk_path(&path, follow)
                    .map(|x| keep(&mut rng, &mut dirs, &mut others, x))
            }
            2 => d.stat().map(drop),
            3 => d.stat_path(&name(&mut rng), rng.chance(2)).map(drop),
            4 => d
                .mkdir(&name(&mut rng), rng.next() as u32, owner(&mut rng))
                .map(|x| keep(&mut rng, &mut dirs, &mut others, x)),
            5 => {
                let (n, f, m, o) = (
                    name(&mut rng),
                    flags(&mut rng),
                    rng.next() as u32,
                    owner(&mut rng),
                );
                d.create(&n, f, m, o).map(|(x, h)| {
                    keep(&mut rng, &mut dirs, &mut others, x);
                    hold(&mut rng, &mut handles, 0, 32, h);
                })
            }
            6 => d
                .mknod(&name(&mut rng), rng.next() as u32, owner(&mut rng))
                .map(drop),
            7 => {
                let (n, t) = (name(&mut rng), name(&mut rng));
                d.symlink(&n, &t, owner(&mut rng)).map(drop)
            }
            8 => {
                let target = pick(&mut rng, &dirs, &others);
                d.link(target, &name(&mut rng)).map(drop)
            }
            9 => pick(&mut rng, &dirs, &others).readlink().map(drop),
            10 => d.statfs().map(drop),
            11 => {
                let mut s: SetStat = no_change();
                if rng.chance(3) {
                    s.mode = Some(rng.next() as u32);
                }
                if rng.chance(6) {
                    s.uid = Some(rng.next() as u32 % 3);
                }
                if rng.chance(6) {
                    s.gid = Some(rng.next() as u32 % 3);
                }
                if rng.chance(3) {
                    s.size = Some(rng.big());
                }
                s.atime = time(&mut rng);
                s.mtime = time(&mut rng);
                pick(&mut rng, &dirs, &others)
                    .set_stat(s)
                    .map_err(|e| e.error)
            }
            12 => {
                let f = flags(&mut rng);
                pick(&mut rng, &dirs, &others)
                    .open(f)
                    .map(|h| hold(&mut rng, &mut handles, 0, 32, h))
            }
            13 => d.read_dir(rng.big(), rng.next() as u32 % 300).map(drop),
            14 => d
                .read_dir_plus(rng.big(), rng.next() as u32 % 300)
                .map(drop),
            15 => d.unlink(&name(&mut rng)),
            16 => d.rmdir(&name(&mut rng)),
            17 => {
                let to = &dirs[rng.below(dirs.len() as u64) as usize];
                let (a, b) = (name(&mut rng), name(&mut rng));
                d.rename(
                    &a,
                    to,
                    &b,
                    RenameFlags::from_bits_truncate(rng.below(4) as u8),
                )
            }
            18 => d.get_xattr(&format!("user.{}", rng.below(3))).map(drop),
            19 => {
                let n = if rng.chance(4) {
                    name(&mut rng)
                } else {
                    format!("user.{}", rng.below(3))
                };
                let v = vec![7u8; rng.below(5000) as usize];
                d.set_xattr(&n, &v, XattrFlags::from_bits_truncate(rng.below(4) as u8))
            }
            20 => pick(&mut rng, &dirs, &others).list_xattr().map(drop),
            21 => d.remove_xattr(&name(&mut rng)),
            22..=28 if !handles.is_empty() => {
                let h = &handles[rng.below(handles.len() as u64) as usize];
                match rng.below(10) {
                    0 => h.read(rng.big(), rng.below(100_000)).map(drop),
                    1 => {
                        let data = vec![1u8; rng.below(70_000) as usize];
                        h.write(rng.big(), &data).map(drop)
                    }
                    2 => h.stat().map(drop),
                    // `fsync` is slow on a busy disk: one call in 8.
                    3 | 4 if !rng.chance(8) => Ok(()),
                    3 => h.sync(),
                    4 => h.sync_data(),
                    5 => h.set_size(rng.big()),
                    6 => h.allocate(rng.big(), rng.big()),
                    7 => {
                        let kind = if rng.chance(2) {
                            LockKind::Shared
                        } else {
                            LockKind::Exclusive
                        };
                        // Never waits: this guest holds no other store's lock.
                        h.lock(range(rng.big(), rng.big()), kind, false)
                    }
                    8 => h.unlock(range(rng.big(), rng.big())),
                    _ => h
                        .test_lock(range(rng.big(), rng.big()), LockKind::Exclusive)
                        .map(drop),
                }
            }
            _ => {
                // Let go of held things, handles and dentries both (the 2
                // preopens never).
                let_go(&mut rng, &mut handles, 0, 2);
                let_go(&mut rng, &mut others, 0, 1);
                let_go(&mut rng, &mut dirs, 2, 1);
                Ok(())
            }
        };
        if succeeded.is_ok() {
            ok += 1;
        }
    }
    println!("calls {calls}, succeeded {ok}");
}

/// Keeps `x` in the pool (directories can be walked from), 24 of each at
/// most (the 2 preopens always).
fn keep(rng: &mut Rng, dirs: &mut Vec<Dentry>, others: &mut Vec<Dentry>, x: Dentry) {
    if x.stat()
        .is_ok_and(|s| s.file_type == guest::FileType::Directory)
    {
        hold(rng, dirs, 2, 24, x);
    } else {
        hold(rng, others, 0, 24, x);
    }
}

/// Any held dentry.
fn pick<'a>(rng: &mut Rng, dirs: &'a [Dentry], others: &'a [Dentry]) -> &'a Dentry {
    let i = rng.below((dirs.len() + others.len()) as u64) as usize;
    dirs.get(i).unwrap_or_else(|| &others[i - dirs.len()])
}
