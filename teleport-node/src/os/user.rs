//! OS users: who a login is on this host, and directories owned by them.

use std::io;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use nix::unistd::{Gid, Group, Uid, User};

/// An OS user as the password database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OsUser {
    /// The login name.
    pub(crate) name: String,
    /// The numeric user id.
    pub(crate) uid: u32,
    /// The primary group id.
    pub(crate) gid: u32,
    /// The home directory.
    pub(crate) home: PathBuf,
    /// The login shell (`/bin/sh` when the database has none).
    pub(crate) shell: PathBuf,
    /// Every group the user is in (primary first), as `initgroups` would set them.
    pub(crate) groups: Vec<u32>,
}

fn errno(err: nix::errno::Errno) -> io::Error {
    io::Error::from_raw_os_error(err as i32)
}

/// The OS user named `login`, `None` when there is none.
pub(crate) fn lookup_user(login: &str) -> io::Result<Option<OsUser>> {
    let Some(user) = User::from_name(login).map_err(errno)? else {
        return Ok(None);
    };
    let shell = if user.shell.as_os_str().is_empty() {
        PathBuf::from("/bin/sh")
    } else {
        user.shell.clone()
    };
    let groups = match std::ffi::CString::new(user.name.clone()) {
        Ok(cname) => nix::unistd::getgrouplist(&cname, user.gid)
            .map(|groups| groups.into_iter().map(Gid::as_raw).collect())
            .unwrap_or_else(|_| vec![user.gid.as_raw()]),
        Err(_) => vec![user.gid.as_raw()],
    };
    Ok(Some(OsUser {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        home: user.dir,
        shell,
        groups,
    }))
}

/// The real user id the node runs as.
pub(crate) fn current_uid() -> u32 {
    Uid::current().as_raw()
}

/// The id of group `name`, if it exists (`tty` for terminals).
pub(crate) fn group_id(name: &str) -> Option<u32> {
    Group::from_name(name)
        .ok()
        .flatten()
        .map(|g| g.gid.as_raw())
}

/// Creates `dir` with mode 0700, owned by `uid:gid` (the owner is only changed when
/// the node runs as root).
pub(crate) fn make_private_dir(dir: &Path, uid: u32, gid: u32) -> io::Result<()> {
    std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    chown(dir, uid, gid)
}

/// Gives `path` to `uid:gid` when the node runs as root; a no-op otherwise.
pub(crate) fn chown(path: &Path, uid: u32, gid: u32) -> io::Result<()> {
    if current_uid() != 0 {
        return Ok(());
    }
    nix::unistd::chown(path, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid))).map_err(errno)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_and_nobody_is_unknown() {
        let root = lookup_user("root").unwrap().unwrap();
        assert_eq!(root.uid, 0);
        assert!(root.groups.contains(&0));
        assert!(lookup_user("no-such-user-tpnode").unwrap().is_none());
    }
}
