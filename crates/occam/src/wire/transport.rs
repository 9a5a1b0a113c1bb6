//! Message framing on one client socket: read whole frames, validate their lengths, decode them with
//! pgwire, and buffer outgoing messages until a flush.
//!
//! Frames are cut here, before pgwire sees them, so a hostile length (negative, under 4, over 1 GiB) is
//! refused without buffering, and each frame is decoded in isolation: pgwire's decoders read with `bytes`
//! getters that panic on a truncated body, so a lying frame can only fail its own decode (caught and turned
//! into a protocol error), never read into the next message.

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};

use bytes::{Buf, BytesMut};
use pgwire::messages::{DecodeContext, PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::Error;

/// PostgreSQL's limit for messages that carry SQL or data (`PQ_LARGE_MESSAGE_LIMIT`, 1 GiB - 2).
pub const LARGE_MESSAGE_LIMIT: usize = 0x3fff_ffff - 1;
/// PostgreSQL's limit for every other message (`PQ_SMALL_MESSAGE_LIMIT`).
pub const SMALL_MESSAGE_LIMIT: usize = 10_000;
/// The startup, SSL, GSS and cancel packets (`MAX_STARTUP_PACKET_LENGTH`).
pub const STARTUP_PACKET_LIMIT: usize = 10_000;
/// Buffered output beyond this is written out even before a flush point, so a big result streams.
pub const WRITE_HIGH_WATER: usize = 64 * 1024;

/// Why a connection ends.
#[derive(Debug)]
pub enum Disconnect {
    /// The client went away (EOF, reset) or sent Terminate: nothing more to say to it.
    Closed(Option<io::Error>),
    /// A FATAL error to report to the client before closing.
    Fatal(Error),
}

impl From<io::Error> for Disconnect {
    fn from(err: io::Error) -> Self {
        Disconnect::Closed(Some(err))
    }
}

/// The message-type bytes whose payload may be large (SQL text, parameter values, COPY data, auth data).
fn message_limit(tag: u8) -> usize {
    match tag {
        b'Q' | b'P' | b'B' | b'd' | b'p' | b'f' => LARGE_MESSAGE_LIMIT,
        _ => SMALL_MESSAGE_LIMIT,
    }
}

/// A client socket with its read and write buffers.
pub struct Transport<S> {
    stream: S,
    read_buf: BytesMut,
    write_buf: BytesMut,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Transport<S> {
    pub fn new(stream: S) -> Self {
        Transport { stream, read_buf: BytesMut::with_capacity(8192), write_buf: BytesMut::with_capacity(8192) }
    }

    /// The socket itself (to upgrade it to TLS).
    pub fn stream_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Whether bytes the client sent are buffered but not yet consumed.
    pub fn has_buffered_input(&self) -> bool {
        !self.read_buf.is_empty()
    }

    /// Reads until at least `needed` bytes are buffered. `Ok(false)` on EOF with nothing buffered (a clean
    /// hang-up between messages); EOF inside a message is an error.
    async fn fill(&mut self, needed: usize) -> Result<bool, Disconnect> {
        while self.read_buf.len() < needed {
            // Grow in steps so a declared-but-never-sent huge message does not reserve its size up front.
            let missing = needed - self.read_buf.len();
            self.read_buf.reserve(missing.clamp(8192, 1 << 20));
            let read = self.stream.read_buf(&mut self.read_buf).await?;
            if read == 0 {
                if self.read_buf.is_empty() {
                    return Ok(false);
                }
                return Err(Disconnect::Closed(Some(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected EOF on client connection",
                ))));
            }
        }
        Ok(true)
    }

    /// Reads one untyped startup-phase packet (startup, SSLRequest, GSSENCRequest or CancelRequest),
    /// returned whole, length word included. `None` if the client hung up.
    pub async fn read_startup_packet(&mut self) -> Result<Option<BytesMut>, Disconnect> {
        if !self.fill(4).await? {
            return Ok(None);
        }
        let len = (&self.read_buf[..4]).get_i32();
        if len < 8 || len as usize > STARTUP_PACKET_LIMIT {
            return Err(Disconnect::Fatal(Error::protocol("invalid length of startup packet")));
        }
        if !self.fill(len as usize).await? {
            return Ok(None);
        }
        Ok(Some(self.read_buf.split_to(len as usize)))
    }

    /// Reads one typed message frame (type byte, length, body). `None` if the client hung up.
    pub async fn read_frame(&mut self) -> Result<Option<BytesMut>, Disconnect> {
        if !self.fill(5).await? {
            return Ok(None);
        }
        let tag = self.read_buf[0];
        let len = (&self.read_buf[1..5]).get_i32();
        if len < 4 || len as usize > message_limit(tag) {
            return Err(Disconnect::Fatal(Error::protocol(format!(
                "invalid message length {len} for message type \"{}\"",
                tag.escape_ascii()
            ))));
        }
        let total = 1 + len as usize;
        if !self.fill(total).await? {
            return Ok(None);
        }
        Ok(Some(self.read_buf.split_to(total)))
    }

    /// Queues a message. A message pgwire refuses to encode (over its size limits) becomes an error
    /// instead of half a message on the wire.
    pub fn send(&mut self, message: PgWireBackendMessage) -> Result<(), Error> {
        let mark = self.write_buf.len();
        message.encode(&mut self.write_buf).map_err(|err| {
            self.write_buf.truncate(mark);
            Error::internal(format!("cannot encode protocol message: {err}"))
        })
    }

    /// Queues raw bytes (the one-byte SSL refusal has no message frame).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.write_buf.extend_from_slice(bytes);
    }

    /// Writes out everything queued.
    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.write_buf.is_empty() {
            self.stream.write_all(&self.write_buf).await?;
            self.write_buf.clear();
        }
        self.stream.flush().await
    }

    /// Writes out the queue if it has grown large (while streaming rows).
    pub async fn flush_if_full(&mut self) -> io::Result<()> {
        if self.write_buf.len() >= WRITE_HIGH_WATER {
            self.flush().await?;
        }
        Ok(())
    }

    /// Closes the write side after flushing.
    pub async fn shutdown(&mut self) {
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
    }
}

/// A decode context for protocol 3.0 in the given phase.
pub fn decode_context(startup_phase: bool) -> DecodeContext {
    let mut ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
    ctx.awaiting_frontend_ssl = false;
    ctx.awaiting_frontend_startup = startup_phase;
    ctx
}

thread_local! {
    /// Set while [`decode_isolated`] runs a pgwire decoder on this thread.
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside [`decode_isolated`], which contains a decoder's panic by design: panic
/// hooks (the fuzzing drivers' in `crate::fuzz_targets`) tell such a panic from a bug this way.
pub fn in_isolated_decoder() -> bool {
    DECODING.with(|decoding| decoding.get())
}

/// Runs a pgwire decoder on one complete frame; malformed contents (including a decoder panic on a
/// truncated body, which pgwire's decoders do not all check) become a protocol error.
pub fn decode_isolated<T>(
    mut frame: BytesMut,
    decode: impl FnOnce(&mut BytesMut) -> pgwire::error::PgWireResult<Option<T>>,
) -> Result<T, Error> {
    DECODING.with(|decoding| decoding.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| decode(&mut frame)));
    DECODING.with(|decoding| decoding.set(false));
    match outcome {
        Ok(Ok(Some(message))) => Ok(message),
        Ok(Ok(None)) => Err(Error::protocol("incomplete message")),
        Ok(Err(err)) => Err(Error::protocol(format!("invalid message format: {err}"))),
        Err(_) => Err(Error::protocol("invalid message format")),
    }
}

/// Decodes one typed frontend message frame.
pub fn decode_frontend(frame: BytesMut) -> Result<PgWireFrontendMessage, Error> {
    let ctx = decode_context(false);
    decode_isolated(frame, |buf| PgWireFrontendMessage::decode(buf, &ctx))
}
