//! The per-installation key that authenticates compile-cache artifacts: 32 random
//! bytes in `key` beside them (`0600`, checked like the directory), made on
//! first use; the MAC is BLAKE3 in keyed mode over an artifact's name and bytes.

use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use super::cache_dir::{self, CacheDirError};

/// Bytes of a MAC.
pub(crate) const MAC_LEN: usize = 32;

/// File name of the key in the cache directory.
pub(crate) const KEY_FILE: &str = "key";

/// An installation's cache key.
#[derive(Clone)]
pub(crate) struct MacKey([u8; 32]);

impl std::fmt::Debug for MacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MacKey(..)")
    }
}

impl MacKey {
    /// The MAC state for an artifact stored under `name`, to feed its bytes to.
    pub(crate) fn hasher(&self, name: &str) -> blake3::Hasher {
        let mut hasher = blake3::Hasher::new_keyed(&self.0);
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher
    }

    /// The MAC of the artifact `bytes` stored under `name`.
    pub(crate) fn mac(&self, name: &str, bytes: &[u8]) -> [u8; MAC_LEN] {
        let mut hasher = self.hasher(name);
        hasher.update(bytes);
        *hasher.finalize().as_bytes()
    }

    /// Whether `mac` is what `hasher` computed (compared in constant time).
    pub(crate) fn matches(hasher: &blake3::Hasher, mac: &[u8]) -> bool {
        let Ok(mac) = <[u8; MAC_LEN]>::try_from(mac) else {
            return false;
        };
        hasher.finalize() == blake3::Hash::from(mac)
    }

    /// Whether `mac` is the MAC of `bytes` under `name` (compared in constant time).
    #[cfg(test)]
    pub(crate) fn verify(&self, name: &str, bytes: &[u8], mac: &[u8]) -> bool {
        let mut hasher = self.hasher(name);
        hasher.update(bytes);
        Self::matches(&hasher, mac)
    }
}

/// The key of the cache in `dir` (already checked), made if there is none yet.
pub(crate) fn load_or_create(dir: &Path) -> Result<MacKey, CacheDirError> {
    let path = dir.join(KEY_FILE);
    let io = |source| CacheDirError::Io {
        path: path.clone(),
        source,
    };
    if fs::symlink_metadata(&path).is_err() {
        let mut key = [0u8; 32];
        fill_random(&mut key).map_err(io)?;
        // Written under a fresh name and linked into place, so a concurrent start
        // never sees half a key and never replaces one already there.
        let tmp = dir.join(format!(".key-{}", random_hex(16).map_err(io)?));
        let made = (|| {
            let mut file = cache_dir::create_new_nofollow(&tmp)?;
            file.write_all(&key)?;
            file.sync_all()?;
            fs::hard_link(&tmp, &path)
        })();
        let _ = fs::remove_file(&tmp);
        match made {
            Ok(()) => return Ok(MacKey(key)),
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(err) => return Err(io(err)),
        }
    }
    cache_dir::check_private(&path, false)?;
    let mut bytes = Vec::new();
    cache_dir::open_nofollow(&path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io)?;
    let key = <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| CacheDirError::Unsafe {
        path: path.clone(),
        why: format!("is {} bytes, not a 32-byte key", bytes.len()),
    })?;
    Ok(MacKey(key))
}

/// `n` random bytes, hex-encoded.
pub(crate) fn random_hex(n: usize) -> std::io::Result<String> {
    let mut bytes = vec![0u8; n];
    fill_random(&mut bytes)?;
    Ok(hex::encode(bytes))
}

fn fill_random(buf: &mut [u8]) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        filled +=
            rustix::rand::getrandom(&mut buf[filled..], rustix::rand::GetRandomFlags::empty())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_macs_bind_name_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let key = load_or_create(dir.path()).unwrap();
        let again = load_or_create(dir.path()).unwrap();
        let mac = key.mac("a.cwasm", b"artifact");
        assert!(again.verify("a.cwasm", b"artifact", &mac));
        assert!(!again.verify("b.cwasm", b"artifact", &mac));
        assert!(!again.verify("a.cwasm", b"artifacT", &mac));
        use std::os::unix::fs::MetadataExt;
        let mode = fs::metadata(dir.path().join(KEY_FILE)).unwrap().mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = tempfile::tempdir().unwrap();
        let foreign = load_or_create(other.path()).unwrap();
        assert!(!foreign.verify("a.cwasm", b"artifact", &mac));
    }
}
