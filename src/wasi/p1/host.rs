//! The generated `WasiSnapshotPreview1` trait, implemented for every store
//! data type with a [`DirectfsView`] and a [`WasiView`]: each filesystem
//! function looks up its fd, runs the shared call of [`crate::wasi::calls`]
//! (or the handle's I/O) and converts back; the rest is wasmtime-wasi's
//! WASI 0.2 hosts, called as its own preview 1 calls them.
//!
//! The non-filesystem functions and the shape of the filesystem ones follow
//! wasmtime-wasi 48's `src/p1.rs` (Apache-2.0 WITH LLVM-exception), so that
//! a program sees the same answers under either.

use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::WasiCliView as _;
use wasmtime_wasi::clocks::WasiClocksView as _;
use wasmtime_wasi::p2::StreamError;
use wasmtime_wasi::p2::bindings::cli::environment;
use wasmtime_wasi::p2::bindings::clocks::{monotonic_clock, wall_clock};
use wasmtime_wasi::p2::bindings::io::streams;
use wasmtime_wasi::p2::bindings::random::random;
use wiggle::{GuestMemory, GuestPtr};

use super::access::{
    At, Io, any_desc, at_path, dir_desc, fds, file_desc, first_ciovec, first_iovec, listing,
    read_file, run_for, seekable, set_position, state, string, wall_now, write_bytes,
    write_dirents, write_file, write_stream,
};
use super::convert::{self, filestat, filetype};
use super::{Dir, Fd, File, borrowed};
use crate::bindings::p1::types::{self, Errno};
use crate::bindings::p1::wasi_snapshot_preview1::WasiSnapshotPreview1;
use crate::ctx::DirectfsView;
use crate::wasi::calls::is_pipe;
use crate::wasi::{DescriptorKind, OpenIntent};

type Result<T, E = types::Error> = std::result::Result<T, E>;

impl<T: DirectfsView + WasiView> WasiSnapshotPreview1 for T {
    fn set_hostcall_fuel(&mut self, fuel: usize) {
        state(self).fuel = fuel;
    }

    fn args_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        argv: GuestPtr<GuestPtr<u8>>,
        argv_buf: GuestPtr<u8>,
    ) -> Result<()> {
        let args = environment::Host::get_arguments(&mut self.cli()).map_err(types::Error::trap)?;
        let (mut argv, mut buf) = (argv, argv_buf);
        for arg in args {
            memory.write(argv, buf)?;
            argv = argv.add(1)?;
            buf = write_bytes(memory, buf, arg.as_bytes())?;
            buf = write_bytes(memory, buf, &[0])?;
        }
        Ok(())
    }

    fn args_sizes_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
    ) -> Result<(types::Size, types::Size)> {
        let args = environment::Host::get_arguments(&mut self.cli()).map_err(types::Error::trap)?;
        let len: usize = args.iter().map(|arg| arg.len() + 1).sum();
        Ok((args.len().try_into()?, len.try_into()?))
    }

    fn environ_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        environ: GuestPtr<GuestPtr<u8>>,
        environ_buf: GuestPtr<u8>,
    ) -> Result<()> {
        let vars =
            environment::Host::get_environment(&mut self.cli()).map_err(types::Error::trap)?;
        let (mut environ, mut buf) = (environ, environ_buf);
        for (name, value) in vars {
            memory.write(environ, buf)?;
            environ = environ.add(1)?;
            buf = write_bytes(memory, buf, name.as_bytes())?;
            buf = write_bytes(memory, buf, b"=")?;
            buf = write_bytes(memory, buf, value.as_bytes())?;
            buf = write_bytes(memory, buf, &[0])?;
        }
        Ok(())
    }

    fn environ_sizes_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
    ) -> Result<(types::Size, types::Size)> {
        let vars =
            environment::Host::get_environment(&mut self.cli()).map_err(types::Error::trap)?;
        let len: usize = vars.iter().map(|(k, v)| k.len() + 1 + v.len() + 1).sum();
        Ok((vars.len().try_into()?, len.try_into()?))
    }

    fn clock_res_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        id: types::Clockid,
    ) -> Result<types::Timestamp> {
        match id {
            types::Clockid::Realtime => {
                let res =
                    wall_clock::Host::resolution(&mut self.clocks()).map_err(types::Error::trap)?;
                res.seconds
                    .checked_mul(1_000_000_000)
                    .and_then(|ns| ns.checked_add(u64::from(res.nanoseconds)))
                    .ok_or_else(|| Errno::Overflow.into())
            }
            types::Clockid::Monotonic => {
                monotonic_clock::Host::resolution(&mut self.clocks()).map_err(types::Error::trap)
            }
            types::Clockid::ProcessCputimeId | types::Clockid::ThreadCputimeId => {
                Err(Errno::Badf.into())
            }
        }
    }

    fn clock_time_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        id: types::Clockid,
        _precision: types::Timestamp,
    ) -> Result<types::Timestamp> {
        match id {
            types::Clockid::Realtime => wall_now(self),
            types::Clockid::Monotonic => {
                monotonic_clock::Host::now(&mut self.clocks()).map_err(types::Error::trap)
            }
            types::Clockid::ProcessCputimeId | types::Clockid::ThreadCputimeId => {
                Err(Errno::Badf.into())
            }
        }
    }

    async fn fd_advise(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        offset: types::Filesize,
        len: types::Filesize,
        advice: types::Advice,
    ) -> Result<()> {
        let desc = file_desc(self, fd)?;
        let advice = convert::advice(advice);
        let on = borrowed(&desc);
        run_for(self, &on, false, move |view| {
            Ok(view.fs_advise(&desc, offset, len, advice)?)
        })
        .await
    }

    fn fd_allocate(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _offset: types::Filesize,
        _len: types::Filesize,
    ) -> Result<()> {
        // As wasmtime-wasi: WASI 0.2 has no `allocate`.
        file_desc(self, fd)?;
        Err(Errno::Notsup.into())
    }

    async fn fd_close(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        match fds(self)?.remove(fd.into())? {
            Fd::Stdin { stream, .. } => {
                streams::HostInputStream::drop(WasiView::ctx(self).table, stream)
                    .await
                    .map_err(types::Error::trap)
            }
            Fd::Stdout { stream, .. } => {
                streams::HostOutputStream::drop(WasiView::ctx(self).table, stream)
                    .await
                    .map_err(types::Error::trap)
            }
            // Closing a file of a network filesystem asks its server (FUSE's
            // `FLUSH`): on the pool for a pool mount.
            Fd::Dir(Dir { desc, .. }) | Fd::File(File { desc, .. }) => {
                let on = borrowed(&desc);
                run_for(self, &on, false, move |view| {
                    view.fs_drop(desc).map_err(types::Error::trap)
                })
                .await
            }
        }
    }

    async fn fd_datasync(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        let desc = file_desc(self, fd)?;
        let on = borrowed(&desc);
        run_for(self, &on, false, move |view| Ok(view.fs_sync_data(&desc)?)).await
    }

    fn fd_fdstat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Fdstat> {
        use types::Rights;
        let tty_type = |tty: bool| match tty {
            true => types::Filetype::CharacterDevice,
            false => types::Filetype::Unknown,
        };
        let (desc, append, nonblock) = match fds(self)?.get(fd.into())? {
            Fd::Stdin { tty, .. } => {
                return Ok(types::Fdstat {
                    fs_filetype: tty_type(*tty),
                    fs_flags: types::Fdflags::empty(),
                    fs_rights_base: Rights::FD_READ,
                    fs_rights_inheriting: Rights::FD_READ,
                });
            }
            Fd::Stdout { tty, .. } => {
                return Ok(types::Fdstat {
                    fs_filetype: tty_type(*tty),
                    fs_flags: types::Fdflags::empty(),
                    fs_rights_base: Rights::FD_WRITE,
                    fs_rights_inheriting: Rights::FD_WRITE,
                });
            }
            Fd::Dir(Dir {
                preopen: Some(_), ..
            }) => {
                let (base, inheriting) = convert::preopen_rights();
                return Ok(types::Fdstat {
                    fs_filetype: types::Filetype::Directory,
                    fs_flags: types::Fdflags::empty(),
                    fs_rights_base: base,
                    fs_rights_inheriting: inheriting,
                });
            }
            Fd::Dir(Dir { desc, .. }) => (borrowed(desc), false, false),
            Fd::File(file) => (borrowed(&file.desc), file.append, file.nonblock),
        };
        let mut view = self.directfs();
        let access = view.fs_get_flags(&desc)?;
        let fs_filetype = filetype(view.fs_get_type(&desc)?);
        let mut rights = Rights::all();
        if fs_filetype == types::Filetype::Directory {
            rights &=
                !(Rights::FD_SEEK | Rights::FD_FILESTAT_SET_SIZE | Rights::PATH_FILESTAT_SET_SIZE);
        }
        if !access.read {
            rights &= !(Rights::FD_READ | Rights::FD_READDIR);
        }
        if !access.write {
            rights &= !Rights::FD_WRITE;
        }
        let mut fs_flags = types::Fdflags::empty();
        if append {
            fs_flags |= types::Fdflags::APPEND;
        }
        if nonblock {
            fs_flags |= types::Fdflags::NONBLOCK;
        }
        Ok(types::Fdstat {
            fs_filetype,
            fs_flags,
            fs_rights_base: rights,
            fs_rights_inheriting: rights,
        })
    }

    fn fd_fdstat_set_flags(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        flags: types::Fdflags,
    ) -> Result<()> {
        let Fd::File(file) = fds(self)?.get_mut(fd.into())? else {
            return Err(Errno::Badf.into());
        };
        // Only `append` and `nonblock` change (as wasmtime-wasi).
        if flags.intersects(types::Fdflags::DSYNC | types::Fdflags::SYNC | types::Fdflags::RSYNC) {
            return Err(Errno::Inval.into());
        }
        file.append = flags.contains(types::Fdflags::APPEND);
        file.nonblock = flags.contains(types::Fdflags::NONBLOCK);
        Ok(())
    }

    fn fd_fdstat_set_rights(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _fs_rights_base: types::Rights,
        _fs_rights_inheriting: types::Rights,
    ) -> Result<()> {
        any_desc(self, fd)?;
        Err(Errno::Notsup.into())
    }

    async fn fd_filestat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Filestat> {
        let desc = match fds(self)?.get(fd.into())? {
            Fd::Stdin { tty, .. } | Fd::Stdout { tty, .. } => {
                return Ok(types::Filestat {
                    dev: 0,
                    ino: 0,
                    filetype: match tty {
                        true => types::Filetype::CharacterDevice,
                        false => types::Filetype::Unknown,
                    },
                    nlink: 0,
                    size: 0,
                    atim: 0,
                    mtim: 0,
                    ctim: 0,
                });
            }
            Fd::Dir(Dir { desc, .. }) | Fd::File(File { desc, .. }) => borrowed(desc),
        };
        let on = borrowed(&desc);
        let stat = run_for(self, &on, false, move |view| view.fs_stat(&desc)).await?;
        Ok(filestat(&stat)?)
    }

    async fn fd_filestat_set_size(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        size: types::Filesize,
    ) -> Result<()> {
        let desc = file_desc(self, fd)?;
        let on = borrowed(&desc);
        run_for(self, &on, false, move |view| {
            Ok(view.fs_set_size(&desc, size)?)
        })
        .await
    }

    async fn fd_filestat_set_times(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        atim: types::Timestamp,
        mtim: types::Timestamp,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let (atime, mtime) = convert::set_times(atim, mtim, fst_flags)?;
        let desc = any_desc(self, fd)?;
        let on = borrowed(&desc);
        run_for(self, &on, false, move |view| {
            Ok(view.fs_set_times(&desc, atime, mtime)?)
        })
        .await
    }

    async fn fd_read(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        iovs: types::IovecArray,
    ) -> Result<types::Size> {
        let buf = first_iovec(self, memory, iovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdin { stream, .. } => {
                let stream = borrowed(stream);
                let table = WasiView::ctx(self).table;
                let read = match streams::HostInputStream::blocking_read(
                    table,
                    stream,
                    u64::from(buf.len()),
                )
                .await
                {
                    Ok(read) if read.is_empty() => return Err(Errno::Intr.into()),
                    Ok(read) => read,
                    Err(StreamError::Closed) => Vec::new(),
                    Err(err) => return Err(err.into()),
                };
                let n = u32::try_from(read.len())?;
                let dest = buf.get_range(0..n).ok_or(Errno::Range)?;
                memory.copy_from_slice(&read, dest)?;
                return Ok(n);
            }
            Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        let n = read_file(self, memory, io, io.position, buf).await?;
        if !io.pipe {
            let position = io.position.checked_add(n as u64).ok_or(Errno::Overflow)?;
            set_position(self, fd, io, position)?;
        }
        Ok(n.try_into()?)
    }

    async fn fd_pread(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        iovs: types::IovecArray,
        offset: types::Filesize,
    ) -> Result<types::Size> {
        let buf = first_iovec(self, memory, iovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdin { .. } => return Err(Errno::Spipe.into()),
            Fd::Stdout { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        Ok(read_file(self, memory, io, offset, buf).await?.try_into()?)
    }

    async fn fd_write(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        ciovs: types::CiovecArray,
    ) -> Result<types::Size> {
        let buf = first_ciovec(self, memory, ciovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdout { stream, .. } => {
                let stream = borrowed(stream);
                return Ok(write_stream(self, memory, stream, buf).await?.try_into()?);
            }
            Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        let (n, position) = write_file(self, memory, io, At::Position, buf).await?;
        if let Some(position) = position {
            set_position(self, fd, io, position)?;
        }
        Ok(n.try_into()?)
    }

    async fn fd_pwrite(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        ciovs: types::CiovecArray,
        offset: types::Filesize,
    ) -> Result<types::Size> {
        let buf = first_ciovec(self, memory, ciovs)?;
        let io = match fds(self)?.get(fd.into())? {
            Fd::File(file) => Io::of(file),
            Fd::Stdout { .. } => return Err(Errno::Spipe.into()),
            Fd::Stdin { .. } | Fd::Dir(_) => return Err(Errno::Badf.into()),
        };
        Ok(write_file(self, memory, io, At::Offset(offset), buf)
            .await?
            .0
            .try_into()?)
    }

    fn fd_prestat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Prestat> {
        match fds(self)?.get(fd.into())? {
            Fd::Dir(Dir {
                preopen: Some(path),
                ..
            }) => Ok(types::Prestat::Dir(types::PrestatDir {
                pr_name_len: path.len().try_into()?,
            })),
            _ => Err(Errno::Badf.into()),
        }
    }

    fn fd_prestat_dir_name(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        path: GuestPtr<u8>,
        path_max_len: types::Size,
    ) -> Result<()> {
        match fds(self)?.get(fd.into())? {
            Fd::Dir(Dir {
                preopen: Some(name),
                ..
            }) => {
                if name.len() > usize::try_from(path_max_len)? {
                    return Err(Errno::Nametoolong.into());
                }
                write_bytes(memory, path, name.as_bytes())?;
                Ok(())
            }
            // As wasmtime-wasi (and its legacy implementation).
            _ => Err(Errno::Notdir.into()),
        }
    }

    async fn fd_renumber(
        &mut self,
        memory: &mut GuestMemory<'_>,
        from: types::Fd,
        to: types::Fd,
    ) -> Result<()> {
        let fds_ = fds(self)?;
        let (from_n, to_n) = (u32::from(from), u32::from(to));
        if fds_.get(from_n).is_err() || fds_.get(to_n).is_err() {
            return Err(Errno::Badf.into());
        }
        if from_n == to_n {
            return Ok(());
        }
        self.fd_close(memory, to).await?;
        let fds_ = fds(self)?;
        let fd = fds_.remove(from_n)?;
        fds_.free.remove(&to_n);
        fds_.used.insert(to_n, fd);
        Ok(())
    }

    fn fd_seek(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        offset: types::Filedelta,
        whence: types::Whence,
    ) -> Result<types::Filesize> {
        let file = seekable(self, fd)?;
        let (desc, current) = (borrowed(&file.desc), file.position);
        let position = match whence {
            types::Whence::Set => u64::try_from(offset).map_err(|_| Errno::Inval)?,
            types::Whence::Cur => current.checked_add_signed(offset).ok_or(Errno::Inval)?,
            types::Whence::End => {
                let size = self.directfs().fs_stat(&desc)?.size;
                size.checked_add_signed(offset).ok_or(Errno::Inval)?
            }
        };
        seekable(self, fd)?.position = position;
        Ok(position)
    }

    async fn fd_sync(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        let desc = file_desc(self, fd)?;
        let on = borrowed(&desc);
        run_for(self, &on, false, move |view| Ok(view.fs_sync(&desc)?)).await
    }

    fn fd_tell(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<types::Filesize> {
        Ok(seekable(self, fd)?.position)
    }

    async fn fd_readdir(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
        cookie: types::Dircookie,
    ) -> Result<types::Size> {
        // As wasmtime-wasi (on a 32-bit host).
        usize::try_from(cookie).map_err(|_| Errno::Overflow)?;
        let Fd::Dir(dir) = fds(self)?.get_mut(fd.into())? else {
            return Err(Errno::Badf.into());
        };
        let (desc, pass) = (borrowed(&dir.desc), dir.pass.take());
        let on = borrowed(&desc);
        let listed = run_for(self, &on, false, move |view| {
            listing(view, &desc, cookie, pass, buf_len)
        })
        .await?;
        let (used, last) = write_dirents(memory, buf, buf_len, &listed)?;
        // A full buffer: libc asks again from the cookie of the last entry
        // started (cut short) or of the one after it; the pass goes on from
        // there.
        if let Some(last) = last
            && let Ok(Fd::Dir(dir)) = fds(self)?.get_mut(fd.into())
        {
            dir.pass = Some(last);
        }
        Ok(used)
    }

    async fn path_create_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        at_path(self, memory, dirfd, path, move |view, dir, path| {
            Ok(view.fs_create_directory_at(dir, path)?)
        })
        .await
    }

    async fn path_filestat_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
    ) -> Result<types::Filestat> {
        let follow = flags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        let stat = at_path(self, memory, dirfd, path, move |view, dir, path| {
            Ok(view.fs_stat_at(dir, follow, path)?)
        })
        .await?;
        Ok(filestat(&stat)?)
    }

    async fn path_filestat_set_times(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
        atim: types::Timestamp,
        mtim: types::Timestamp,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let (atime, mtime) = convert::set_times(atim, mtim, fst_flags)?;
        let follow = flags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        at_path(self, memory, dirfd, path, move |view, dir, path| {
            Ok(view.fs_set_times_at(dir, follow, path, atime, mtime)?)
        })
        .await
    }

    async fn path_link(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_fd: types::Fd,
        src_flags: types::Lookupflags,
        src_path: GuestPtr<str>,
        target_fd: types::Fd,
        target_path: GuestPtr<str>,
    ) -> Result<()> {
        let src = dir_desc(self, src_fd)?;
        let target = dir_desc(self, target_fd)?;
        let src_path = string(self, memory, src_path)?.into_owned();
        let target_path = string(self, memory, target_path)?.into_owned();
        let follow = src_flags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        let on = borrowed(&src);
        run_for(self, &on, false, move |view| {
            Ok(view.fs_link_at(&src, follow, &src_path, &target, &target_path)?)
        })
        .await
    }

    async fn path_open(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        dirflags: types::Lookupflags,
        path: GuestPtr<str>,
        oflags: types::Oflags,
        fs_rights_base: types::Rights,
        _fs_rights_inheriting: types::Rights,
        fdflags: types::Fdflags,
    ) -> Result<types::Fd> {
        let path = string(self, memory, path)?.into_owned();
        let dir = match fds(self)?.get(dirfd.into())? {
            Fd::Dir(dir) => borrowed(&dir.desc),
            Fd::File(_) => return Err(Errno::Notdir.into()),
            Fd::Stdin { .. } | Fd::Stdout { .. } => return Err(Errno::Badf.into()),
        };
        let intent = OpenIntent {
            create: oflags.contains(types::Oflags::CREAT),
            exclusive: oflags.contains(types::Oflags::EXCL),
            truncate: oflags.contains(types::Oflags::TRUNC),
            directory: oflags.contains(types::Oflags::DIRECTORY),
            read: fs_rights_base.contains(types::Rights::FD_READ),
            write: fs_rights_base.contains(types::Rights::FD_WRITE),
            sync: fdflags
                .intersects(types::Fdflags::SYNC | types::Fdflags::DSYNC | types::Fdflags::RSYNC),
        };
        let follow = dirflags.contains(types::Lookupflags::SYMLINK_FOLLOW);
        let on = borrowed(&dir);
        // The descriptor, and for a file whether it is a FIFO, socket or
        // device (`None`: a directory).
        let (desc, pipe) = run_for(self, &on, false, move |view| -> Result<_> {
            let desc = view.fs_open_at(&dir, follow, &path, intent)?;
            let pipe = match &view.descriptor(&desc)?.kind {
                DescriptorKind::Directory { .. } => None,
                DescriptorKind::File { .. } => match view.fs_get_type(&desc) {
                    Ok(file_type) => Some(is_pipe(file_type)),
                    Err(err) => {
                        view.fs_drop(desc).map_err(types::Error::trap)?;
                        return Err(err.into());
                    }
                },
            };
            Ok((desc, pipe))
        })
        .await?;
        let fd = match pipe {
            None => Fd::Dir(Dir {
                desc,
                preopen: None,
                pass: None,
            }),
            Some(pipe) => Fd::File(File {
                desc,
                position: 0,
                append: fdflags.contains(types::Fdflags::APPEND),
                nonblock: fdflags.contains(types::Fdflags::NONBLOCK),
                pipe,
            }),
        };
        Ok(fds(self)?.push(fd)?.into())
    }

    async fn path_readlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
    ) -> Result<types::Size> {
        let target = at_path(self, memory, dirfd, path, move |view, dir, path| {
            Ok(view.fs_readlink_at(dir, path)?)
        })
        .await?;
        let target = target.as_bytes();
        let target = target.get(..buf_len as usize).unwrap_or(target);
        write_bytes(memory, buf, target)?;
        Ok(target.len().try_into()?)
    }

    async fn path_remove_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        at_path(self, memory, dirfd, path, move |view, dir, path| {
            Ok(view.fs_remove_directory_at(dir, path)?)
        })
        .await
    }

    async fn path_rename(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_fd: types::Fd,
        src_path: GuestPtr<str>,
        dest_fd: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        let src = dir_desc(self, src_fd)?;
        let dest = dir_desc(self, dest_fd)?;
        let src_path = string(self, memory, src_path)?.into_owned();
        let dest_path = string(self, memory, dest_path)?.into_owned();
        let on = borrowed(&src);
        run_for(self, &on, false, move |view| {
            Ok(view.fs_rename_at(&src, &src_path, &dest, &dest_path)?)
        })
        .await
    }

    async fn path_symlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_path: GuestPtr<str>,
        dirfd: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = dir_desc(self, dirfd)?;
        let src_path = string(self, memory, src_path)?.into_owned();
        let dest_path = string(self, memory, dest_path)?.into_owned();
        let on = borrowed(&dir);
        run_for(self, &on, false, move |view| {
            Ok(view.fs_symlink_at(&dir, &src_path, &dest_path)?)
        })
        .await
    }

    async fn path_unlink_file(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        at_path(self, memory, dirfd, path, move |view, dir, path| {
            Ok(view.fs_unlink_file_at(dir, path)?)
        })
        .await
    }

    async fn poll_oneoff(
        &mut self,
        memory: &mut GuestMemory<'_>,
        subs: GuestPtr<types::Subscription>,
        events: GuestPtr<types::Event>,
        nsubscriptions: types::Size,
    ) -> Result<types::Size> {
        super::poll::poll_oneoff(self, memory, subs, events, nsubscriptions).await
    }

    fn proc_exit(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        status: types::Exitcode,
    ) -> wasmtime::Error {
        // WASI's range (as wasmtime-wasi).
        if status >= 126 {
            return wasmtime::Error::msg("exit with invalid exit status outside of [0..126)");
        }
        wasmtime_wasi::I32Exit(status as i32).into()
    }

    fn proc_raise(&mut self, _memory: &mut GuestMemory<'_>, _sig: types::Signal) -> Result<()> {
        Err(Errno::Notsup.into())
    }

    fn sched_yield(&mut self, _memory: &mut GuestMemory<'_>) -> Result<()> {
        Ok(())
    }

    fn random_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
    ) -> Result<()> {
        let bytes =
            random::Host::get_random_bytes(WasiView::ctx(self).ctx.random(), buf_len.into())
                .map_err(types::Error::trap)?;
        write_bytes(memory, buf, &bytes)?;
        Ok(())
    }

    fn sock_accept(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _flags: types::Fdflags,
    ) -> Result<types::Fd> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }

    fn sock_recv(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _ri_data: types::IovecArray,
        _ri_flags: types::Riflags,
    ) -> Result<(types::Size, types::Roflags)> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }

    fn sock_send(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _si_data: types::CiovecArray,
        _si_flags: types::Siflags,
    ) -> Result<types::Size> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }

    fn sock_shutdown(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _how: types::Sdflags,
    ) -> Result<()> {
        fds(self)?.get(fd.into())?;
        Err(Errno::Notsock.into())
    }
}
