//! Validation of one path component from the guest.
//!
//! Every name a guest passes reaches a host `*at` syscall relative to a
//! directory FD, so a name must be exactly one component of that directory:
//! never empty, never `.` or `..` (which would leave or alias the directory),
//! never containing `/` (which would walk further with the kernel following
//! symlinks in between) or NUL (which C would cut short).

use crate::error::ErrorCode;

/// The longest name a Linux filesystem accepts (`NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// The longest path or symlink target, in bytes (`PATH_MAX` less its NUL).
pub const PATH_MAX: usize = 4095;

/// The longest extended attribute name (`XATTR_NAME_MAX`).
pub const XATTR_NAME_MAX: usize = 255;

/// The largest extended attribute value (`XATTR_SIZE_MAX`).
pub const XATTR_SIZE_MAX: usize = 64 * 1024;

/// The one extended attribute namespace guests reach.
const XATTR_NAMESPACE: &str = "user.";

/// One validated path component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Name<'a>(&'a str);

impl<'a> Name<'a> {
    /// Checks that `name` is one path component.
    ///
    /// Errors: `invalid` for an empty name, `.`, `..`, or a name containing
    /// `/` or NUL; `name-too-long` past [`NAME_MAX`] bytes.
    pub fn parse(name: &'a str) -> Result<Self, ErrorCode> {
        if name.is_empty() || name == "." || name == ".." {
            return Err(ErrorCode::Invalid);
        }
        if name.bytes().any(|b| b == b'/' || b == 0) {
            return Err(ErrorCode::Invalid);
        }
        if name.len() > NAME_MAX {
            return Err(ErrorCode::NameTooLong);
        }
        Ok(Self(name))
    }

    /// The name as a string.
    pub fn as_str(self) -> &'a str {
        self.0
    }
}

/// Checks a path (for `walk-path`, or a symlink target, which is a path the
/// walk resolves from the preopen root when absolute): `no-entry` if empty,
/// `invalid` with a NUL, `name-too-long` past [`PATH_MAX`] bytes. Its
/// components are checked one by one as a walk meets them.
pub fn check_path(path: &str) -> Result<(), ErrorCode> {
    if path.is_empty() {
        Err(ErrorCode::NoEntry)
    } else if path.as_bytes().contains(&0) {
        Err(ErrorCode::Invalid)
    } else if path.len() > PATH_MAX {
        Err(ErrorCode::NameTooLong)
    } else {
        Ok(())
    }
}

/// A validated extended attribute name in the `user.` namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XattrName<'a>(&'a str);

impl<'a> XattrName<'a> {
    /// Checks an extended attribute name: `invalid` if empty or with a NUL,
    /// `name-too-long` past [`XATTR_NAME_MAX`] bytes, `not-permitted` outside
    /// the `user.` namespace (`trusted.`, `security.`, `system.` stay the
    /// host's).
    pub fn parse(name: &'a str) -> Result<Self, ErrorCode> {
        if name.is_empty() || name.as_bytes().contains(&0) {
            return Err(ErrorCode::Invalid);
        }
        if name.len() > XATTR_NAME_MAX {
            return Err(ErrorCode::NameTooLong);
        }
        if !name.starts_with(XATTR_NAMESPACE) {
            return Err(ErrorCode::NotPermitted);
        }
        Ok(Self(name))
    }

    /// Whether a host attribute name is one a guest may see.
    pub fn visible(name: &str) -> bool {
        name.starts_with(XATTR_NAMESPACE)
    }

    /// The name as a string.
    pub fn as_str(self) -> &'a str {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_component() {
        for ok in ["a", "...", ".hidden", "a b", "ü", &"x".repeat(NAME_MAX)] {
            assert_eq!(Name::parse(ok).map(Name::as_str), Ok(ok));
        }
    }

    #[test]
    fn rejects_what_is_not_one_component() {
        for bad in ["", ".", "..", "/", "a/b", "/etc", "../x", "a\0b", "\0"] {
            assert_eq!(Name::parse(bad), Err(ErrorCode::Invalid), "{bad:?}");
        }
        let long = "x".repeat(NAME_MAX + 1);
        assert_eq!(Name::parse(&long), Err(ErrorCode::NameTooLong));
    }

    #[test]
    fn paths_and_targets() {
        assert_eq!(check_path(""), Err(ErrorCode::NoEntry));
        assert_eq!(check_path("a\0b"), Err(ErrorCode::Invalid));
        assert_eq!(check_path(&"a/".repeat(2047)), Ok(()));
        assert_eq!(
            check_path(&"a".repeat(PATH_MAX + 1)),
            Err(ErrorCode::NameTooLong)
        );
        assert_eq!(check_path("/abs/../x"), Ok(()));
    }

    #[test]
    fn xattr_names() {
        assert_eq!(
            XattrName::parse("user.a").map(XattrName::as_str),
            Ok("user.a")
        );
        assert_eq!(XattrName::parse("trusted.a"), Err(ErrorCode::NotPermitted));
        assert_eq!(
            XattrName::parse("security.selinux"),
            Err(ErrorCode::NotPermitted)
        );
        assert_eq!(XattrName::parse(""), Err(ErrorCode::Invalid));
        assert_eq!(XattrName::parse("user.\0"), Err(ErrorCode::Invalid));
        let long = format!("user.{}", "x".repeat(251));
        assert_eq!(XattrName::parse(&long), Err(ErrorCode::NameTooLong));
        assert!(XattrName::visible("user.x") && !XattrName::visible("security.x"));
    }
}
