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
}
