//! A Zarr filesystem store whose chunk writes do not wait for the disk.
//!
//! zarrs' `FilesystemStore` syncs every file it writes (`fsync`) before
//! returning, so a thread writing a chunk sits idle until the disk has it:
//! on W5 (a rechunk written to Zarr on 2 threads) that was about a seventh
//! of the run. ndchunk writes an array into a temporary directory that is
//! renamed into place only when complete (see [`super::partial`]), so the
//! chunks need to be on disk only before that rename: in the process that
//! commits, each write starts the kernel's write-back of the file and returns
//! ([`start_writeback`]), and the commit syncs every file and directory of
//! the temporary directory ([`sync_tree`]; the files are mostly on disk by
//! then) before the rename. Writers in other processes (Dask workers, perhaps on other
//! machines), which the commit does not see, keep zarrs' sync per chunk, as
//! do `direct_io` writes. Reads, erases and partial writes are the inner
//! store's.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use zarrs::filesystem::FilesystemStore;
use zarrs::storage::byte_range::ByteRangeIterator;
use zarrs::storage::{
    Bytes, MaybeBytesIterator, OffsetBytesIterator, ReadableStorageTraits, StorageError, StoreKey,
    StorePrefix, WritableStorageTraits,
};

/// A [`FilesystemStore`] whose whole-value writes, when `defer` is set,
/// start write-back instead of waiting for it; otherwise they are the inner
/// store's (synced).
#[derive(Debug)]
pub(crate) struct DeferredSyncStore {
    inner: FilesystemStore,
    defer: bool,
}

impl DeferredSyncStore {
    pub(crate) fn new(inner: FilesystemStore, defer: bool) -> Self {
        DeferredSyncStore { inner, defer }
    }
}

impl ReadableStorageTraits for DeferredSyncStore {
    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        self.inner.get_partial_many(key, byte_ranges)
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        self.inner.size_key(key)
    }

    fn supports_get_partial(&self) -> bool {
        self.inner.supports_get_partial()
    }
}

impl WritableStorageTraits for DeferredSyncStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        if !self.defer {
            return self.inner.set(key, value);
        }
        let path = self.inner.key_to_fspath(key);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = File::create(&path)?;
        file.write_all(&value)?;
        start_writeback(&file);
        Ok(())
    }

    fn set_partial_many(
        &self,
        key: &StoreKey,
        offset_values: OffsetBytesIterator,
    ) -> Result<(), StorageError> {
        self.inner.set_partial_many(key, offset_values)
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        self.inner.erase(key)
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        self.inner.erase_prefix(prefix)
    }

    fn supports_set_partial(&self) -> bool {
        self.inner.supports_set_partial()
    }
}

/// Starts writing `file`'s dirty pages to disk without waiting for them
/// (Linux); elsewhere the commit's [`sync_tree`] does it all.
fn start_writeback(file: &File) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open for the call; the flag only queues
        // write-back of pages already written. Failure is harmless: the
        // commit's sync writes whatever is left.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Syncs every file and directory under `dir`, `dir` included: after this,
/// what was written there is on disk.
pub(crate) fn sync_tree(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            sync_tree(&entry.path())?;
        } else {
            File::open(entry.path())?.sync_all()?;
        }
    }
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_read_back_and_sync() {
        let dir = std::env::temp_dir().join(format!("ndchunk-deferred-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = DeferredSyncStore::new(FilesystemStore::new(&dir).unwrap(), true);
        let key = StoreKey::new("c/0/1").unwrap();
        store.set(&key, Bytes::from(vec![1u8, 2, 3])).unwrap();
        assert_eq!(store.size_key(&key).unwrap(), Some(3));
        assert_eq!(
            store.get(&key).unwrap().map(|b| b.to_vec()),
            Some(vec![1, 2, 3])
        );
        store.set(&key, Bytes::from(vec![9u8])).unwrap();
        assert_eq!(std::fs::read(dir.join("c/0/1")).unwrap(), vec![9]);
        sync_tree(&dir).unwrap();
        store.erase(&key).unwrap();
        assert_eq!(store.size_key(&key).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
