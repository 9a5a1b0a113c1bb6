//! TLS for client connections (rustls with the ring provider): the server certificate, and a client
//! stream that starts in plaintext and is upgraded in place after an SSLRequest.
//!
//! Without `--tls-cert/--tls-key` the server uses a self-signed certificate for `localhost`, generated on
//! first start into the data directory (`server.crt`, `server.key`) and reused afterwards, or kept in memory
//! for an in-memory database. Clients connect with `sslmode=require` (which does not verify the
//! certificate), as they do against DSQL.

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
pub use tokio_rustls::TlsAcceptor;

/// File names of the generated certificate and key inside the data directory.
pub const CERT_FILE: &str = "server.crt";
pub const KEY_FILE: &str = "server.key";

/// The server's TLS setup: the acceptor, and the certificate's `tls-server-end-point` channel-binding
/// data for SCRAM-SHA-256-PLUS (`None` when RFC 5929 defines none for its signature algorithm).
#[derive(Clone)]
pub struct ServerTls {
    pub acceptor: TlsAcceptor,
    pub tls_server_end_point: Option<Vec<u8>>,
}

/// A server TLS setup from PEM text (a certificate chain and its private key).
pub fn acceptor_from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<ServerTls, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|err| format!("invalid certificate: {err}"))?;
    if certs.is_empty() {
        return Err("invalid certificate: no PEM certificate found".into());
    }
    let tls_server_end_point = tls_server_end_point(&certs[0]);
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| format!("invalid private key: {err}"))?;
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|err| format!("TLS setup failed: {err}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| format!("TLS setup failed: {err}"))?;
    Ok(ServerTls { acceptor: TlsAcceptor::from(Arc::new(config)), tls_server_end_point })
}

/// RFC 5929's `tls-server-end-point`: the certificate hashed with the hash of its signature algorithm
/// (SHA-256 for MD5 and SHA-1), as PostgreSQL computes it. `None` for algorithms without one (Ed25519,
/// RSA-PSS): SCRAM-SHA-256-PLUS is then not offered.
pub fn tls_server_end_point(cert: &CertificateDer<'_>) -> Option<Vec<u8>> {
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA_SHA2: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
    const ECDSA_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01];
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm SEQUENCE { OID, ... }, signature }
    let (_, certificate, _) = der_element(cert.as_ref(), 0x30)?;
    let (_, _, rest) = der_element(certificate, 0x30)?;
    let (_, algorithm, _) = der_element(rest, 0x30)?;
    let (_, oid, _) = der_element(algorithm, 0x06)?;
    let hash = match oid {
        _ if oid == ECDSA_SHA1 => &ring::digest::SHA256,
        [prefix @ .., last] if prefix == RSA => match last {
            0x04 | 0x05 | 0x0b => &ring::digest::SHA256,
            0x0c => &ring::digest::SHA384,
            0x0d => &ring::digest::SHA512,
            _ => return None,
        },
        [prefix @ .., last] if prefix == ECDSA_SHA2 => match last {
            0x02 => &ring::digest::SHA256,
            0x03 => &ring::digest::SHA384,
            0x04 => &ring::digest::SHA512,
            _ => return None,
        },
        _ => return None,
    };
    Some(ring::digest::digest(hash, cert.as_ref()).as_ref().to_vec())
}

/// One DER element with the expected tag: (tag, contents, the bytes after it).
fn der_element(input: &[u8], tag: u8) -> Option<(u8, &[u8], &[u8])> {
    let (&found, rest) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count].iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);
        (len, &rest[count..])
    };
    (rest.len() >= len).then(|| (found, &rest[..len], &rest[len..]))
}

/// A fresh self-signed certificate for `localhost`, 127.0.0.1 and ::1, as (certificate PEM, key PEM).
pub fn self_signed_pem() -> Result<(String, String), String> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|err| format!("cannot generate a certificate: {err}"))?;
    Ok((certified.cert.pem(), certified.key_pair.serialize_pem()))
}

/// The server's TLS setup: the given certificate and key files; else `server.crt`/`server.key` in
/// `data_dir`, generated there on first start; else (in memory) a certificate generated for this run.
pub fn load_or_generate(cert_and_key: Option<(&Path, &Path)>, data_dir: Option<&Path>) -> Result<ServerTls, String> {
    let read = |path: &Path| std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()));
    if let Some((cert, key)) = cert_and_key {
        return acceptor_from_pem(&read(cert)?, &read(key)?);
    }
    let Some(dir) = data_dir else {
        let (cert, key) = self_signed_pem()?;
        return acceptor_from_pem(cert.as_bytes(), key.as_bytes());
    };
    let (cert_path, key_path) = (dir.join(CERT_FILE), dir.join(KEY_FILE));
    if cert_path.exists() && key_path.exists() {
        return acceptor_from_pem(&read(&cert_path)?, &read(&key_path)?);
    }
    let (cert, key) = self_signed_pem()?;
    write_private(&key_path, key.as_bytes())?;
    std::fs::write(&cert_path, cert.as_bytes())
        .map_err(|err| format!("cannot write {}: {err}", cert_path.display()))?;
    acceptor_from_pem(cert.as_bytes(), key.as_bytes())
}

/// Writes a file readable only by its owner (a private key).
fn write_private(path: &Path, contents: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    file.write_all(contents).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

/// A client socket, in plaintext until an SSLRequest upgrades it.
pub enum ClientStream<T> {
    Plain(T),
    Tls(Box<TlsStream<T>>),
    /// Only while the handshake runs (the plain stream has moved into it); a failed handshake leaves it.
    Upgrading,
}

impl<T: AsyncRead + AsyncWrite + Unpin> ClientStream<T> {
    pub fn is_tls(&self) -> bool {
        matches!(self, ClientStream::Tls(_))
    }

    /// Runs the server side of the TLS handshake on the plain stream.
    pub async fn upgrade(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        let ClientStream::Plain(plain) = std::mem::replace(self, ClientStream::Upgrading) else {
            return Err(io::Error::other("the connection is already encrypted"));
        };
        *self = ClientStream::Tls(Box::new(acceptor.accept(plain).await?));
        Ok(())
    }
}

fn not_connected() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "TLS handshake failed")
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncRead for ClientStream<T> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ClientStream::Plain(stream) => Pin::new(stream).poll_read(cx, buf),
            ClientStream::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
            ClientStream::Upgrading => Poll::Ready(Err(not_connected())),
        }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ClientStream<T> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ClientStream::Plain(stream) => Pin::new(stream).poll_write(cx, buf),
            ClientStream::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
            ClientStream::Upgrading => Poll::Ready(Err(not_connected())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ClientStream::Plain(stream) => Pin::new(stream).poll_flush(cx),
            ClientStream::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
            ClientStream::Upgrading => Poll::Ready(Ok(())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ClientStream::Plain(stream) => Pin::new(stream).poll_shutdown(cx),
            ClientStream::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
            ClientStream::Upgrading => Poll::Ready(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(algorithm: &'static rcgen::SignatureAlgorithm) -> CertificateDer<'static> {
        let key = rcgen::KeyPair::generate_for(algorithm).expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
        params.self_signed(&key).expect("certificate").der().clone()
    }

    #[test]
    fn end_point_hash_follows_the_signature_algorithm() {
        let p256 = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);
        let hash = tls_server_end_point(&p256).expect("ECDSA P-256 / SHA-256");
        assert_eq!(hash, ring::digest::digest(&ring::digest::SHA256, p256.as_ref()).as_ref());
        let p384 = certificate(&rcgen::PKCS_ECDSA_P384_SHA384);
        assert_eq!(tls_server_end_point(&p384).expect("SHA-384").len(), 48);
        assert_eq!(tls_server_end_point(&certificate(&rcgen::PKCS_ED25519)), None);
    }

    #[test]
    fn generated_certificate_offers_channel_binding() {
        let (cert, key) = self_signed_pem().expect("certificate");
        let tls = acceptor_from_pem(cert.as_bytes(), key.as_bytes()).expect("acceptor");
        assert_eq!(tls.tls_server_end_point.map(|hash| hash.len()), Some(32));
    }
}
