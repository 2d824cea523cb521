//! Where images live: object storage (`object_store`) — local files by default, an
//! S3-compatible store in production — under day-prefixed keys, so the retention purge (R18)
//! deletes a whole day by its prefix.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use shared::ImageKind;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Clone)]
pub struct Images {
    store: Arc<dyn ObjectStore>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImagesError {
    #[error("unsupported images URL `{0}`: use file://DIR, memory:// or s3://BUCKET")]
    UnsupportedUrl(String),
    #[error("could not create the image directory {0}: {1}")]
    Dir(String, std::io::Error),
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

impl Images {
    /// `file://data/images` (relative or absolute), `memory://`, or `s3://bucket[/prefix]`
    /// (credentials and endpoint from `options`, by object_store's names, over the usual
    /// `AWS_*` variables).
    pub fn from_url(url: &str, options: &BTreeMap<String, String>) -> Result<Images, ImagesError> {
        let store: Arc<dyn ObjectStore> = if let Some(dir) = url.strip_prefix("file://") {
            std::fs::create_dir_all(dir).map_err(|e| ImagesError::Dir(dir.to_owned(), e))?;
            // Deleting a day's images leaves no empty directories behind.
            Arc::new(LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true))
        } else if url == "memory://" {
            Arc::new(InMemory::new())
        } else if url.starts_with("s3://") {
            s3(url, options)?
        } else {
            return Err(ImagesError::UnsupportedUrl(url.to_owned()));
        };
        Ok(Images { store })
    }

    /// `reads/YYYY-MM-DD/<feed>/<camera>/<capture ms>-<plate>-<kind>.<ext>`: the same read
    /// always gets the same key, so a retried batch rewrites rather than duplicates.
    pub fn key(
        captured_at: DateTime<Utc>,
        feed_id: i64,
        camera_id: i64,
        plate: &str,
        kind: ImageKind,
        extension: &str,
    ) -> String {
        format!(
            "{}/{feed_id}/{camera_id}/{}-{plate}-{}.{extension}",
            Self::day_prefix(captured_at),
            captured_at.timestamp_millis(),
            kind.as_str()
        )
    }

    pub fn day_prefix(day: DateTime<Utc>) -> String {
        format!("{READS}/{}", day.format("%Y-%m-%d"))
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), object_store::Error> {
        self.store.put(&Path::from(key), PutPayload::from(bytes)).await.map(|_| ())
    }

    pub async fn get(&self, key: &str) -> Result<Bytes, object_store::Error> {
        self.store.get(&Path::from(key)).await?.bytes().await
    }

    /// The image kept under `key`, as a response no cache keeps (R1: personal data).
    pub async fn response(&self, key: &str) -> crate::error::AppResult<axum::response::Response> {
        use axum::response::IntoResponse;
        let bytes = self.get(key).await.map_err(crate::error::AppError::internal)?;
        let content_type =
            key.rsplit('.').next().and_then(super::StoredFormat::from_extension).map(|f| f.content_type());
        Ok((
            [
                (axum::http::header::CONTENT_TYPE, content_type.unwrap_or("application/octet-stream")),
                (axum::http::header::CACHE_CONTROL, "private, no-store"),
            ],
            bytes,
        )
            .into_response())
    }

    pub async fn copy(&self, from: &str, to: &str) -> Result<(), object_store::Error> {
        self.store.copy(&Path::from(from), &Path::from(to)).await
    }

    /// Deletes one image; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The days that hold read images, oldest first, as `YYYY-MM-DD`.
    pub async fn read_days(&self) -> Result<Vec<String>, object_store::Error> {
        let listed = match self.store.list_with_delimiter(Some(&Path::from(READS))).await {
            Ok(listed) => listed,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut days: Vec<String> =
            listed.common_prefixes.iter().filter_map(|p| p.filename().map(str::to_owned)).collect();
        days.sort();
        Ok(days)
    }

    /// Deletes every image under a day's prefix (R18); returns how many there were.
    pub async fn delete_day(&self, day: &str) -> Result<usize, object_store::Error> {
        let prefix = Path::from(format!("{READS}/{day}"));
        let locations = self.store.list(Some(&prefix)).map_ok(|meta| meta.location).boxed();
        self.store.delete_stream(locations).try_fold(0, |n, _| async move { Ok(n + 1) }).await
    }
}

/// The prefix under which read images are kept, one folder per capture day.
const READS: &str = "reads";

fn s3(url: &str, options: &BTreeMap<String, String>) -> Result<Arc<dyn ObjectStore>, ImagesError> {
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_url(url);
    for (key, value) in options {
        builder = builder.with_config(key.to_ascii_lowercase().parse()?, value);
    }
    let store = builder.build()?;
    // The URL's path after the bucket is the prefix every key is kept under.
    let prefix = url.trim_start_matches("s3://").split_once('/').map_or("", |(_, p)| p.trim_matches('/'));
    Ok(if prefix.is_empty() {
        Arc::new(store)
    } else {
        Arc::new(object_store::prefix::PrefixStore::new(store, prefix))
    })
}
