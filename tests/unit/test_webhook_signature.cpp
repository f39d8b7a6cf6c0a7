#include <gtest/gtest.h>

#include <string>

#include "core/webhook_signature.h"

using namespace mixcast;

namespace {
// The test vector of the Standard Webhooks reference libraries (their sign
// tests); checked independently with python's hmac and `openssl dgst -mac HMAC`.
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kTimestamp = 1614265330;
constexpr const char* kBody = R"({"test": 2432232314})";
constexpr const char* kSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
}  // namespace

TEST(WebhookSignature, ReproducesTheStandardWebhooksTestVector) {
  std::string error;
  const auto signature = webhook_signature(kSecret, kId, kTimestamp, kBody, error);
  ASSERT_TRUE(signature) << error;
  EXPECT_EQ(*signature, kSignature);
}

TEST(WebhookSignature, ParsedKeySignsTheSame) {
  std::string error;
  const auto key = parse_webhook_secret(kSecret, error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->size(), 24u);  // 32 base64 characters
  EXPECT_EQ(webhook_signature_with_key(*key, kId, kTimestamp, kBody), kSignature);
}

TEST(WebhookSignature, EveryPartOfTheContentIsSigned) {
  std::string error;
  const std::string base = *webhook_signature(kSecret, kId, kTimestamp, kBody, error);
  EXPECT_NE(*webhook_signature(kSecret, "msg_other", kTimestamp, kBody, error), base);
  EXPECT_NE(*webhook_signature(kSecret, kId, kTimestamp + 1, kBody, error), base);
  EXPECT_NE(*webhook_signature(kSecret, kId, kTimestamp, R"({"test": 2432232315})", error), base);
  EXPECT_NE(
      *webhook_signature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx", kId, kTimestamp, kBody, error),
      base);
  // The dots separate the fields: moving one is a different content.
  EXPECT_NE(*webhook_signature(kSecret, "msg_p5jXN8AQM9LWM0D4loKWxJek.1", 614265330, kBody, error),
            base);
}

TEST(WebhookSignature, PaddedKeysDecodeToTheirBytes) {
  struct Case {
    const char* secret;
    std::string key;
  };
  const Case cases[] = {
      {"whsec_YQ==", "a"},        {"whsec_YWI=", "ab"},           {"whsec_YWJj", "abc"},
      {"whsec_YWJjZA==", "abcd"}, {"whsec_+/+/", "\xfb\xff\xbf"},
  };
  for (const auto& c : cases) {
    std::string error;
    const auto key = parse_webhook_secret(c.secret, error);
    ASSERT_TRUE(key) << c.secret << ": " << error;
    EXPECT_EQ(*key, c.key) << c.secret;
  }
}

TEST(WebhookSignature, RefusesSecretsThatAreNotWhsecBase64) {
  struct Case {
    const char* secret;
    const char* message_contains;
  };
  const Case cases[] = {
      {"", "must start with \"whsec_\""},
      {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with \"whsec_\""},
      {"WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with \"whsec_\""},
      {"whsec", "must start with \"whsec_\""},
      {"whsec_", "no key"},
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "not valid base64"},     // 31 characters
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw=", "not valid base64"},   // 33
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w", "not valid base64"},    // url-safe alphabet
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa_w", "not valid base64"},    // url-safe alphabet
      {"whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaSw", "not valid base64"},   // space
      {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n", "not valid base64"},  // newline
      {"whsec_YQ=a", "not valid base64"},                                // padding in the middle
      {"whsec_Y===", "not valid base64"},
      {"whsec_====", "not valid base64"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_FALSE(parse_webhook_secret(c.secret, error)) << c.secret;
    EXPECT_NE(error.find(c.message_contains), std::string::npos) << c.secret << ": " << error;
    EXPECT_FALSE(webhook_signature(c.secret, kId, kTimestamp, kBody, error)) << c.secret;
  }
}

TEST(WebhookSignature, ErrorsNeverQuoteTheSecret) {
  const std::string key = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-w";
  for (const std::string& secret : {key, "whsec_" + key, "whsec_" + key + "="}) {
    std::string error;
    ASSERT_FALSE(parse_webhook_secret(secret, error));
    EXPECT_EQ(error.find("MfKQ9r8G"), std::string::npos) << error;
  }
}
