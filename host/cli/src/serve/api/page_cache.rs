//! Rendered pages of `GET /api/v1/findings`, kept under the findings generation they
//! were read at (`Store::findings_generation`, raised in the store by every change a
//! page shows, whoever writes). A request reads the generation first and is answered
//! with the page kept for its query at that generation, or renders it once: requests
//! that ask for the same page at once wait for that one rendering. A page is never
//! older than the generation its request read, so a change committed before a request
//! arrives is in its answer, on every replica. Bounded by `api.findings_cache_mib`;
//! pages of older generations, never asked for again, age out.

use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

/// A page's key: the request's query string and the generation it was rendered at.
type PageKey = (String, i64);

/// Weighs a page by its bytes.
#[derive(Debug, Clone, Copy)]
struct ByBytes;

impl Weighter<PageKey, Bytes> for ByBytes {
    fn weight(&self, key: &PageKey, page: &Bytes) -> u64 {
        (key.0.len() + page.len()) as u64
    }
}

/// The kept pages; none kept when the cache is sized 0.
pub struct PageCache {
    pages: Option<Cache<PageKey, Bytes, ByBytes>>,
}

impl PageCache {
    /// A cache of at most `mib` MiB of pages; 0 keeps none.
    pub fn new(mib: u64) -> PageCache {
        let bytes = mib * 1024 * 1024;
        // A 100-finding page is about 75 KB.
        let estimated_pages = (bytes / 75_000).max(1) as usize;
        PageCache {
            pages: (mib > 0).then(|| Cache::with_weighter(estimated_pages, bytes, ByBytes)),
        }
    }

    /// The page of `query` at `generation`: the kept one, or `render`'s (kept when it
    /// succeeds; an error is returned to this request and to none other).
    pub async fn page<E>(
        &self,
        query: &str,
        generation: i64,
        render: impl Future<Output = Result<Bytes, E>>,
    ) -> Result<Bytes, E> {
        match &self.pages {
            Some(pages) => {
                pages
                    .get_or_insert_async(&(query.to_string(), generation), render)
                    .await
            }
            None => render.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    async fn rendered(count: &AtomicUsize, text: &str) -> Result<Bytes, String> {
        count.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Ok(Bytes::from(text.to_string()))
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_page_is_rendered_once_per_query_and_generation_however_many_ask_at_once() {
        let cache = std::sync::Arc::new(PageCache::new(1));
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let asks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, count) = (cache.clone(), count.clone());
                tokio::spawn(async move { cache.page("a=1", 7, rendered(&count, "seven")).await })
            })
            .collect();
        for ask in asks {
            assert_eq!(ask.await.unwrap().unwrap(), "seven");
        }
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "one rendering for 20 at once"
        );
        // Another generation or another query is another page.
        let eight = cache.page("a=1", 8, rendered(&count, "eight")).await;
        assert_eq!(eight.unwrap(), "eight");
        let other = cache.page("a=2", 8, rendered(&count, "other")).await;
        assert_eq!(other.unwrap(), "other");
        assert_eq!(count.load(Ordering::SeqCst), 3);
        // A failed rendering is not kept: the next ask renders again.
        let failed: Result<Bytes, String> = cache.page("b", 8, async { Err("down".into()) }).await;
        assert_eq!(failed.unwrap_err(), "down");
        assert_eq!(
            cache.page("b", 8, rendered(&count, "b")).await.unwrap(),
            "b"
        );
        assert_eq!(count.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn a_cache_sized_0_renders_every_time_and_the_bound_holds() {
        let count = AtomicUsize::new(0);
        let off = PageCache::new(0);
        for _ in 0..3 {
            off.page("q", 1, rendered(&count, "x")).await.unwrap();
        }
        assert_eq!(count.load(Ordering::SeqCst), 3);

        let small = PageCache::new(1);
        let page = "p".repeat(100_000);
        for generation in 0..50 {
            small
                .page("q", generation, rendered(&count, &page))
                .await
                .unwrap();
        }
        let kept = small.pages.as_ref().unwrap().weight();
        assert!(kept <= 1024 * 1024, "{kept} bytes kept in a 1 MiB cache");
        assert!(kept >= 500_000, "the newest pages are kept: {kept} bytes");
    }
}
