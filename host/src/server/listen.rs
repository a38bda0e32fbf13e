//! Listening sockets: bound before anything says "serving", and accepted
//! under limits that no client can exhaust.
//!
//! tonic's own accept loop retries a failed `accept` at once, so a process
//! out of file handles (EMFILE) spins on it, and it keeps every connection
//! for as long as the client likes. Here connections are accepted on a task
//! of their own: at most `max_connections` at once (beyond that, clients
//! wait in the kernel's backlog and cost no handle), with a growing pause
//! after an `accept` that failed for lack of resources (as Go's net/http
//! does), and each connection is closed after `idle_timeout` without a byte
//! either way.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::{Instant, Sleep};
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::{Connected, TcpConnectInfo};

/// An address that could not be listened on.
#[derive(Debug)]
pub struct BindError {
    /// The flag that gave the address, such as `--address`.
    pub flag: &'static str,
    pub address: String,
    pub source: io::Error,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (from {})", self.address, os_reason(&self.source), self.flag)
    }
}

/// The operating system's reason without Rust's `(os error 98)`, which
/// tells a reader nothing more: "address already in use".
pub fn os_reason(error: &io::Error) -> String {
    let text = error.to_string();
    let reason = text.split(" (os error").next().unwrap_or(&text);
    let mut characters = reason.chars();
    characters.next().map(|first| first.to_lowercase().chain(characters).collect()).unwrap_or_default()
}

/// Binds `address` (`host:port`, or `:port` for every interface as in Go
/// and the SDK's `:8080`), naming `flag` when it fails.
pub async fn bind(address: &str, flag: &'static str) -> Result<TcpListener, BindError> {
    let full = if address.starts_with(':') { format!("0.0.0.0{address}") } else { address.to_owned() };
    TcpListener::bind(&full).await.map_err(|source| BindError { flag, address: address.to_owned(), source })
}

/// What one listener admits.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// A connection without a byte read or written for this long is closed.
    pub idle_timeout: Duration,
}

/// The first pause after an `accept` that failed for lack of resources,
/// doubled on each failure in a row up to [`MAX_ACCEPT_PAUSE`].
const FIRST_ACCEPT_PAUSE: Duration = Duration::from_millis(5);
const MAX_ACCEPT_PAUSE: Duration = Duration::from_secs(1);

/// The connections `listener` accepts under `limits`, as a stream for
/// tonic's `serve_with_incoming`. It yields no errors: those are handled
/// here. Dropping the stream stops accepting and closes the listener.
pub fn incoming(listener: TcpListener, limits: ConnectionLimits) -> ReceiverStream<io::Result<Connection>> {
    let (sender, receiver) = mpsc::channel(1);
    tokio::spawn(accept_connections(listener, limits, sender));
    ReceiverStream::new(receiver)
}

async fn accept_connections(
    listener: TcpListener,
    limits: ConnectionLimits,
    sender: mpsc::Sender<io::Result<Connection>>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            () = sender.closed() => return,
        };
        let stream = tokio::select! {
            stream = accept_one(&listener) => stream,
            () = sender.closed() => return,
        };
        // Small responses go out at once rather than after Nagle's delay.
        let _ = stream.set_nodelay(true);
        if sender.send(Ok(Connection::new(stream, slot, limits.idle_timeout))).await.is_err() {
            return;
        }
    }
}

/// The next connection, pausing after failures that say the process or
/// the machine is short of something, so that it does not spin.
async fn accept_one(listener: &TcpListener) -> TcpStream {
    let mut pause = FIRST_ACCEPT_PAUSE;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return stream,
            // The client left between its handshake and this accept.
            Err(error) if is_the_client_s(&error) => {}
            Err(error) => {
                if pause == FIRST_ACCEPT_PAUSE {
                    tracing::warn!(
                        error = os_reason(&error),
                        "cannot accept a connection; pausing, longer each time it fails again"
                    );
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_ACCEPT_PAUSE);
            }
        }
    }
}

fn is_the_client_s(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset | io::ErrorKind::Interrupted
    )
}

/// An accepted connection: holds its slot under `max_connections` until it
/// is dropped, and fails its reads and writes with `TimedOut` once it has
/// been idle too long, which closes it.
///
/// Each read or write only notes the time; the timer is moved on when it
/// fires early, rather than re-armed on every read and write of a busy
/// connection.
pub struct Connection {
    stream: TcpStream,
    _slot: OwnedSemaphorePermit,
    idle_timeout: Duration,
    last_active: Instant,
    idle_check: Pin<Box<Sleep>>,
}

impl Connection {
    fn new(stream: TcpStream, slot: OwnedSemaphorePermit, idle_timeout: Duration) -> Self {
        let last_active = Instant::now();
        let idle_check = Box::pin(tokio::time::sleep_until(last_active + idle_timeout));
        Self { stream, _slot: slot, idle_timeout, last_active, idle_check }
    }

    fn active(&mut self) {
        self.last_active = Instant::now();
    }

    /// For an operation that is pending: `TimedOut` once the connection
    /// has been idle too long (the timer then wakes this task).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            if self.idle_check.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let idle_until = self.last_active + self.idle_timeout;
            if idle_until <= Instant::now() {
                return Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "the connection was idle too long"));
            }
            // Active since the timer was set: check again when it could
            // next have been idle long enough.
            self.idle_check.as_mut().reset(idle_until);
        }
    }
}

impl AsyncRead for Connection {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(read) => {
                if buf.filled().len() > before {
                    this.active();
                }
                Poll::Ready(read)
            }
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.stream).poll_write(cx, buf) {
            Poll::Ready(written) => {
                if matches!(written, Ok(count) if count > 0) {
                    this.active();
                }
                Poll::Ready(written)
            }
            // A client that stops reading is as idle as one that stops writing.
            Poll::Pending => this.poll_idle(cx).map(Err),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> TcpConnectInfo {
        self.stream.connect_info()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_is_the_operating_system_s_without_its_number() {
        let error = io::Error::from_raw_os_error(98);
        assert_eq!(os_reason(&error), "address already in use");
    }

    #[tokio::test]
    async fn a_port_in_use_names_the_address_the_flag_and_the_reason() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = taken.local_addr().unwrap().to_string();
        let error = bind(&address, "--address").await.unwrap_err();
        assert_eq!(error.to_string(), format!("{address}: address already in use (from --address)"));
    }

    #[tokio::test]
    async fn a_silent_connection_is_closed_after_the_idle_timeout() {
        use tokio::io::AsyncReadExt;
        use tokio_stream::StreamExt;

        let listener = bind("127.0.0.1:0", "--address").await.unwrap();
        let address = listener.local_addr().unwrap();
        let limits = ConnectionLimits { max_connections: 4, idle_timeout: Duration::from_millis(200) };
        let mut connections = incoming(listener, limits);
        // Before the connection exists, so a slow test thread cannot make
        // the idle time look shorter than it was.
        let started = std::time::Instant::now();
        let _client = TcpStream::connect(address).await.unwrap();
        let mut connection = connections.next().await.unwrap().unwrap();
        let error = connection.read(&mut [0; 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(200), "closed early: {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn activity_moves_the_idle_deadline_on() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        use tokio_stream::StreamExt;

        let listener = bind("127.0.0.1:0", "--address").await.unwrap();
        let address = listener.local_addr().unwrap();
        let limits = ConnectionLimits { max_connections: 4, idle_timeout: Duration::from_millis(300) };
        let mut connections = incoming(listener, limits);
        let mut client = TcpStream::connect(address).await.unwrap();
        let mut connection = connections.next().await.unwrap().unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        client.write_all(b"x").await.unwrap();
        let spoke = std::time::Instant::now();
        assert_eq!(connection.read(&mut [0; 16]).await.unwrap(), 1);
        let error = connection.read(&mut [0; 16]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(spoke.elapsed() >= Duration::from_millis(250), "closed at the first deadline: {:?}", spoke.elapsed());
    }

    #[tokio::test]
    async fn beyond_the_limit_a_client_waits_until_a_connection_closes() {
        use tokio_stream::StreamExt;

        let listener = bind("127.0.0.1:0", "--address").await.unwrap();
        let address = listener.local_addr().unwrap();
        let limits = ConnectionLimits { max_connections: 1, idle_timeout: Duration::from_secs(60) };
        let mut connections = incoming(listener, limits);
        let _first_client = TcpStream::connect(address).await.unwrap();
        let first = connections.next().await.unwrap().unwrap();
        let _second_client = TcpStream::connect(address).await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(200), connections.next()).await;
        assert!(waiting.is_err(), "a second connection was accepted beyond the limit");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), connections.next()).await;
        assert!(matches!(second, Ok(Some(Ok(_)))), "the waiting client was not accepted after the first left");
    }
}
