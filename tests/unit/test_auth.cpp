#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "core/auth.h"

using namespace mixcast;
using namespace std::string_literals;

namespace {

// The same values as SECRET and NOW in data/auth/mint_tokens.py.
constexpr std::string_view kSecret = "mixcast-test-secret-0123456789abcdef";
constexpr int64_t kNow = 1'700'000'000;
constexpr int64_t kHour = 3600;

// tokens.json: case name -> token, minted by PyJWT (see mint_tokens.py).
const std::map<std::string, std::string>& pyjwt_tokens() {
  static const std::map<std::string, std::string> tokens = [] {
    const YAML::Node root = YAML::LoadFile(std::string(MIXCAST_TEST_DATA) + "/auth/tokens.json");
    EXPECT_EQ(root["secret"].as<std::string>(), kSecret);
    EXPECT_EQ(root["now"].as<int64_t>(), kNow);
    std::map<std::string, std::string> out;
    for (const auto& entry : root["tokens"])
      out[entry.first.as<std::string>()] = entry.second.as<std::string>();
    return out;
  }();
  return tokens;
}

// The grant every valid fixture starts from (claims() in mint_tokens.py).
JoinGrant alice() {
  JoinGrant grant;
  grant.room = "studio-a";
  grant.identity = "alice";
  grant.name = "Alice";
  grant.can_publish = true;
  grant.can_subscribe = true;
  grant.not_before = kNow - 60;
  grant.expires = kNow + kHour;
  return grant;
}

template <typename Change>
JoinGrant alice_with(Change change) {
  JoinGrant grant = alice();
  change(grant);
  return grant;
}

void expect_grant_eq(const JoinGrant& actual, const JoinGrant& expected) {
  EXPECT_EQ(actual.room, expected.room);
  EXPECT_EQ(actual.identity, expected.identity);
  EXPECT_EQ(actual.name, expected.name);
  EXPECT_EQ(actual.can_publish, expected.can_publish);
  EXPECT_EQ(actual.can_subscribe, expected.can_subscribe);
  EXPECT_EQ(actual.not_before, expected.not_before);
  EXPECT_EQ(actual.expires, expected.expires);
}

// A refused token's message must not echo the token or the secret.
void expect_safe_message(const TokenCheck& check, std::string_view token) {
  EXPECT_FALSE(check.message.empty());
  EXPECT_EQ(check.message.find(kSecret), std::string::npos);
  if (token.size() >= 8) {
    for (size_t at = 0; at + 8 <= token.size(); at += 8)
      EXPECT_EQ(check.message.find(token.substr(at, 8)), std::string::npos) << check.message;
  }
}

// Test names from the case tables (the macro's own parameter is named `info`).
template <typename Case>
std::string case_name(const ::testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

struct PyJwtCase {
  const char* name;
  TokenError error;
  std::optional<JoinGrant> grant;  // expected when error == None
};

void PrintTo(const PyJwtCase& c, std::ostream* out) {
  *out << c.name;
}

const std::vector<PyJwtCase>& pyjwt_cases() {
  static const std::vector<PyJwtCase> cases = {
      {"valid_publisher", TokenError::None, alice()},
      {"valid_viewer", TokenError::None, alice_with([](JoinGrant& g) {
         g.identity = "bob";
         g.name = "Bob";
         g.can_publish = false;
       })},
      {"defaults_without_can_claims", TokenError::None, alice_with([](JoinGrant& g) {
         g.name.clear();
         g.not_before = 0;
         g.can_publish = false;
         g.can_subscribe = true;
       })},
      {"unicode_name", TokenError::None,
       alice_with([](JoinGrant& g) { g.name = "Zo\u00eb \U0001F3A4 \"quoted\""; })},
      {"subscribe_false", TokenError::None,
       alice_with([](JoinGrant& g) { g.can_subscribe = false; })},
      {"expired", TokenError::Expired, std::nullopt},
      {"expired_within_leeway", TokenError::None,
       alice_with([](JoinGrant& g) { g.expires = kNow - 10; })},
      // exp must be > now - leeway: exactly at the edge is expired.
      {"expired_at_leeway_edge", TokenError::Expired, std::nullopt},
      {"not_yet_valid", TokenError::NotYetValid, std::nullopt},
      {"not_before_within_leeway", TokenError::None,
       alice_with([](JoinGrant& g) { g.not_before = kNow + 20; })},
      // nbf must be <= now + leeway: exactly at the edge is valid.
      {"not_before_at_leeway_edge", TokenError::None,
       alice_with([](JoinGrant& g) { g.not_before = kNow + 30; })},
      {"alg_none_pyjwt", TokenError::WrongAlgorithm, std::nullopt},
      {"alg_none_empty_signature", TokenError::WrongAlgorithm, std::nullopt},
      {"alg_none_bogus_signature", TokenError::WrongAlgorithm, std::nullopt},
      {"alg_none_uppercase_hmac_signed", TokenError::WrongAlgorithm, std::nullopt},
      // libjwt matches "hs256" as HS256 and would accept this correctly signed token.
      {"alg_lowercase_hs256", TokenError::WrongAlgorithm, std::nullopt},
      // libjwt verifies these with our key and would accept them.
      {"alg_hs384_right_key", TokenError::WrongAlgorithm, std::nullopt},
      {"alg_hs512_right_key", TokenError::WrongAlgorithm, std::nullopt},
      {"alg_rs256", TokenError::WrongAlgorithm, std::nullopt},
      {"alg_rs256_header_hmac_signed", TokenError::WrongAlgorithm, std::nullopt},
      {"alg_missing", TokenError::Malformed, std::nullopt},
      {"wrong_key", TokenError::BadSignature, std::nullopt},
      {"tampered_room", TokenError::BadSignature, std::nullopt},
      {"room_missing", TokenError::MissingClaim, std::nullopt},
      {"sub_missing", TokenError::MissingClaim, std::nullopt},
      {"exp_missing", TokenError::MissingClaim, std::nullopt},
      {"room_empty", TokenError::BadClaim, std::nullopt},
      {"room_not_string", TokenError::BadClaim, std::nullopt},
      {"sub_not_string", TokenError::BadClaim, std::nullopt},
      {"name_not_string", TokenError::BadClaim, std::nullopt},
      // libjwt's getters read these as false / 0 without an error.
      {"can_publish_string", TokenError::BadClaim, std::nullopt},
      {"can_subscribe_number", TokenError::BadClaim, std::nullopt},
      {"exp_string", TokenError::BadClaim, std::nullopt},
      {"exp_fraction", TokenError::BadClaim, std::nullopt},
      {"nbf_string", TokenError::BadClaim, std::nullopt},
      {"payload_array", TokenError::MissingClaim, std::nullopt},
  };
  return cases;
}

class PyJwtToken : public ::testing::TestWithParam<PyJwtCase> {};

TEST_P(PyJwtToken, VerifiesAsExpected) {
  const PyJwtCase& c = GetParam();
  const auto found = pyjwt_tokens().find(c.name);
  ASSERT_NE(found, pyjwt_tokens().end()) << "regenerate tokens.json with mint_tokens.py";
  const TokenCheck check = verify_join_token(found->second, kSecret, kNow);
  EXPECT_EQ(to_string(check.error), to_string(c.error)) << check.message;
  if (c.error == TokenError::None) {
    ASSERT_TRUE(check.grant.has_value());
    EXPECT_TRUE(check.message.empty());
    expect_grant_eq(*check.grant, *c.grant);
  } else {
    EXPECT_FALSE(check.grant.has_value());
    expect_safe_message(check, found->second);
  }
}

INSTANTIATE_TEST_SUITE_P(Auth, PyJwtToken, ::testing::ValuesIn(pyjwt_cases()),
                         case_name<PyJwtCase>);

TEST(PyJwtTokens, EveryFixtureTokenHasACase) {
  std::set<std::string> names;
  for (const auto& c : pyjwt_cases()) names.insert(c.name);
  for (const auto& [name, token] : pyjwt_tokens()) EXPECT_TRUE(names.count(name)) << name;
  EXPECT_EQ(names.size(), pyjwt_cases().size()) << "duplicate case name";
}

TEST(PyJwtTokens, ValidTokenIsRefusedWithAnEmptySecret) {
  // libjwt without a key would accept any token unverified.
  const std::string& token = pyjwt_tokens().at("valid_publisher");
  EXPECT_EQ(verify_join_token(token, "", kNow).error, TokenError::NoSecret);
}

TEST(PyJwtTokens, LeewayIsAParameter) {
  const std::string& expired = pyjwt_tokens().at("expired_within_leeway");  // exp = now - 10
  EXPECT_EQ(verify_join_token(expired, kSecret, kNow, 30).error, TokenError::None);
  EXPECT_EQ(verify_join_token(expired, kSecret, kNow, 5).error, TokenError::Expired);
  EXPECT_EQ(verify_join_token(expired, kSecret, kNow, 0).error, TokenError::Expired);
  const std::string& early = pyjwt_tokens().at("not_before_within_leeway");  // nbf = now + 20
  EXPECT_EQ(verify_join_token(early, kSecret, kNow, 20).error, TokenError::None);
  EXPECT_EQ(verify_join_token(early, kSecret, kNow, 19).error, TokenError::NotYetValid);
  // A negative leeway counts as none, not as a shorter lifetime.
  EXPECT_EQ(verify_join_token(pyjwt_tokens().at("valid_publisher"), kSecret, kNow, -100).error,
            TokenError::None);
}

TEST(PyJwtTokens, ValidTokenExpiresOnTime) {
  const std::string& token = pyjwt_tokens().at("valid_publisher");  // exp = now + 1 h
  EXPECT_EQ(verify_join_token(token, kSecret, kNow + kHour + 29).error, TokenError::None);
  EXPECT_EQ(verify_join_token(token, kSecret, kNow + kHour + 30).error, TokenError::Expired);
  EXPECT_EQ(verify_join_token(token, kSecret, kNow - 60 - 31).error, TokenError::NotYetValid);
}

struct GarbageCase {
  const char* name;
  std::string token;
};

void PrintTo(const GarbageCase& c, std::ostream* out) {
  *out << c.name;
}

class GarbageToken : public ::testing::TestWithParam<GarbageCase> {};

TEST_P(GarbageToken, IsMalformed) {
  const TokenCheck check = verify_join_token(GetParam().token, kSecret, kNow);
  EXPECT_EQ(to_string(check.error), "malformed") << check.message;
  EXPECT_FALSE(check.grant.has_value());
  expect_safe_message(check, GetParam().token);
}

std::vector<GarbageCase> garbage_cases() {
  // A valid token's parts, to build near misses from.
  const std::string valid = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.abc";
  return {
      {"empty", ""},
      {"one_dot", "a.b"},
      {"three_dots", "a.b.c.d"},
      {"only_dots", ".."},
      {"empty_header", ".e30.abc"},
      {"empty_payload", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..abc"},
      {"non_base64", "!!!.@@@.###"},
      {"base64_padding", "eyJhbGciOiJIUzI1NiJ9.e30=.abc"},
      {"standard_base64_chars", "eyJhbGciOiJIUzI1NiJ9.e3+/.abc"},
      {"spaces", "eyJhbGciOiJIUzI1NiJ9. e30.abc"},
      {"base64_not_json", "YWJj.ZGVm.Z2hp"},
      {"valid_charset_nonsense", "a.b.c"},
      {"inner_nul", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\0.e30.abc"s},
      {"over_8_kib", valid + std::string(kMaxAuthorizationBytes, 'a')},
      {"one_mib", std::string(1 << 20, 'a')},
      {"one_mib_with_dots", "a." + std::string(1 << 20, 'b') + ".c"},
  };
}

INSTANTIATE_TEST_SUITE_P(Auth, GarbageToken, ::testing::ValuesIn(garbage_cases()),
                         case_name<GarbageCase>);

// --- Minting ---------------------------------------------------------------

TEST(MintJoinToken, RoundTripsThroughVerify) {
  JoinGrant grant = alice_with([](JoinGrant& g) { g.name = "Zo\u00eb \U0001F3A4"; });
  std::string error;
  const std::string token = mint_join_token(grant, kSecret, kNow, 600, error);
  ASSERT_FALSE(token.empty()) << error;
  EXPECT_TRUE(error.empty());
  const TokenCheck check = verify_join_token(token, kSecret, kNow);
  ASSERT_EQ(check.error, TokenError::None) << check.message;
  grant.expires = kNow + 600;
  expect_grant_eq(*check.grant, grant);
  EXPECT_EQ(verify_join_token(token, kSecret, kNow + 600 + 30).error, TokenError::Expired);
  EXPECT_EQ(verify_join_token(token, "another-secret-0123456789abcdefghij", kNow).error,
            TokenError::BadSignature);
}

TEST(MintJoinToken, ViewerWithoutNameOrNotBefore) {
  JoinGrant grant;
  grant.room = "r";
  grant.identity = "viewer-1";
  std::string error;
  const std::string token = mint_join_token(grant, kSecret, kNow, 60, error);
  ASSERT_FALSE(token.empty()) << error;
  const TokenCheck check = verify_join_token(token, kSecret, kNow);
  ASSERT_EQ(check.error, TokenError::None) << check.message;
  EXPECT_EQ(check.grant->name, "");
  EXPECT_FALSE(check.grant->can_publish);
  EXPECT_TRUE(check.grant->can_subscribe);
  EXPECT_EQ(check.grant->not_before, 0);
  EXPECT_EQ(check.grant->expires, kNow + 60);
}

TEST(MintJoinToken, NotBeforeIsHonoured) {
  const JoinGrant grant = alice_with([](JoinGrant& g) { g.not_before = kNow + 300; });
  std::string error;
  const std::string token = mint_join_token(grant, kSecret, kNow, 600, error);
  ASSERT_FALSE(token.empty()) << error;
  EXPECT_EQ(verify_join_token(token, kSecret, kNow).error, TokenError::NotYetValid);
  EXPECT_EQ(verify_join_token(token, kSecret, kNow + 300).error, TokenError::None);
}

struct MintErrorCase {
  const char* name;
  JoinGrant grant;
  std::string secret;
  int64_t ttl_s;
};

void PrintTo(const MintErrorCase& c, std::ostream* out) {
  *out << c.name;
}

class MintError : public ::testing::TestWithParam<MintErrorCase> {};

TEST_P(MintError, GivesNoTokenAndSaysWhy) {
  std::string error = "stale";
  const std::string token =
      mint_join_token(GetParam().grant, GetParam().secret, kNow, GetParam().ttl_s, error);
  EXPECT_EQ(token, "");
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error, "stale");
  EXPECT_EQ(error.find(kSecret), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Auth, MintError,
    ::testing::Values(
        MintErrorCase{"empty_secret", alice(), "", 600},
        MintErrorCase{"empty_room", alice_with([](JoinGrant& g) { g.room.clear(); }),
                      std::string(kSecret), 600},
        MintErrorCase{"empty_identity", alice_with([](JoinGrant& g) { g.identity.clear(); }),
                      std::string(kSecret), 600},
        MintErrorCase{"zero_ttl", alice(), std::string(kSecret), 0},
        MintErrorCase{"negative_ttl", alice(), std::string(kSecret), -5},
        MintErrorCase{"ttl_overflows", alice(), std::string(kSecret), INT64_MAX},
        MintErrorCase{"nul_in_room", alice_with([](JoinGrant& g) { g.room = "a\0b"s; }),
                      std::string(kSecret), 600},
        MintErrorCase{"nul_in_name", alice_with([](JoinGrant& g) { g.name = "x\0"s; }),
                      std::string(kSecret), 600},
        MintErrorCase{"invalid_utf8_room", alice_with([](JoinGrant& g) { g.room = "\xff\xfe"; }),
                      std::string(kSecret), 600},
        MintErrorCase{"invalid_utf8_name", alice_with([](JoinGrant& g) { g.name = "\xc3"; }),
                      std::string(kSecret), 600}),
    case_name<MintErrorCase>);

// A python3 that has PyJWT: Debian's /usr/bin/python3 (python3-jwt) first,
// since a pyenv python3 earlier on PATH usually lacks it.
std::optional<std::string> python_with_pyjwt() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    const std::string probe = std::string(python) + " -c 'import jwt' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return std::nullopt;
}

// Runs PyJWT's HS256 verification of `token`; the exit status and stdout
// (the header and claims as one JSON line, or the error).
std::pair<int, std::string> pyjwt_decode(const std::string& python, const std::string& token,
                                         std::string_view secret) {
  // Times are not PyJWT's to check here: the token was minted at the fixed kNow.
  const std::string script =
      "import jwt, json, sys\n"
      "t, k = sys.argv[1], sys.argv[2]\n"
      "c = jwt.decode(t, k, algorithms=[\"HS256\"], options={\"verify_exp\": False, "
      "\"verify_nbf\": False, \"verify_iat\": False, \"require\": [\"exp\", \"iat\"]})\n"
      "print(json.dumps({\"header\": jwt.get_unverified_header(t), \"claims\": c}, "
      "ensure_ascii=False))\n";
  // The token is base64url and dots, the secret ours: safe inside single quotes.
  const std::string command =
      python + " -c '" + script + "' '" + token + "' '" + std::string(secret) + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(MintJoinToken, IsVerifiedByPyJwt) {
  const auto python = python_with_pyjwt();
  if (!python) GTEST_SKIP() << "python3 with the jwt module (python3-jwt) is missing";
  const JoinGrant grant = alice_with([](JoinGrant& g) {
    g.name = "Zo\u00eb \U0001F3A4";
    g.can_publish = false;
  });
  std::string error;
  const std::string token = mint_join_token(grant, kSecret, kNow, 600, error);
  ASSERT_FALSE(token.empty()) << error;

  const auto [status, output] = pyjwt_decode(*python, token, kSecret);
  ASSERT_EQ(status, 0) << output;
  const YAML::Node decoded = YAML::Load(output);
  EXPECT_EQ(decoded["header"]["alg"].as<std::string>(), "HS256");
  EXPECT_EQ(decoded["header"]["typ"].as<std::string>(), "JWT");
  const YAML::Node claims = decoded["claims"];
  EXPECT_EQ(claims["room"].as<std::string>(), "studio-a");
  EXPECT_EQ(claims["sub"].as<std::string>(), "alice");
  EXPECT_EQ(claims["name"].as<std::string>(), grant.name);
  EXPECT_EQ(claims["can_publish"].as<std::string>(), "false");
  EXPECT_EQ(claims["can_subscribe"].as<std::string>(), "true");
  EXPECT_EQ(claims["iat"].as<int64_t>(), kNow);
  EXPECT_EQ(claims["nbf"].as<int64_t>(), kNow - 60);
  EXPECT_EQ(claims["exp"].as<int64_t>(), kNow + 600);
  EXPECT_EQ(claims.size(), 8u);

  // And PyJWT does check the signature: another secret fails.
  const auto [wrong_status, wrong_output] =
      pyjwt_decode(*python, token, "another-secret-0123456789abcdefghij");
  EXPECT_NE(wrong_status, 0) << wrong_output;
  EXPECT_NE(wrong_output.find("InvalidSignatureError"), std::string::npos) << wrong_output;
}

// --- Authorization header --------------------------------------------------

struct BearerCase {
  const char* name;
  std::string header;
  std::optional<std::string> token;
};

void PrintTo(const BearerCase& c, std::ostream* out) {
  *out << c.name;
}

class BearerToken : public ::testing::TestWithParam<BearerCase> {};

TEST_P(BearerToken, Extracts) {
  const auto token = bearer_token(GetParam().header);
  ASSERT_EQ(token.has_value(), GetParam().token.has_value());
  if (token) {
    EXPECT_EQ(*token, *GetParam().token);
  }
}

std::vector<BearerCase> bearer_cases() {
  const std::string at_limit_token(kMaxAuthorizationBytes - 7, 't');
  return {
      {"plain", "Bearer abc.def.ghi", "abc.def.ghi"},
      {"lower_case_scheme", "bearer abc", "abc"},
      {"upper_case_scheme", "BEARER abc", "abc"},
      {"mixed_case_scheme", "bEaReR abc", "abc"},
      {"extra_spaces", "Bearer    abc   ", "abc"},
      {"leading_spaces", "  Bearer abc", "abc"},
      {"tab", "Bearer\tabc", "abc"},
      {"token68_chars", "Bearer a-b_c.d~e+f/g==", "a-b_c.d~e+f/g=="},
      {"basic", "Basic dXNlcjpwYXNz", std::nullopt},
      {"other_scheme", "Token abc", std::nullopt},
      {"scheme_only", "Bearer", std::nullopt},
      {"scheme_and_space", "Bearer ", std::nullopt},
      {"scheme_and_spaces", "Bearer     ", std::nullopt},
      {"no_separator", "Bearerabc", std::nullopt},
      {"empty", "", std::nullopt},
      {"token_with_space", "Bearer abc def", std::nullopt},
      {"token_with_control", "Bearer abc\x01", std::nullopt},
      {"token_with_nul", "Bearer abc\0def"s, std::nullopt},
      {"scheme_prefix", "Bearers abc", std::nullopt},
      {"at_limit", "Bearer " + at_limit_token, at_limit_token},
      {"over_limit", "Bearer " + at_limit_token + "t", std::nullopt},
      {"one_mib", "Bearer " + std::string(1 << 20, 'a'), std::nullopt},
  };
}

INSTANTIATE_TEST_SUITE_P(Auth, BearerToken, ::testing::ValuesIn(bearer_cases()),
                         case_name<BearerCase>);

// --- Admin API keys ---------------------------------------------------------

struct ApiKeyCase {
  const char* name;
  std::vector<std::string> keys;
  std::string presented;
  bool matches;
};

void PrintTo(const ApiKeyCase& c, std::ostream* out) {
  *out << c.name;
}

class ApiKey : public ::testing::TestWithParam<ApiKeyCase> {};

TEST_P(ApiKey, Matches) {
  EXPECT_EQ(api_key_matches(GetParam().keys, GetParam().presented), GetParam().matches);
}

const std::vector<std::string> kKeys = {"key-one-0123456789", "key-two-9876543210"};

INSTANTIATE_TEST_SUITE_P(
    Auth, ApiKey,
    ::testing::Values(ApiKeyCase{"first_key", kKeys, "key-one-0123456789", true},
                      ApiKeyCase{"second_key", kKeys, "key-two-9876543210", true},
                      ApiKeyCase{"prefix_of_a_key", kKeys, "key-one-012345678", false},
                      ApiKeyCase{"key_plus_a_byte", kKeys, "key-one-0123456789x", false},
                      ApiKeyCase{"key_plus_nul", kKeys, "key-one-0123456789\0"s, false},
                      ApiKeyCase{"other_case", kKeys, "KEY-ONE-0123456789", false},
                      ApiKeyCase{"both_keys_joined", kKeys, "key-one-0123456789key-two-9876543210",
                                 false},
                      ApiKeyCase{"no_keys", {}, "key-one-0123456789", false},
                      ApiKeyCase{"empty_presented", kKeys, "", false},
                      ApiKeyCase{"empty_presented_empty_key", {""}, "", false},
                      ApiKeyCase{"same_key_twice", {"k", "k"}, "k", true}),
    case_name<ApiKeyCase>);

TEST(TokenErrorNames, AreStable) {
  EXPECT_EQ(to_string(TokenError::None), "none");
  EXPECT_EQ(to_string(TokenError::Malformed), "malformed");
  EXPECT_EQ(to_string(TokenError::WrongAlgorithm), "wrong_algorithm");
  EXPECT_EQ(to_string(TokenError::BadSignature), "bad_signature");
  EXPECT_EQ(to_string(TokenError::Expired), "expired");
  EXPECT_EQ(to_string(TokenError::NotYetValid), "not_yet_valid");
  EXPECT_EQ(to_string(TokenError::MissingClaim), "missing_claim");
  EXPECT_EQ(to_string(TokenError::BadClaim), "bad_claim");
  EXPECT_EQ(to_string(TokenError::NoSecret), "no_secret");
}

}  // namespace
