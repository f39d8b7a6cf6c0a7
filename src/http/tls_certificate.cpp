#include "http/tls_certificate.h"

#include <gnutls/gnutls.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <type_traits>

namespace mixcast {

namespace {

constexpr const char* kCertificateField = "http.tls_certificate";
constexpr const char* kKeyField = "http.tls_key";

// Empty when `path` is a regular file that opens for reading, else why not.
std::string unreadable(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return "no such file";
  if (!std::filesystem::is_regular_file(status)) return "not a regular file";
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!in) return std::strerror(errno != 0 ? errno : EACCES);
  return "";
}

struct CredentialsFree {
  void operator()(gnutls_certificate_credentials_t c) const {
    gnutls_certificate_free_credentials(c);
  }
};
using Credentials =
    std::unique_ptr<std::remove_pointer_t<gnutls_certificate_credentials_t>, CredentialsFree>;

// What GnuTLS says of the pair as a server identity: empty when it takes it.
std::string gnutls_refusal(const std::string& certificate_file, const std::string& key_file) {
  gnutls_certificate_credentials_t raw = nullptr;
  if (gnutls_certificate_allocate_credentials(&raw) != GNUTLS_E_SUCCESS) return "out of memory";
  Credentials credentials(raw);
  const int result =
      gnutls_certificate_set_x509_key_file2(credentials.get(), certificate_file.c_str(),
                                            key_file.c_str(), GNUTLS_X509_FMT_PEM, nullptr, 0);
  if (result >= 0) return "";
  if (result == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
    return "is not the private key of the certificate in " + certificate_file;
  return std::string("cannot be used with ") + certificate_file + ": " + gnutls_strerror(result);
}

}  // namespace

GObjectPtr<GTlsCertificate> load_tls_certificate(const HttpConfig& http, TlsLoadError& error) {
  auto fail = [&](const char* field, std::string message) {
    error = TlsLoadError{field, std::move(message)};
    return GObjectPtr<GTlsCertificate>();
  };
  if (!g_tls_backend_supports_tls(g_tls_backend_get_default()))
    return fail(
        kCertificateField,
        "GIO has no TLS backend here (install glib-networking) to load " + http.tls_certificate);
  for (const auto& [field, file] :
       {std::pair{kCertificateField, &http.tls_certificate}, std::pair{kKeyField, &http.tls_key}}) {
    if (const std::string why = unreadable(*file); !why.empty())
      return fail(field, "cannot read " + *file + ": " + why);
  }
  // The certificate alone first, so that a bad certificate is not blamed on the key.
  GError* raw = nullptr;
  GObjectPtr<GTlsCertificate> alone(
      g_tls_certificate_new_from_file(http.tls_certificate.c_str(), &raw));
  if (!alone) {
    GErrorPtr e(raw);
    return fail(kCertificateField, "cannot load " + http.tls_certificate + ": " + e->message);
  }
  GObjectPtr<GTlsCertificate> certificate(
      g_tls_certificate_new_from_files(http.tls_certificate.c_str(), http.tls_key.c_str(), &raw));
  if (!certificate) {
    GErrorPtr e(raw);
    return fail(kKeyField, "cannot load " + http.tls_key + ": " + e->message);
  }
  if (const std::string refusal = gnutls_refusal(http.tls_certificate, http.tls_key);
      !refusal.empty())
    return fail(kKeyField, http.tls_key + " " + refusal);
  return certificate;
}

void check_tls_files(const Config& config, IssueList& issues) {
  if (!config.http.enabled || !config.http.tls()) return;
  TlsLoadError error;
  if (load_tls_certificate(config.http, error)) return;
  const FilePos pos = config.position_of(error.field);
  issues.add(FileIssue{config.file, pos.line, pos.column, error.field, error.message});
}

}  // namespace mixcast
