// The server's TLS identity (http.tls_certificate, http.tls_key): PEM files
// loaded through GIO's TLS backend, which is what libsoup serves HTTPS and
// WSS with. The backend is glib-networking's GnuTLS one; GnuTLS itself is
// asked whether the key belongs to the certificate, since GIO does not check
// it and a mismatch would otherwise only show as failed handshakes.
//
// Checked once with the rest of the configuration (load_everything, so that
// --check-config finds a bad file too) and loaded by HttpServer::start.
#pragma once

#include <gio/gio.h>

#include <string>

#include "base/glib_ptr.h"
#include "core/config.h"
#include "core/errors.h"

namespace mixcast {

// Why the files did not load: the field to blame and a message naming the file.
struct TlsLoadError {
  std::string field;    // "http.tls_certificate" or "http.tls_key"
  std::string message;  // "cannot load /etc/mixcast/key.pem: No PEM-encoded private key found"
};

// The certificate (with its chain, if the file has one) and its private key
// from `http`'s files; nullptr with `error` set when they cannot be used.
GObjectPtr<GTlsCertificate> load_tls_certificate(const HttpConfig& http, TlsLoadError& error);

// With TLS configured: an issue at the field's place in the config file when
// the files do not load. Nothing without TLS.
void check_tls_files(const Config& config, IssueList& issues);

}  // namespace mixcast
