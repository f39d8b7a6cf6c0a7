#include "core/webhook_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

namespace mixcast {

namespace {

constexpr std::string_view kSecretPrefix = "whsec_";

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// EVP_DecodeBlock skips whitespace and does not insist on the alphabet's
// rules for padding, so the text is checked first: a secret that only
// decodes by accident would sign with a key the receiver does not have.
bool is_strict_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  if (padding == 1 && text.back() != '=') return false;
  for (size_t i = 0; i < text.size() - padding; ++i)
    if (!is_base64_char(text[i])) return false;
  return true;
}

std::string base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

}  // namespace

std::optional<std::string> parse_webhook_secret(std::string_view secret, std::string& error) {
  if (!secret.starts_with(kSecretPrefix)) {
    error = "webhook secret must start with \"whsec_\" (Standard Webhooks format)";
    return std::nullopt;
  }
  const std::string_view encoded = secret.substr(kSecretPrefix.size());
  if (encoded.empty()) {
    error = "webhook secret has no key after \"whsec_\"";
    return std::nullopt;
  }
  if (!is_strict_base64(encoded)) {
    error =
        "webhook secret after \"whsec_\" is not valid base64 (standard alphabet A-Z a-z 0-9 + /, "
        "padded with = to a multiple of 4 characters)";
    return std::nullopt;
  }
  std::string key(3 * encoded.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(key.data()),
                                reinterpret_cast<const unsigned char*>(encoded.data()),
                                static_cast<int>(encoded.size()));
  if (n < 0) {
    error = "webhook secret after \"whsec_\" is not valid base64";
    return std::nullopt;
  }
  // EVP_DecodeBlock counts the padding as zero bytes of output.
  size_t size = static_cast<size_t>(n);
  if (encoded.ends_with("==")) {
    size -= 2;
  } else if (encoded.ends_with("=")) {
    size -= 1;
  }
  key.resize(size);
  if (key.empty()) {
    error = "webhook secret has an empty key after \"whsec_\"";
    return std::nullopt;
  }
  return key;
}

std::string webhook_signature_with_key(std::string_view key, std::string_view id, int64_t timestamp,
                                       std::string_view body) {
  std::string content;
  const std::string ts = std::to_string(timestamp);
  content.reserve(id.size() + ts.size() + body.size() + 2);
  content.append(id).append(".").append(ts).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &mac_size);
  return "v1," + base64(mac, mac_size);
}

std::optional<std::string> webhook_signature(std::string_view secret, std::string_view id,
                                             int64_t timestamp, std::string_view body,
                                             std::string& error) {
  const auto key = parse_webhook_secret(secret, error);
  if (!key) return std::nullopt;
  return webhook_signature_with_key(*key, id, timestamp, body);
}

}  // namespace mixcast
