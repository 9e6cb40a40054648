//! Extended attributes, on the dentry's own FD (`f*xattr`), limited to the
//! `user.` namespace (see [`XattrName`]) and to values of at most
//! [`XATTR_SIZE_MAX`] bytes.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::fcntl::OFlag;

use super::{DentryId, FdMode, Tree};
use crate::error::ErrorCode;
use crate::name::{XATTR_SIZE_MAX, XattrName};
use crate::sys;
use crate::types::{FileType, XattrFlags};

/// The FD of [`Tree::xattr_fd`]: the dentry's own, or one opened for the
/// call.
enum XattrFd<'a> {
    Own(BorrowedFd<'a>),
    Opened(OwnedFd),
}

impl AsFd for XattrFd<'_> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Self::Own(fd) => fd.as_fd(),
            Self::Opened(fd) => fd.as_fd(),
        }
    }
}

impl Tree {
    /// The FD the `f*xattr` calls work on: the dentry's, unless it was opened
    /// `O_PATH` (those calls fail on such FDs). Then a regular file is
    /// opened for reading for the call ([`Tree::open_fd_now`]: by name,
    /// identity checked), as a walk on a remote filesystem keeps files
    /// `O_PATH`; one that cannot be read, and anything else, →
    /// `not-supported`.
    fn xattr_fd(&self, id: DentryId) -> Result<XattrFd<'_>, ErrorCode> {
        let d = self.get(id)?;
        match (d.fd_mode, d.file_type) {
            (FdMode::Read, _) => Ok(XattrFd::Own(d.fd.as_fd())),
            (FdMode::Path | FdMode::Lent, FileType::RegularFile) => {
                match self.open_fd_now(id, OFlag::O_RDONLY) {
                    Ok(fd) => Ok(XattrFd::Opened(fd)),
                    Err(ErrorCode::Access) => Err(ErrorCode::NotSupported),
                    Err(err) => Err(err),
                }
            }
            (FdMode::Path | FdMode::Lent, _) => Err(ErrorCode::NotSupported),
        }
    }

    /// `fgetxattr`: asks the size, then reads; if the value grew in between,
    /// reads again into the largest buffer a value can need.
    pub(crate) fn get_xattr(
        &self,
        id: DentryId,
        name: XattrName<'_>,
    ) -> Result<Vec<u8>, ErrorCode> {
        let fd = self.xattr_fd(id)?;
        let fd = fd.as_fd();
        let size = sys::fgetxattr_size(fd, name.as_str())?;
        read_sized(size, |buf| sys::fgetxattr(fd, name.as_str(), buf))
    }

    /// `fsetxattr` with `create`/`replace`.
    pub(crate) fn set_xattr(
        &self,
        id: DentryId,
        name: XattrName<'_>,
        value: &[u8],
        flags: XattrFlags,
    ) -> Result<(), ErrorCode> {
        if value.len() > XATTR_SIZE_MAX {
            return Err(ErrorCode::TooBig);
        }
        let mut host_flags = sys::XattrFlags::empty();
        if flags.contains(XattrFlags::CREATE) {
            host_flags |= sys::XattrFlags::CREATE;
        }
        if flags.contains(XattrFlags::REPLACE) {
            host_flags |= sys::XattrFlags::REPLACE;
        }
        Ok(sys::fsetxattr(
            self.xattr_fd(id)?.as_fd(),
            name.as_str(),
            value,
            host_flags,
        )?)
    }

    /// `flistxattr`: the `user.` names that are UTF-8.
    pub(crate) fn list_xattr(&self, id: DentryId) -> Result<Vec<String>, ErrorCode> {
        let fd = self.xattr_fd(id)?;
        let fd = fd.as_fd();
        let size = sys::flistxattr_size(fd)?;
        let list = read_sized(size, |buf| sys::flistxattr(fd, buf))?;
        Ok(list
            .split(|&b| b == 0)
            .filter_map(|name| std::str::from_utf8(name).ok())
            .filter(|name| XattrName::visible(name))
            .map(str::to_owned)
            .collect())
    }

    /// `fremovexattr`.
    pub(crate) fn remove_xattr(&self, id: DentryId, name: XattrName<'_>) -> Result<(), ErrorCode> {
        Ok(sys::fremovexattr(
            self.xattr_fd(id)?.as_fd(),
            name.as_str(),
        )?)
    }
}

/// Reads a value whose size was just asked: into a buffer of `size` bytes,
/// and if it grew since (`ERANGE`), once more into [`XATTR_SIZE_MAX`] bytes,
/// the most Linux allows. The buffer is never larger than that.
fn read_sized(
    size: usize,
    mut read: impl FnMut(&mut [u8]) -> Result<usize, Errno>,
) -> Result<Vec<u8>, ErrorCode> {
    if size > XATTR_SIZE_MAX {
        return Err(ErrorCode::TooBig);
    }
    let mut buf = vec![0; size];
    let n = match read(&mut buf) {
        Err(Errno::ERANGE) => {
            buf = vec![0; XATTR_SIZE_MAX];
            read(&mut buf)?
        }
        other => other?,
    };
    buf.truncate(n);
    Ok(buf)
}
