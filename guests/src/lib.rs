//! What every directfs guest program shares: the `directfs:fs` bindings and
//! small helpers. A failed check panics, which traps the guest with its
//! message on stderr; the host test then fails and shows it.

wit_bindgen::generate!({ path: "../wit", world: "imports" });

pub use directfs::fs::preopens::get_directories;
pub use directfs::fs::types::{
    Dentry, DirEntry, DirEntryPlus, DirPage, DirPlusPage, ErrorCode, FileType, Handle,
    LockConflict, LockKind, LockRange, OpenFlags, Owner, RenameFlags, SetStat, SetStatError,
    SetTime, Stat, StatFields, Statfs, Timestamp, XattrFlags,
};

/// Bytes `start .. start + len` (`len` 0: to the end of the file) for the
/// lock functions.
pub fn range(start: u64, len: u64) -> LockRange {
    LockRange { start, len }
}

/// What `test-lock` found, comparable: `(kind, start, len)`.
pub fn seen(conflict: Option<LockConflict>) -> Option<(LockKind, u64, u64)> {
    conflict.map(|c| (c.kind, c.range.start, c.range.len))
}

/// Waits (sleeping 5 ms at a time) until the host makes `name` in `dir`:
/// how a lock test's host tells its guest to go on.
pub fn wait_for(dir: &Dentry, name: &str) {
    while dir.walk(name).is_err() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Makes an empty file `name` in `dir`: how a lock test's guest tells its
/// host where it is.
pub fn signal(dir: &Dentry, name: &str) {
    dir.create(name, OpenFlags::WRITE, 0o644, None)
        .unwrap_or_else(|e| panic!("create {name}: {e:?}"));
}

/// A `set-stat` that changes nothing; fill in the fields to change.
pub fn no_change() -> SetStat {
    SetStat {
        mode: None,
        uid: None,
        gid: None,
        size: None,
        atime: SetTime::Omit,
        mtime: SetTime::Omit,
    }
}

/// The preopen named `name`.
pub fn preopen(name: &str) -> Dentry {
    get_directories()
        .into_iter()
        .find(|(_, n)| n == name)
        .map(|(d, _)| d)
        .unwrap_or_else(|| panic!("no preopen named {name:?}"))
}

/// The first preopen (the sandbox of a test).
pub fn root() -> Dentry {
    get_directories().into_iter().next().expect("no preopen").0
}

/// Checks that `result` failed with exactly `code`.
#[track_caller]
pub fn expect_err<T>(result: Result<T, ErrorCode>, code: ErrorCode, what: &str) {
    match result {
        Ok(_) => panic!("{what}: succeeded, expected {code:?}"),
        Err(got) => assert_eq!(got, code, "{what}"),
    }
}

/// Writes all of `data` at `offset`, looping over short writes.
pub fn write_all(handle: &Handle, mut offset: u64, mut data: &[u8]) {
    while !data.is_empty() {
        let n = handle.write(offset, data).expect("write") as usize;
        assert!(n > 0, "write made no progress");
        data = &data[n..];
        offset += n as u64;
    }
}

/// Reads from `offset` to end of file.
pub fn read_to_end(handle: &Handle, mut offset: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let chunk = handle.read(offset, 64 * 1024).expect("read");
        if chunk.is_empty() {
            return out;
        }
        offset += chunk.len() as u64;
        out.extend(chunk);
    }
}

/// Every entry of `dir`, following the cursor, `page` entries at a time.
pub fn list(dir: &Dentry, page: u32) -> Vec<DirEntry> {
    let mut all = Vec::new();
    let mut cursor = 0;
    loop {
        let p = dir.read_dir(cursor, page).expect("read-dir");
        assert!(p.entries.len() <= page as usize, "page larger than asked");
        all.extend(p.entries);
        match p.next {
            Some(next) => cursor = next,
            None => return all,
        }
    }
}

/// Argument `i` as a number (0 if absent or not a number).
pub fn arg(i: usize) -> u64 {
    std::env::args()
        .nth(i)
        .and_then(|a| a.parse().ok())
        .unwrap_or(0)
}

/// What the hostile guests (`*_hostile`) share: a seeded random source and
/// hostile names.
pub mod hostile {
    use std::cell::RefCell;

    thread_local! {
        /// The names and values the running call was given (their first
        /// 40 characters), for a trace.
        static USED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    /// Notes `what` as given to the running call (see [`take_used`]).
    pub fn note(what: &str) {
        USED.with(|used| used.borrow_mut().push(what.chars().take(40).collect()));
    }

    /// What the running call was given ([`note`], [`Rng::name`]), taken.
    pub fn take_used() -> Vec<String> {
        USED.with(RefCell::take)
    }

    /// `HOSTSYNC=K` in the environment: every `K` calls the guest prints
    /// `sync N` and waits for a byte on stdin, while a driver changes the
    /// sandbox from the host (the same changes at the same calls under each
    /// runtime: a differential test of the cache's freshness).
    pub struct HostSync(Option<u64>);

    impl HostSync {
        /// From `HOSTSYNC` (none: never waits).
        pub fn from_env() -> Self {
            Self(
                std::env::var("HOSTSYNC")
                    .ok()
                    .and_then(|k| k.parse().ok())
                    .filter(|&k| k > 0),
            )
        }

        /// Before call `call`: at every `K`th, prints `sync N` and waits for
        /// the driver's byte. Ends the guest (exit code 2) if stdin ended.
        pub fn before(&self, call: u64) {
            use std::io::{Read, Write};
            let Some(every) = self.0 else { return };
            if !call.is_multiple_of(every) {
                return;
            }
            println!("sync {call}");
            std::io::stdout().flush().unwrap();
            let mut byte = [0u8];
            if std::io::stdin().read_exact(&mut byte).is_err() {
                std::process::exit(2);
            }
        }
    }

    /// xorshift64: the same calls for the same seed.
    pub struct Rng(pub u64);

    impl Rng {
        /// The next 64 random bits.
        #[expect(
            clippy::should_implement_trait,
            reason = "a random source, not an iterator"
        )]
        pub fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        /// A number below `n`.
        pub fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// True once in `one_in` times.
        pub fn chance(&mut self, one_in: u64) -> bool {
            self.below(one_in) == 0
        }

        /// A size or offset: 0, small, a power of two, near 2^63, or any.
        pub fn big(&mut self) -> u64 {
            match self.below(6) {
                0 => 0,
                1 | 2 => self.below(70_000),
                3 => 1u64 << self.below(64),
                4 => (1u64 << 63) - self.below(3),
                _ => self.next(),
            }
        }

        /// One of `names`, mostly; else a name of 250 to 259 bytes, a run of
        /// up to 600 bytes of names, dots and slashes, or one of 8 new names.
        pub fn name(&mut self, names: &[&str]) -> String {
            let name = self.any_name(names);
            note(&name);
            name
        }

        fn any_name(&mut self, names: &[&str]) -> String {
            match self.below(12) {
                0 => "x".repeat(250 + self.below(10) as usize),
                1 => {
                    let n = self.below(600) as usize;
                    (0..n)
                        .map(|_| ["d", "/", ".", "a", "..", "l"][self.below(6) as usize])
                        .collect()
                }
                2 => format!("n{}", self.below(8)),
                _ => names[self.below(names.len() as u64) as usize].to_owned(),
            }
        }
    }

    /// Lets go of one thing of `pool` at random (never one of the first
    /// `keep`), where there is one and once in `one_in` times.
    pub fn let_go<T>(rng: &mut Rng, pool: &mut Vec<T>, keep: usize, one_in: u64) {
        if pool.len() > keep && rng.chance(one_in) {
            let i = keep + rng.below((pool.len() - keep) as u64) as usize;
            drop(pool.swap_remove(i));
        }
    }

    /// Keeps `x` in `pool`, at most `max`: past that it replaces one (never
    /// one of the first `keep`).
    pub fn hold<T>(rng: &mut Rng, pool: &mut Vec<T>, keep: usize, max: usize, x: T) {
        if pool.len() >= max {
            let i = keep + rng.below((max - keep) as u64) as usize;
            pool[i] = x;
        } else {
            pool.push(x);
        }
    }
}

/// `read | write`.
pub fn rw() -> OpenFlags {
    OpenFlags::READ | OpenFlags::WRITE
}

/// WASI 0.3 guests (`p3_*` programs): the `wasi:filesystem@0.3.0` bindings
/// and the `wasi:cli/run@0.3.0` export, through wit-bindgen's async
/// support. A `p3_*` program exports `run` with [`export_p3!`] and keeps an
/// unused `main` (a `wasm32-wasip2` binary needs one; the host calls the
/// 0.3 `run`).
pub mod p3 {
    wit_bindgen::generate!({
        path: "../wit/wasi-p3",
        world: "guest",
        pub_export_macro: true,
        export_macro_name: "export_p3",
        default_bindings_module: "guest::p3",
        generate_all,
    });

    use std::fmt::Debug;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    pub use wasi::filesystem::preopens::get_directories;
    pub use wasi::filesystem::types::{
        Descriptor, DescriptorFlags, DescriptorType, ErrorCode, NewTimestamp, OpenFlags, PathFlags,
    };

    /// The preopen named `name`.
    pub fn preopen(name: &str) -> Descriptor {
        get_directories()
            .into_iter()
            .find(|(_, n)| n == name)
            .map(|(d, _)| d)
            .unwrap_or_else(|| panic!("no preopen named {name:?}"))
    }

    /// Prints one step's result, `what: ok VALUE` or `what: err CODE`,
    /// and passes it on.
    pub fn show<T: Debug>(what: &str, result: Result<T, ErrorCode>) -> Result<T, ErrorCode> {
        match &result {
            Ok(value) => println!("{what}: ok {value:?}"),
            Err(code) => println!("{what}: err {code:?}"),
        }
        result
    }

    /// As [`show`], for a result whose value is not to be printed.
    pub fn show_unit<T>(what: &str, result: Result<T, ErrorCode>) -> Result<T, ErrorCode> {
        show(what, result.as_ref().map(|_| ()).map_err(Clone::clone))?;
        result
    }

    /// Flags to read and write a file.
    pub fn rw() -> DescriptorFlags {
        DescriptorFlags::READ | DescriptorFlags::WRITE
    }

    /// Opens `path` under `dir` (no symlink followed at the end).
    pub async fn open(
        dir: &Descriptor,
        path: &str,
        oflags: OpenFlags,
        flags: DescriptorFlags,
    ) -> Result<Descriptor, ErrorCode> {
        dir.open_at(PathFlags::empty(), path.into(), oflags, flags)
            .await
    }

    /// Writes all of `data` from `offset` on through `write-via-stream`.
    pub async fn write_at(file: &Descriptor, offset: u64, data: Vec<u8>) -> Result<(), ErrorCode> {
        let (mut tx, rx) = wit_stream::new();
        let done = file.write_via_stream(rx, offset);
        let left = tx.write_all(data).await;
        drop(tx);
        let result = done.await;
        assert!(
            left.is_empty() || result.is_err(),
            "a short write that did not fail"
        );
        result
    }

    /// Appends all of `data` through `append-via-stream`.
    pub async fn append(file: &Descriptor, data: Vec<u8>) -> Result<(), ErrorCode> {
        let (mut tx, rx) = wit_stream::new();
        let done = file.append_via_stream(rx);
        let left = tx.write_all(data).await;
        drop(tx);
        let result = done.await;
        assert!(
            left.is_empty() || result.is_err(),
            "a short append that did not fail"
        );
        result
    }

    /// Reads the file from `offset` to its end through `read-via-stream`.
    pub async fn read_from(file: &Descriptor, offset: u64) -> Result<Vec<u8>, ErrorCode> {
        let (rx, done) = file.read_via_stream(offset);
        let data = rx.collect().await;
        done.await.map(|()| data)
    }

    /// Creates (or truncates) `path` under `dir` holding `data`.
    pub async fn write_file(dir: &Descriptor, path: &str, data: Vec<u8>) -> Result<(), ErrorCode> {
        let file = open(dir, path, OpenFlags::CREATE | OpenFlags::TRUNCATE, rw()).await?;
        write_at(&file, 0, data).await
    }

    /// The whole content of `path` under `dir`.
    pub async fn read_file(dir: &Descriptor, path: &str) -> Result<Vec<u8>, ErrorCode> {
        let file = open(dir, path, OpenFlags::empty(), DescriptorFlags::READ).await?;
        read_from(&file, 0).await
    }

    /// The entries of `dir` through `read-directory`, sorted by name.
    pub async fn list(dir: &Descriptor) -> Result<Vec<(String, DescriptorType)>, ErrorCode> {
        let (rx, done) = dir.read_directory();
        let mut entries: Vec<_> = rx
            .collect()
            .await
            .into_iter()
            .map(|e| (e.name, e.type_))
            .collect();
        done.await?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(entries)
    }

    /// The names in `dir`, sorted.
    pub async fn names(dir: &Descriptor) -> Result<Vec<String>, ErrorCode> {
        Ok(list(dir).await?.into_iter().map(|(name, _)| name).collect())
    }

    /// A future that runs `futures` concurrently (all of them in flight at
    /// once) and gives their outputs in order.
    pub fn join_all<'a, T>(
        futures: Vec<Pin<Box<dyn Future<Output = T> + 'a>>>,
    ) -> impl Future<Output = Vec<T>> + 'a
    where
        T: 'a,
    {
        JoinAll {
            futures: futures.into_iter().map(Some).collect(),
            outputs: Vec::new(),
        }
    }

    struct JoinAll<'a, T> {
        futures: Vec<Option<Pin<Box<dyn Future<Output = T> + 'a>>>>,
        outputs: Vec<Option<T>>,
    }

    // Nothing in it is pinned in place: the futures are boxed, the outputs
    // only moved out.
    impl<T> Unpin for JoinAll<'_, T> {}

    impl<T> Future for JoinAll<'_, T> {
        type Output = Vec<T>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
            let me = self.get_mut();
            me.outputs.resize_with(me.futures.len(), || None);
            for (slot, out) in me.futures.iter_mut().zip(me.outputs.iter_mut()) {
                if let Some(future) = slot
                    && let Poll::Ready(value) = future.as_mut().poll(cx)
                {
                    *out = Some(value);
                    *slot = None;
                }
            }
            if me.futures.iter().all(Option::is_none) {
                Poll::Ready(me.outputs.iter_mut().filter_map(Option::take).collect())
            } else {
                Poll::Pending
            }
        }
    }
}
