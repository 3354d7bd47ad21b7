//! TLS for `synthgate serve --tls-cert FILE --tls-key FILE`: a terminator in front of the HTTP
//! server. Each accepted connection gets a rustls session (TLS 1.2 and 1.3, the ring provider,
//! the certificate chain and key from PEM files) and its decrypted bytes go to the HTTP server
//! on a loopback port of its own, and back. The review page's WebCrypto signing needs such a
//! secure context anywhere but loopback, so only with TLS does the service listen beyond it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use synthgate_core::{Error, Location, Result};

/// The certificate chain and private key, as PEM files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain (PEM; the server's certificate first).
    pub cert: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// A server configuration from `files`, or what is wrong with them (the file named).
pub(crate) fn config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>> {
    let unreadable = |path: &Path, what: &str, error: String| {
        Error::usage(format!("--tls-{what}: {error}.")).at(Location::file(path))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| unreadable(&files.cert, "cert", e.to_string()))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| unreadable(&files.cert, "cert", e.to_string()))?;
    if certs.is_empty() {
        return Err(unreadable(
            &files.cert,
            "cert",
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in the file".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| {
        unreadable(
            &files.key,
            "key",
            format!("no PEM private key read ({e}); PKCS#8, PKCS#1 and SEC1 keys are accepted"),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS protocol versions: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::usage(format!(
                "--tls-cert and --tls-key do not make a usable pair: {e}."
            ))
            .at(Location::file(&files.key))
        })?;
    Ok(Arc::new(config))
}

/// Accept TLS connections on `listener` for ever, each piped to the HTTP server at `inner`.
pub(crate) fn terminate(
    listener: TcpListener,
    inner: SocketAddr,
    config: Arc<rustls::ServerConfig>,
) {
    for stream in listener.incoming().flatten() {
        let config = config.clone();
        std::thread::spawn(move || {
            let _ = pipe(stream, inner, config);
        });
    }
}

type Shared = Arc<Mutex<(rustls::ServerConnection, TcpStream)>>;

/// The client's direction: TLS records in, their plaintext to the HTTP server (written after
/// the session's lock is released, so a slow HTTP server never holds up the other direction).
fn decrypt(mut client: TcpStream, mut server: &TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = client.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        let mut plain = Vec::new();
        let closed = {
            let mut guard = shared.lock().map_err(|_| std::io::Error::other("lock"))?;
            let (session, socket) = &mut *guard;
            let mut incoming = &buffer[..read];
            let mut closed = false;
            while !incoming.is_empty() {
                session.read_tls(&mut incoming)?;
                let state = session
                    .process_new_packets()
                    .map_err(std::io::Error::other)?;
                let start = plain.len();
                plain.resize(start + state.plaintext_bytes_to_read(), 0);
                session.reader().read_exact(&mut plain[start..])?;
                closed |= state.peer_has_closed();
            }
            while session.wants_write() {
                session.write_tls(socket)?;
            }
            closed
        };
        server.write_all(&plain)?;
        if closed {
            return Ok(());
        }
    }
}

/// One connection: the TLS session and the client's socket behind one lock, a thread reading
/// the client (decrypting into the HTTP server) and this one reading the HTTP server
/// (encrypting to the client).
fn pipe(
    client: TcpStream,
    inner: SocketAddr,
    config: Arc<rustls::ServerConfig>,
) -> std::io::Result<()> {
    let _ = client.set_nodelay(true);
    let session = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let server = TcpStream::connect(inner)?;
    let _ = server.set_nodelay(true);
    let shared = Arc::new(Mutex::new((session, client.try_clone()?)));
    let reader = {
        let (shared, server) = (shared.clone(), server.try_clone()?);
        std::thread::spawn(move || {
            let result = decrypt(client, &server, &shared);
            // However the client's side ended, the HTTP server's connection ends with it, so
            // the other direction's read returns.
            let _ = server.shutdown(Shutdown::Both);
            result
        })
    };
    let mut server = server;
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = server.read(&mut buffer).unwrap_or(0);
        let mut guard = shared.lock().map_err(|_| std::io::Error::other("lock"))?;
        let (session, socket) = &mut *guard;
        if read == 0 {
            session.send_close_notify();
        } else {
            session.writer().write_all(&buffer[..read])?;
        }
        while session.wants_write() {
            session.write_tls(socket)?;
        }
        if read == 0 {
            let _ = socket.shutdown(Shutdown::Both);
            break;
        }
    }
    let _ = reader.join();
    Ok(())
}
