//! Lazy iterators over the pages and items of a listing.

use std::fmt;

use flat_org_core::{Listed, Operation, Page, PageRequest, Paginator};

use crate::client::Client;
use crate::error::Error;

/// An iterator over the pages of a listing, made by [`Client::pages`].
///
/// It owns a clone of the client, which shares the connection pool. Each
/// call to `next` sends one request. The iterator ends after the last
/// page, or after yielding an error; [`Pages::pending_link`] then gives the
/// link it was about to fetch, to retry or resume with
/// [`Client::resume_pages`].
///
/// ```no_run
/// use flat_org_blocking::{AccessToken, Client, ops::ListUsers};
///
/// let client = Client::builder(AccessToken::new("t")?).build()?;
/// let mut pages = client.pages(&ListUsers::new().limit(1000))?;
/// while let Some(page) = pages.next() {
///     match page {
///         Ok(page) => println!("{} users", page.items().len()),
///         Err(err) => {
///             eprintln!("stopped: {err}");
///             if let Some(link) = pages.pending_link() {
///                 eprintln!("resume with Client::resume_pages({link:?})");
///             }
///         }
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Pages<T> {
    client: Client,
    paginator: Paginator<T>,
    failed: bool,
}

impl<T: Listed> Pages<T> {
    pub(crate) fn new(client: Client, paginator: Paginator<T>) -> Pages<T> {
        Pages {
            client,
            paginator,
            failed: false,
        }
    }

    /// Returns the absolute URL of the page the iterator fetches next, or failed to
    /// fetch; `None` after the last page.
    pub fn pending_link(&self) -> Option<&str> {
        self.paginator
            .pending()
            .map(|request| request.link().as_str())
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> usize {
        self.paginator.pages()
    }

    fn fetch(&mut self) -> Result<Option<Page<T>>, Error> {
        let Some(page_request) = self.paginator.next_request()? else {
            return Ok(None);
        };
        let request = self.client.api().request(page_request)?;
        let response = self
            .client
            .send_logged(PageRequest::<T>::OPERATION_ID, request)?;
        Ok(Some(self.paginator.handle(self.client.api(), &response)?))
    }
}

impl<T: Listed> Iterator for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.fetch() {
            Ok(page) => page.map(Ok),
            Err(error) => {
                self.failed = true;
                Some(Err(error))
            }
        }
    }
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("pages", &self.paginator.pages())
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

/// An iterator over the items of every page of a listing, made by
/// [`Client::items`]. It keeps one page at a time and requests the next when
/// the current one is used up.
///
/// ```no_run
/// use flat_org_blocking::{AccessToken, Client, ops::ListInvitations};
///
/// let client = Client::builder(AccessToken::new("t")?).build()?;
/// let mut invitations = client.items(&ListInvitations::new().limit(1000))?;
/// let pending: Vec<_> = invitations
///     .by_ref()
///     .filter(|i| i.as_ref().map_or(true, |i| i.used_by.is_empty()))
///     .collect::<Result<_, _>>()?;
/// println!("{} unused invitations in {} pages", pending.len(), invitations.pages());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Items<T> {
    pages: Pages<T>,
    current: std::vec::IntoIter<T>,
}

impl<T: Listed> Items<T> {
    pub(crate) fn new(pages: Pages<T>) -> Items<T> {
        Items {
            pages,
            current: Vec::new().into_iter(),
        }
    }

    /// See [`Pages::pending_link`].
    pub fn pending_link(&self) -> Option<&str> {
        self.pages.pending_link()
    }

    /// Pages fetched so far.
    pub fn pages(&self) -> usize {
        self.pages.pages()
    }
}

impl<T: Listed> Iterator for Items<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.current.next() {
                return Some(Ok(item));
            }
            match self.pages.next()? {
                Ok(page) => self.current = page.into_items().into_iter(),
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("pages", &self.pages)
            .field("buffered", &self.current.len())
            .finish()
    }
}
