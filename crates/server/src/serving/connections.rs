//! How many connections are held, and for how long one may sit without a request: the
//! defence against clients that connect and say nothing (a silent socket, a bare HTTP/2
//! preface) or keep a connection idle to hold a descriptor.
//!
//! hyper's own deadline covers HTTP/1 headers only, and an idle HTTP/1 connection with them;
//! not the wait before the first byte, the protocol sniffing of `auto` connections, or an
//! HTTP/2 connection with no stream. So each accepted socket is watched here, whatever the
//! protocol, and this is the one place a connection's deadlines are kept: with no request in
//! flight it is closed once its deadline passes (the first request's headers, counted from the
//! accept; then the next request's, counted from the end of each answer), so headers sent a
//! byte at a time are cut off too. A connection past the cap is closed at once rather than
//! queued, so the process never runs out of descriptors.
//!
//! A request that arrives just as its connection's deadline passes may find it closed, as any
//! HTTP keep-alive connection may be: clients try such a request again on a new connection.

use std::io;
use std::num::NonZeroUsize;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::settings::ConnectionRules;

/// Descriptors kept back from the connection cap for everything else the process opens: the
/// database's connections and files, the broker client's sockets, the listener.
const RESERVED_DESCRIPTORS: u64 = 64;

/// `rules` as this process can hold them: raises the soft descriptor limit to the hard one, then
/// keeps the cap below it, with some descriptors to spare for everything else.
pub fn within_descriptor_limit(mut rules: ConnectionRules) -> ConnectionRules {
    let limit = raise_descriptor_limit();
    let room = usize::try_from(limit.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX);
    let room = NonZeroUsize::new(room).unwrap_or(NonZeroUsize::MIN);
    rules.max_connections = rules.max_connections.min(room);
    rules
}

/// Raises the soft limit of open descriptors to the hard limit, and says the soft limit now.
pub fn raise_descriptor_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "could not raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

/// The acceptor (`axum_server::accept::Accept`) that admits and watches each connection.
#[derive(Debug, Clone)]
pub(crate) struct Watch {
    rules: ConnectionRules,
    slots: Arc<Semaphore>,
}

impl Watch {
    pub(crate) fn new(rules: ConnectionRules) -> Self {
        Self {
            rules,
            slots: Arc::new(Semaphore::new(rules.max_connections.get())),
        }
    }
}

impl<S> axum_server::accept::Accept<tokio::net::TcpStream, S> for Watch {
    type Stream = Watched<tokio::net::TcpStream>;
    type Service = Counted<S>;
    type Future = std::future::Ready<io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() else {
            tracing::warn!(
                max_connections = self.rules.max_connections,
                "a connection past the cap was closed"
            );
            return std::future::ready(Err(io::Error::other("the connection cap is reached")));
        };
        let activity = Arc::new(Activity::new(self.rules));
        let watched = Watched {
            inner: stream,
            check: Box::pin(tokio::time::sleep(self.rules.first_request)),
            activity: Arc::clone(&activity),
            _slot: slot,
        };
        std::future::ready(Ok((
            watched,
            Counted {
                inner: service,
                activity,
            },
        )))
    }
}

/// What a connection is doing: requests in flight, and when it is to close if none is.
#[derive(Debug)]
struct Activity {
    origin: Instant,
    idle: Duration,
    in_flight: AtomicUsize,
    /// Milliseconds after `origin`.
    close_at_ms: AtomicU64,
}

impl Activity {
    fn new(rules: ConnectionRules) -> Self {
        Self {
            origin: Instant::now(),
            idle: rules.idle,
            in_flight: AtomicUsize::new(0),
            close_at_ms: AtomicU64::new(millis(rules.first_request)),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(self))
    }

    /// When an idle connection closes; `None` while a request is in flight.
    fn close_at(&self) -> Option<Instant> {
        (self.in_flight.load(Ordering::SeqCst) == 0)
            .then(|| self.origin + Duration::from_millis(self.close_at_ms.load(Ordering::SeqCst)))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A request in flight, until its answer's body is sent or dropped.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        let close_at = activity.origin.elapsed() + activity.idle;
        activity
            .close_at_ms
            .store(millis(close_at), Ordering::SeqCst);
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A socket that fails its reads once it has sat past its deadline with no request in flight,
/// which ends the connection whatever protocol hyper is speaking on it (or sniffing for).
pub(crate) struct Watched<S> {
    inner: S,
    check: Pin<Box<Sleep>>,
    activity: Arc<Activity>,
    /// The connection's place under the cap, given back when the socket is dropped.
    _slot: OwnedSemaphorePermit,
}

impl<S> Watched<S> {
    /// `Ready` once the connection is to close; otherwise the next check is set.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let now = Instant::now();
            match self.activity.close_at() {
                Some(close_at) if close_at <= now => return Poll::Ready(()),
                Some(close_at) => self.check.as_mut().reset(close_at),
                // A request is in flight: look again after an idle time.
                None => self.check.as_mut().reset(now + self.activity.idle),
            }
            ready!(self.check.as_mut().poll(cx));
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Poll::Ready(read) = Pin::new(&mut this.inner).poll_read(cx, buf) {
            return Poll::Ready(read);
        }
        ready!(this.poll_deadline(cx));
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the connection sat idle past its deadline",
        )))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The connection's service, counting each request in flight until its answer is sent.
#[derive(Clone)]
pub(crate) struct Counted<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S, B> tower::Service<Request<B>> for Counted<S>
where
    S: tower::Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let in_flight = self.activity.begin();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            Ok(response.map(|body| {
                Body::new(Held {
                    body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// An answer's body, holding its request in flight until it is sent or dropped.
struct Held {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for Held {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};

    use super::*;

    fn watched<S>(inner: S) -> Watched<S> {
        let rules = ConnectionRules::default();
        Watched {
            inner,
            check: Box::pin(tokio::time::sleep(rules.first_request)),
            activity: Arc::new(Activity::new(rules)),
            _slot: Arc::new(Semaphore::new(1)).try_acquire_owned().unwrap(),
        }
    }

    /// A socket watched over a buffered pipe: what is written arrives when flushed, and the far
    /// end reads the end once the watched one shuts down.
    #[tokio::test]
    async fn a_watched_socket_passes_writes_flushes_and_its_shutdown_through() {
        let (near, mut far) = tokio::io::duplex(64);
        let mut watched = watched(BufWriter::new(near));
        watched.write_all(b"hello").await.unwrap();
        watched.flush().await.unwrap();
        let mut got = [0u8; 5];
        tokio::time::timeout(Duration::from_secs(5), far.read_exact(&mut got))
            .await
            .expect("a flushed write arrives")
            .unwrap();
        assert_eq!(&got, b"hello");
        watched.shutdown().await.unwrap();
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), far.read_to_end(&mut rest))
            .await
            .expect("the far end reads the end after a shutdown")
            .unwrap();
        assert!(rest.is_empty());
    }

    /// hyper writes vectored only where the socket can.
    #[tokio::test]
    async fn a_watched_socket_writes_vectored_as_its_socket_does() {
        /// A socket that takes one buffer at a time.
        struct OneAtATime;
        impl AsyncWrite for OneAtATime {
            fn poll_write(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                Poll::Ready(Ok(buf.len()))
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
        assert!(!watched(OneAtATime).is_write_vectored());
        let (near, _far) = tokio::io::duplex(64);
        assert!(watched(near).is_write_vectored());
    }

    /// With a request in flight a read waits, and the next look at the deadline is an idle time
    /// ahead, not a spin.
    #[tokio::test]
    async fn a_read_with_a_request_in_flight_waits_and_looks_again_an_idle_time_on() {
        let (near, _far) = tokio::io::duplex(64);
        let mut socket = watched(near);
        let _in_flight = socket.activity.begin();
        let asked = Instant::now();
        let mut buffer = [0u8; 8];
        let polled = std::future::poll_fn(|cx| {
            let mut read = ReadBuf::new(&mut buffer);
            Poll::Ready(Pin::new(&mut socket).poll_read(cx, &mut read).is_pending())
        })
        .await;
        assert!(polled, "a read with a request in flight waits");
        assert!(socket.check.deadline() >= asked + socket.activity.idle);
    }

    /// The answer's body through `Held` tells hyper what the body itself tells: its length (so
    /// HTTP/1 sends `Content-Length`, not chunks) and whether it is already over.
    #[tokio::test]
    async fn a_held_body_tells_its_size_and_its_end() {
        let activity = Arc::new(Activity::new(ConnectionRules::default()));
        let held = |body: Body| Held {
            body,
            _in_flight: activity.begin(),
        };
        use http_body::Body as _;
        let hello = held(Body::from("hello"));
        assert_eq!(hello.size_hint().exact(), Some(5));
        assert!(!hello.is_end_stream());
        assert!(held(Body::empty()).is_end_stream());
    }

    /// The counted service is ready when the service it counts for is, and not before.
    #[tokio::test]
    async fn a_counted_service_is_ready_when_its_service_is() {
        #[derive(Clone)]
        struct NotYet;
        impl tower::Service<Request<Body>> for NotYet {
            type Response = Response<Body>;
            type Error = std::convert::Infallible;
            type Future = std::future::Ready<Result<Response<Body>, Self::Error>>;
            fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
                Poll::Pending
            }
            fn call(&mut self, _: Request<Body>) -> Self::Future {
                std::future::ready(Ok(Response::new(Body::empty())))
            }
        }
        let mut counted = Counted {
            inner: NotYet,
            activity: Arc::new(Activity::new(ConnectionRules::default())),
        };
        let ready = std::future::poll_fn(|cx| {
            Poll::Ready(tower::Service::<Request<Body>>::poll_ready(&mut counted, cx).is_pending())
        })
        .await;
        assert!(ready, "not ready while the service it counts for is not");
    }
}
