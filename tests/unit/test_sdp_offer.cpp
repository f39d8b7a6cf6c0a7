#include <gtest/gtest.h>

#include <time.h>

#include <cctype>
#include <fstream>
#include <random>
#include <sstream>

#include "core/sdp_offer.h"

using namespace mixcast;

namespace {

// The CPU time of this process, in seconds: the bounds below are on the
// parser's work, which a loaded machine (CI's two cores, four builds at once,
// a sanitizer build) must not turn into a failure the way wall-clock time did.
double cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

std::string read_fixture(const std::string& name) {
  std::ifstream in(std::string(MIXCAST_TEST_DATA) + "/sdp/" + name, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Everything the parser reports, one line per m-line and codec, so two parses
// can be compared and a failure shows what was read.
std::string describe(const SdpOffer& offer) {
  std::ostringstream out;
  out << "bundle:";
  for (const auto& mid : offer.bundle_mids) out << ' ' << mid;
  out << "\nice=" << offer.has_ice_credentials << " fingerprint=" << offer.has_fingerprint << '\n';
  for (const auto& m : offer.media) {
    out << m.index << ' ' << m.kind << " mid=" << m.mid << " port=" << m.port
        << " bundle_only=" << m.bundle_only << ' ' << to_string(m.direction) << '\n';
    for (const auto& c : m.codecs) {
      out << "  " << c.payload << ' ' << c.name << '/' << c.clock_rate << '/' << c.channels
          << " rtx=" << c.rtx_payload;
      for (const auto& [key, value] : c.fmtp) out << ' ' << key << '=' << value;
      for (const auto& feedback : c.rtcp_fb) out << " [" << feedback << ']';
      out << '\n';
    }
  }
  return out.str();
}

std::vector<int> payloads(const OfferedMedia& media) {
  std::vector<int> out;
  for (const auto& codec : media.codecs) out.push_back(codec.payload);
  return out;
}

std::vector<int> rtx_payloads(const OfferedMedia& media) {
  std::vector<int> out;
  for (const auto& codec : media.codecs) out.push_back(codec.rtx_payload);
  return out;
}

int payload_of(const std::optional<OfferedCodec>& codec) {
  return codec ? codec->payload : -1;
}
int rtx_of(const std::optional<OfferedCodec>& codec) {
  return codec ? codec->rtx_payload : -1;
}

// A small valid offer that the synthetic cases edit.
const std::string kMinimal =
    "v=0\r\n"
    "o=- 1 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdefghijklmn\r\n"
    "a=fingerprint:sha-256 AA:BB:CC\r\n"
    "a=mid:0\r\n"
    "a=sendrecv\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

std::string minimal_with(std::string_view from, std::string_view to) {
  return replace_all(kMinimal, from, to);
}

// The session part of kMinimal followed by `media`, with transport at session level.
std::string session_offer(std::string_view media) {
  return "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
         "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
         "a=fingerprint:sha-256 AA:BB:CC\r\n" +
         std::string(media);
}

// ---------------------------------------------------------------- fixtures

struct ExpectedMedia {
  std::string kind;
  std::string mid;
  Direction direction;
  int port;
  bool bundle_only;
  std::vector<int> codecs;  // payloads in offer order, auxiliaries left out
  std::vector<int> rtx;     // rtx_payload of each codec above
  int opus = -1, vp8 = -1, vp8_rtx = -1, h264 = -1, h264_rtx = -1;
};

struct FixtureCase {
  std::string file;
  std::vector<std::string> bundle;
  std::vector<ExpectedMedia> media;
  bool sends_audio, receives_audio, sends_video, receives_video;
};

const std::vector<int> kChromeAudio = {111, 9, 0, 8};  // red 63, CN 13, DTMF 110/126 left out
const std::vector<int> kChromeAudioRtx = {-1, -1, -1, -1};
const std::vector<int> kChromeVideo = {96, 102, 104, 108, 114, 116, 39, 45, 98, 100};
const std::vector<int> kChromeVideoRtx = {97, 103, 107, 109, 115, 117, 40, 46, 99, 101};
const std::vector<int> kFirefoxAudio = {109, 9, 0, 8};
const std::vector<int> kFirefoxVideo = {120, 121, 99};  // ulpfec 123, red 122, rtx 119 (apt=red)
const std::vector<int> kFirefoxVideoRtx = {124, 125, 100};

ExpectedMedia chrome_audio(std::string mid, Direction direction, int port) {
  return {"audio", mid, direction, port, false, kChromeAudio, kChromeAudioRtx, 111};
}

// Chromium offers H.264 constrained baseline with packetization-mode=1 as 108
// (42e01f); 102 (42001f) is plain baseline, 104/114 are mode 0, 116/39 main.
ExpectedMedia chrome_video(std::string mid, Direction direction, int port,
                           std::vector<int> codecs = kChromeVideo,
                           std::vector<int> rtx = kChromeVideoRtx) {
  return {"video", mid, direction, port, false, codecs, rtx, -1, 96, 97, 108, 109};
}

ExpectedMedia firefox_audio(Direction direction) {
  return {"audio", "0", direction, 9, false, kFirefoxAudio, {-1, -1, -1, -1}, 109};
}

// Port 0 with a=bundle-only; VP8 is 120 with RTX 124; no H.264.
ExpectedMedia firefox_video(Direction direction) {
  return {"video", "1", direction, 0, true, kFirefoxVideo, kFirefoxVideoRtx, -1, 120, 124};
}

constexpr auto kSendRecv = Direction::SendRecv;
constexpr auto kSendOnly = Direction::SendOnly;
constexpr auto kRecvOnly = Direction::RecvOnly;

// clang-format off
const std::vector<FixtureCase> kFixtures = {
    // file, BUNDLE mids, m-lines, then sends/receives audio, sends/receives video
    {"chrome-sendrecv-av.sdp", {"0", "1"},
     {chrome_audio("0", kSendRecv, 52278), chrome_video("1", kSendRecv, 9)},
     true, true, true, true},
    {"chrome-sendrecv-av-h264-first.sdp", {"0", "1"},
     {chrome_audio("0", kSendRecv, 53958),
      chrome_video("1", kSendRecv, 9,
                   {102, 104, 108, 114, 116, 39, 96, 45, 98, 100},
                   {103, 107, 109, 115, 117, 40, 97, 46, 99, 101})},
     true, true, true, true},
    {"chrome-sendrecv-audio-only.sdp", {"0"},
     {chrome_audio("0", kSendRecv, 42438)},
     true, true, false, false},
    {"chrome-sendonly-video-only.sdp", {"0"},
     {chrome_video("0", kSendOnly, 45060)},
     false, false, true, false},
    {"chrome-recvonly-whep.sdp", {"0", "1"},
     {chrome_audio("0", kRecvOnly, 55422),
      chrome_video("1", kRecvOnly, 9,  // flexfec-03 49 left out
                   {96, 98, 100, 35, 37, 102, 104, 108, 114, 116, 39, 41, 43, 45, 47},
                   {97, 99, 101, 36, 38, 103, 107, 109, 115, 117, 40, 42, 44, 46, 48})},
     false, true, false, true},
    {"firefox-sendrecv-av.sdp", {"0", "1"},
     {firefox_audio(kSendRecv), firefox_video(kSendRecv)},
     true, true, true, true},
    // Session level says sendrecv; each m-line says recvonly and wins.
    {"firefox-recvonly-whep.sdp", {"0", "1"},
     {firefox_audio(kRecvOnly), firefox_video(kRecvOnly)},
     false, true, false, true},
};
// clang-format on

class SdpFixture : public ::testing::TestWithParam<FixtureCase> {};

TEST_P(SdpFixture, ReadsWhatTheBrowserOffered) {
  const FixtureCase& expected = GetParam();
  const std::string text = read_fixture(expected.file);
  ASSERT_FALSE(text.empty()) << expected.file;
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_TRUE(error.empty());
  SCOPED_TRACE(describe(*offer));

  EXPECT_TRUE(offer->has_ice_credentials);
  EXPECT_TRUE(offer->has_fingerprint);
  EXPECT_EQ(offer->bundle_mids, expected.bundle);
  EXPECT_EQ(offer->sends("audio"), expected.sends_audio);
  EXPECT_EQ(offer->receives("audio"), expected.receives_audio);
  EXPECT_EQ(offer->sends("video"), expected.sends_video);
  EXPECT_EQ(offer->receives("video"), expected.receives_video);
  EXPECT_FALSE(offer->sends("application"));

  ASSERT_EQ(offer->media.size(), expected.media.size());
  for (size_t i = 0; i < expected.media.size(); ++i) {
    const ExpectedMedia& want = expected.media[i];
    const OfferedMedia& got = offer->media[i];
    SCOPED_TRACE("m-line " + std::to_string(i));
    EXPECT_EQ(got.index, static_cast<int>(i));
    EXPECT_EQ(got.kind, want.kind);
    EXPECT_EQ(got.mid, want.mid);
    EXPECT_EQ(got.direction, want.direction);
    EXPECT_EQ(got.port, want.port);
    EXPECT_EQ(got.bundle_only, want.bundle_only);
    EXPECT_EQ(payloads(got), want.codecs);
    EXPECT_EQ(rtx_payloads(got), want.rtx);
    EXPECT_EQ(payload_of(pick_opus(got)), want.opus);
    EXPECT_EQ(payload_of(pick_vp8(got)), want.vp8);
    EXPECT_EQ(rtx_of(pick_vp8(got)), want.vp8_rtx);
    EXPECT_EQ(payload_of(pick_h264(got)), want.h264);
    EXPECT_EQ(rtx_of(pick_h264(got)), want.h264_rtx);
    EXPECT_EQ(offer->first(want.kind), &got);  // one m-line per kind in every fixture
  }
  if (expected.media.size() == 1) {
    EXPECT_EQ(offer->first(expected.media[0].kind == "audio" ? "video" : "audio"), nullptr);
  }
}

TEST_P(SdpFixture, LineEndingsDoNotMatter) {
  const std::string crlf = read_fixture(GetParam().file);
  std::string error;
  const auto reference = parse_sdp_offer(crlf, error);
  ASSERT_TRUE(reference) << error;
  for (const char* ending : {"\n", "\r"}) {
    const auto offer = parse_sdp_offer(replace_all(crlf, "\r\n", ending), error);
    ASSERT_TRUE(offer) << error;
    EXPECT_EQ(describe(*offer), describe(*reference));
  }
}

INSTANTIATE_TEST_SUITE_P(Recorded, SdpFixture, ::testing::ValuesIn(kFixtures),
                         [](const ::testing::TestParamInfo<FixtureCase>& case_info) {
                           std::string name =
                               case_info.param.file.substr(0, case_info.param.file.find('.'));
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(SdpOffer, ChromiumCodecDetails) {
  std::string error;
  const auto offer = parse_sdp_offer(read_fixture("chrome-sendrecv-av.sdp"), error);
  ASSERT_TRUE(offer) << error;
  const auto opus = pick_opus(*offer->first("audio"));
  ASSERT_TRUE(opus);
  EXPECT_EQ(opus->name, "opus");
  EXPECT_EQ(opus->clock_rate, 48000);
  EXPECT_EQ(opus->channels, 2);
  EXPECT_EQ(opus->fmtp,
            (std::map<std::string, std::string>{{"minptime", "10"}, {"useinbandfec", "1"}}));
  EXPECT_EQ(opus->rtcp_fb, std::vector<std::string>{"transport-cc"});
  EXPECT_EQ(opus_channels_wanted(*opus), 1) << "Chrome asks for mono unless stereo=1";

  const auto h264 = pick_h264(*offer->first("video"));
  ASSERT_TRUE(h264);
  EXPECT_EQ(h264->name, "H264");
  EXPECT_EQ(h264->clock_rate, 90000);
  EXPECT_EQ(h264->channels, 1);
  EXPECT_EQ(h264->fmtp.at("profile-level-id"), "42e01f");
  EXPECT_EQ(h264->fmtp.at("packetization-mode"), "1");
  EXPECT_EQ(h264->fmtp.at("level-asymmetry-allowed"), "1");
  EXPECT_EQ(h264->rtcp_fb,
            (std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"}));
}

TEST(SdpOffer, FirefoxCodecDetails) {
  // Firefox writes fmtp and rtcp-fb before rtpmap, and the fingerprint only at session level.
  std::string error;
  const auto offer = parse_sdp_offer(read_fixture("firefox-sendrecv-av.sdp"), error);
  ASSERT_TRUE(offer) << error;
  const auto opus = pick_opus(*offer->first("audio"));
  ASSERT_TRUE(opus);
  EXPECT_EQ(opus->fmtp.at("stereo"), "1");
  EXPECT_EQ(opus->fmtp.at("maxplaybackrate"), "48000");
  EXPECT_EQ(opus_channels_wanted(*opus), 2);
  const auto g722 = offer->first("audio")->codecs.at(1);
  EXPECT_EQ(g722.name, "G722");
  EXPECT_EQ(g722.channels, 1);
  const auto vp8 = pick_vp8(*offer->first("video"));
  ASSERT_TRUE(vp8);
  EXPECT_EQ(vp8->fmtp.at("max-fs"), "12288");
  EXPECT_EQ(vp8->rtcp_fb,
            (std::vector<std::string>{"nack", "nack pli", "ccm fir", "goog-remb", "transport-cc"}));
  EXPECT_FALSE(pick_h264(*offer->first("video")));
}

// ---------------------------------------------------------------- synthetic offers

TEST(SdpOffer, MinimalOffer) {
  std::string error = "stale";
  const auto offer = parse_sdp_offer(kMinimal, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_TRUE(error.empty());  // cleared on success
  ASSERT_EQ(offer->media.size(), 1u);
  EXPECT_EQ(payload_of(pick_opus(offer->media[0])), 111);
  EXPECT_FALSE(pick_vp8(offer->media[0]));
  EXPECT_EQ(offer->first("video"), nullptr);
}

TEST(SdpOffer, SessionLevelAttributesApplyToEveryMLine) {
  const auto offer_text = session_offer(
      "a=sendonly\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\na=rtpmap:96 VP8/90000\r\n");
  std::string error;
  const auto offer = parse_sdp_offer(offer_text, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(offer->media[0].direction, Direction::SendOnly);  // inherited
  EXPECT_EQ(offer->media[1].direction, Direction::RecvOnly);  // media level wins
  EXPECT_TRUE(offer->sends("audio"));
  EXPECT_FALSE(offer->receives("audio"));
  EXPECT_TRUE(offer->receives("video"));
  EXPECT_FALSE(offer->sends("video"));
}

TEST(SdpOffer, DirectionDefaultsToSendRecvAndInactiveDoesNothing) {
  std::string error;
  auto offer = parse_sdp_offer(minimal_with("a=sendrecv\r\n", ""), error);
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(offer->media[0].direction, Direction::SendRecv);
  offer = parse_sdp_offer(minimal_with("a=sendrecv\r\n", "a=inactive\r\n"), error);
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(offer->media[0].direction, Direction::Inactive);
  EXPECT_FALSE(offer->sends("audio"));
  EXPECT_FALSE(offer->receives("audio"));
}

TEST(SdpOffer, FmtpKeysAreLoweredAndValuesKept) {
  const auto text = minimal_with("SAVPF 111", "SAVPF 111 100") +
                    "a=fmtp:111 MinPTime=10; UseInbandFEC = 1;;Stereo=1;minptime=20\r\n"
                    "a=rtpmap:100 X-Tones/8000\r\n"
                    "a=fmtp:100 0-15\r\n";
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  ASSERT_EQ(offer->media[0].codecs.size(), 2u);
  // The first value of a repeated key stays.
  EXPECT_EQ(offer->media[0].codecs[0].fmtp,
            (std::map<std::string, std::string>{
                {"minptime", "10"}, {"stereo", "1"}, {"useinbandfec", "1"}}));
  EXPECT_EQ(offer->media[0].codecs[1].name, "X-Tones");
  EXPECT_EQ(offer->media[0].codecs[1].fmtp, (std::map<std::string, std::string>{{"", "0-15"}}));
}

TEST(SdpOffer, RtcpFeedbackWildcardAndDuplicates) {
  const auto text = session_offer(
      "m=video 9 UDP/TLS/RTP/SAVPF 96 98\r\n"
      "a=rtcp-fb:* nack\r\n"
      "a=rtcp-fb:96 nack\r\n"
      "a=rtcp-fb:96   nack    pli  \r\n"
      "a=rtcp-fb:96 transport-cc\r\n"
      "a=rtcp-fb:96\r\n"
      "a=rtpmap:96 VP8/90000\r\n"
      "a=rtpmap:98 VP9/90000\r\n");
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(offer->media[0].codecs[0].rtcp_fb,
            (std::vector<std::string>{"nack", "nack pli", "transport-cc"}));
  EXPECT_EQ(offer->media[0].codecs[1].rtcp_fb, std::vector<std::string>{"nack"});
}

TEST(SdpOffer, RtcpFeedbackIsCappedPerCodec) {
  std::string media = "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
  for (int i = 0; i < 100; ++i) media += "a=rtcp-fb:* x-" + std::to_string(i) + "\r\n";
  std::string error;
  const auto offer = parse_sdp_offer(session_offer(media), error);
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(offer->media[0].codecs[0].rtcp_fb.size(), kMaxRtcpFeedbackPerCodec);
  EXPECT_EQ(offer->media[0].codecs[0].rtcp_fb.front(), "x-0");
}

TEST(SdpOffer, RtxIsMatchedByAptInAnyOrder) {
  // RTX listed before its primary, fmtp before rtpmap, an apt to a payload
  // that is not a codec (red) and to one that is not offered at all.
  const auto text = session_offer(
      "m=video 9 UDP/TLS/RTP/SAVPF 97 96 100 101 102 103 104\r\n"
      "a=fmtp:97 apt=96\r\n"
      "a=rtpmap:97 RTX/90000\r\n"
      "a=rtpmap:96 VP8/90000\r\n"
      "a=rtpmap:100 red/90000\r\n"
      "a=rtpmap:101 rtx/90000\r\na=fmtp:101 apt=100\r\n"
      "a=rtpmap:102 rtx/90000\r\na=fmtp:102 apt=55\r\n"
      "a=rtpmap:103 rtx/90000\r\na=fmtp:103 apt=96\r\n"  // a second RTX: the first stays
      "a=rtpmap:104 flexfec-03/90000\r\n");
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(payloads(offer->media[0]), std::vector<int>{96});
  EXPECT_EQ(rtx_payloads(offer->media[0]), std::vector<int>{97});
}

TEST(SdpOffer, StaticPayloadsNeedNoRtpmapAndUnknownDynamicOnesAreSkipped) {
  const auto text = session_offer("m=audio 9 UDP/TLS/RTP/SAVPF 0 8 96 8 13\r\n");
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  ASSERT_EQ(payloads(offer->media[0]), (std::vector<int>{0, 8}));  // duplicate 8 and CN 13 dropped
  EXPECT_EQ(offer->media[0].codecs[0].name, "PCMU");
  EXPECT_EQ(offer->media[0].codecs[1].clock_rate, 8000);
  EXPECT_FALSE(pick_opus(offer->media[0]));
}

TEST(SdpOffer, DataChannelMLineIsKeptWithoutCodecs) {
  const auto text = kMinimal +
                    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                    "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijklmn\r\n"
                    "a=fingerprint:sha-256 AA:BB:CC\r\na=mid:2\r\na=sctp-port:5000\r\n";
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  ASSERT_EQ(offer->media.size(), 2u);
  EXPECT_EQ(offer->media[1].kind, "application");
  EXPECT_EQ(offer->media[1].mid, "2");
  EXPECT_EQ(offer->media[1].index, 1);
  EXPECT_TRUE(offer->media[1].codecs.empty());
}

TEST(SdpOffer, DisabledMLineNeedsNoTransportAndIsNotUsed) {
  // Port 0 without bundle-only: switched off, so no ICE of its own is needed.
  const auto text = kMinimal + "m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_FALSE(offer->sends("video"));
  EXPECT_FALSE(offer->receives("video"));
  EXPECT_TRUE(offer->sends("audio"));
}

TEST(SdpOffer, MediaLevelTransportIsNeededOnEveryMLineWithAPort) {
  const auto text = kMinimal + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
  std::string error;
  EXPECT_FALSE(parse_sdp_offer(text, error));
  EXPECT_NE(error.find("ICE"), std::string::npos) << error;
}

TEST(SdpOffer, SizeLimitIsInclusive) {
  std::string text = kMinimal;
  const std::string pad = "a=x-pad\r\n";
  while (text.size() + pad.size() <= kMaxSdpBytes) text += pad;
  text.append(kMaxSdpBytes - text.size(), ' ');  // trailing blanks on the last line
  ASSERT_EQ(text.size(), kMaxSdpBytes);
  std::string error;
  EXPECT_TRUE(parse_sdp_offer(text, error)) << error;
  text += "\n";
  EXPECT_FALSE(parse_sdp_offer(text, error));
  EXPECT_NE(error.find("too large"), std::string::npos) << error;
}

TEST(SdpOffer, MediaSectionLimitIsInclusive) {
  const std::string section = "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
  std::string text = session_offer("");
  for (size_t i = 0; i < kMaxMediaSections; ++i) text += section;
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(offer->media.size(), kMaxMediaSections);
  EXPECT_EQ(offer->media.back().index, static_cast<int>(kMaxMediaSections) - 1);
  EXPECT_FALSE(parse_sdp_offer(text + section, error));
  EXPECT_NE(error.find("too many m-lines"), std::string::npos) << error;
}

TEST(SdpOffer, WildcardFeedbackFloodStaysCheap) {
  // 128 payloads and as many "a=rtcp-fb:*" lines as fit: bounded work and memory.
  std::string media = "m=video 9 UDP/TLS/RTP/SAVPF";
  for (int pt = 0; pt < 128; ++pt) media += " " + std::to_string(pt);
  media += "\r\n";
  for (int pt = 0; pt < 128; ++pt) media += "a=rtpmap:" + std::to_string(pt) + " V/90000\r\n";
  std::string text = session_offer(media);
  for (int i = 0; text.size() < kMaxSdpBytes - 32; ++i)
    text += "a=rtcp-fb:* f" + std::to_string(i) + "\r\n";
  const double start = cpu_seconds();
  std::string error;
  const auto offer = parse_sdp_offer(text, error);
  const double elapsed = cpu_seconds() - start;
  ASSERT_TRUE(offer) << error;
  EXPECT_EQ(offer->media[0].codecs.size(), 128u);
  EXPECT_EQ(offer->media[0].codecs[127].rtcp_fb.size(), kMaxRtcpFeedbackPerCodec);
  EXPECT_LT(elapsed, 2.0);
}

// ---------------------------------------------------------------- pickers

OfferedCodec codec(int payload, std::string name, std::map<std::string, std::string> fmtp = {}) {
  OfferedCodec c;
  c.payload = payload;
  c.name = std::move(name);
  c.clock_rate = 90000;
  c.fmtp = std::move(fmtp);
  return c;
}

OfferedCodec h264(int payload, std::string profile_level_id, std::string mode = "1") {
  std::map<std::string, std::string> fmtp{{"level-asymmetry-allowed", "1"}};
  if (!profile_level_id.empty()) fmtp["profile-level-id"] = profile_level_id;
  if (!mode.empty()) fmtp["packetization-mode"] = mode;
  return codec(payload, "H264", std::move(fmtp));
}

struct PickCase {
  std::string name;
  std::vector<OfferedCodec> codecs;
  int expected;
};

class PickH264 : public ::testing::TestWithParam<PickCase> {};

TEST_P(PickH264, PicksTheOfferedPayload) {
  OfferedMedia media;
  media.kind = "video";
  media.codecs = GetParam().codecs;
  EXPECT_EQ(payload_of(pick_h264(media)), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PickH264,
    ::testing::Values(
        PickCase{"ConstrainedBaselineBeatsEarlierBaseline",
                 {h264(102, "42001f"), h264(108, "42e01f"), h264(110, "42c01f")},
                 108},
        PickCase{"ConstrainedInOfferOrder", {h264(110, "42c01f"), h264(108, "42e01f")}, 110},
        PickCase{"Constraint4240", {h264(116, "4d001f"), h264(101, "42401f")}, 101},
        PickCase{"BaselineWhenNoConstrained", {h264(116, "4d001f"), h264(102, "42001f")}, 102},
        PickCase{"PacketizationModeZeroNever",
                 {h264(104, "42e01f", "0"), h264(105, "42e01f", ""), h264(106, "42001f", "2")},
                 -1},
        PickCase{"MainAndHighNever",
                 {h264(116, "4d001f"), h264(117, "4d401f"), h264(41, "f4001f"), h264(122, "640c1f"),
                  h264(123, "64e01f")},
                 -1},
        PickCase{"UppercaseHex", {h264(96, "42E01F")}, 96},
        PickCase{"MissingProfileIsBaseline", {h264(97, ""), h264(98, "42e01f")}, 98},
        PickCase{"MissingProfileAlone", {h264(97, "")}, 97},
        PickCase{"MalformedProfileLevelId",
                 {h264(96, "42e0"), h264(97, "42e01f1"), h264(98, "zze01f"), h264(99, "-42e01")},
                 -1},
        PickCase{"NameIsCaseInsensitive", {codec(100, "h264", h264(0, "42e01f").fmtp)}, 100},
        PickCase{"OnlyH264", {codec(96, "VP8", h264(0, "42e01f").fmtp)}, -1},
        PickCase{"Empty", {}, -1}),
    [](const ::testing::TestParamInfo<PickCase>& case_info) { return case_info.param.name; });

TEST(SdpOffer, PickVp8AndOpusTakeTheFirstByName) {
  OfferedMedia video;
  video.codecs = {codec(98, "VP9"), codec(100, "vp8"), codec(96, "VP8")};
  EXPECT_EQ(payload_of(pick_vp8(video)), 100);
  EXPECT_FALSE(pick_opus(video));
  OfferedMedia audio;
  audio.codecs = {codec(0, "PCMU"), codec(109, "OPUS"), codec(111, "opus")};
  EXPECT_EQ(payload_of(pick_opus(audio)), 109);
  EXPECT_FALSE(pick_vp8(audio));
  EXPECT_FALSE(pick_h264(audio));
}

TEST(SdpOffer, DirectionNames) {
  const std::vector<std::pair<Direction, std::string>> names = {{Direction::SendRecv, "sendrecv"},
                                                                {Direction::SendOnly, "sendonly"},
                                                                {Direction::RecvOnly, "recvonly"},
                                                                {Direction::Inactive, "inactive"}};
  for (const auto& [direction, name] : names) EXPECT_EQ(to_string(direction), name);
}

// ---------------------------------------------------------------- malformed input

struct BadCase {
  std::string name;
  std::string text;
  std::string error;  // a part of the expected message
};

std::string binary_bytes() {
  std::string bytes;
  for (int i = 0; i < 512; ++i) bytes += static_cast<char>((i * 37 + 11) % 256);
  return bytes;
}

std::string many_m_lines() {
  std::string text = session_offer("");
  while (text.size() < kMaxSdpBytes - 40) text += "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n";
  return text;
}

const std::vector<BadCase> kBadOffers = {
    {"Empty", "", "no v=0"},
    {"Garbage", "hello, this is not SDP\r\n", "no v=0"},
    {"BinaryBytes", binary_bytes(), "no v=0"},
    {"NulBeforeVersion", std::string("\0v=0\r\n", 6) + kMinimal.substr(5), "no v=0"},
    {"TooBig", std::string(70 * 1024, 'a'), "too large"},
    {"TooBigEvenIfValid", kMinimal + std::string(kMaxSdpBytes, ' '), "too large"},
    {"VersionOnly", "v=0", "no m-line"},
    {"SessionWithoutMedia", session_offer(""), "no m-line"},
    {"MLineWithoutPayloads", minimal_with("SAVPF 111", "SAVPF"), "without payloads"},
    {"MLineTooShort", minimal_with("m=audio 9 UDP/TLS/RTP/SAVPF 111", "m=audio"), "bad m-line"},
    {"MLineBadPort", minimal_with("m=audio 9 ", "m=audio nine "), "bad port"},
    {"MLinePortTooBig", minimal_with("m=audio 9 ", "m=audio 70000 "), "bad port"},
    {"MLineNegativePort", minimal_with("m=audio 9 ", "m=audio -9 "), "bad port"},
    {"MLinePayloadName", minimal_with("SAVPF 111", "SAVPF opus"), "bad payload number in m-line"},
    {"MLinePayload300", minimal_with("SAVPF 111", "SAVPF 111 300"), "out of range"},
    {"MLinePayloadNegative", minimal_with("SAVPF 111", "SAVPF -1"), "bad payload number"},
    {"MLinePayloadHuge", minimal_with("SAVPF 111", "SAVPF 99999999999999999999"), "bad payload"},
    {"RtpmapAbc", minimal_with("a=rtpmap:111 opus/48000/2", "a=rtpmap:abc"), "rtpmap"},
    {"RtpmapNoName", minimal_with("opus/48000/2", "/48000/2"), "without a codec name"},
    {"RtpmapOnlyPayload", minimal_with("111 opus/48000/2", "111"), "without a codec name"},
    {"RtpmapNoClock", minimal_with("opus/48000/2", "opus"), "clock rate"},
    {"RtpmapBadClock", minimal_with("opus/48000/2", "opus/fast"), "clock rate"},
    {"RtpmapZeroChannels", minimal_with("opus/48000/2", "opus/48000/0"), "channels"},
    {"RtpmapPayload300", minimal_with("a=rtpmap:111", "a=rtpmap:300"), "out of range"},
    {"FmtpPayload300", kMinimal + "a=fmtp:300 apt=111\r\n", "out of range"},
    {"RtcpFbPayload300", kMinimal + "a=rtcp-fb:300 nack\r\n", "out of range"},
    {"MissingIceUfrag", minimal_with("a=ice-ufrag:abcd\r\n", ""), "no ICE credentials"},
    {"MissingIcePwd", minimal_with("a=ice-pwd:0123456789abcdefghijklmn\r\n", ""), "ICE"},
    {"EmptyIceUfrag", minimal_with("a=ice-ufrag:abcd", "a=ice-ufrag:"), "ICE"},
    {"MissingFingerprint", minimal_with("a=fingerprint:sha-256 AA:BB:CC\r\n", ""),
     "no DTLS fingerprint"},
    {"FingerprintWithoutValue", minimal_with("sha-256 AA:BB:CC", "sha-256"), "fingerprint"},
    {"HugeNumberOfMLines", many_m_lines(), "too many m-lines"},
};

class BadSdpOffers : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadSdpOffers, RejectedWithAClearError) {
  const double start = cpu_seconds();
  std::string error;
  const auto offer = parse_sdp_offer(GetParam().text, error);
  EXPECT_LT(cpu_seconds() - start, 1.0);
  EXPECT_FALSE(offer) << describe(*offer);
  EXPECT_FALSE(error.empty());
  EXPECT_NE(error.find(GetParam().error), std::string::npos) << error;
  EXPECT_LT(error.size(), 100u) << error;  // short enough to return to the client
}

INSTANTIATE_TEST_SUITE_P(Cases, BadSdpOffers, ::testing::ValuesIn(kBadOffers),
                         [](const ::testing::TestParamInfo<BadCase>& case_info) {
                           return case_info.param.name;
                         });

TEST(SdpOffer, ErrorsNameTheLine) {
  std::string error;
  EXPECT_FALSE(parse_sdp_offer(minimal_with("SAVPF 111", "SAVPF 300"), error));
  EXPECT_EQ(error, "payload number out of range 0..127 in m-line (line 6)");
}

// ---------------------------------------------------------------- fuzz smoke

// Deterministic mutations of the recorded offers, libFuzzer style: only
// "no crash, no hang, and a consistent result" is asserted.
TEST(SdpOfferFuzz, MutatedFixturesNeverCrash) {
  std::vector<std::string> seeds;
  for (const auto& fixture : kFixtures) seeds.push_back(read_fixture(fixture.file));
  std::mt19937 rng(0x5dcafe);  // raw mt19937 output is the same everywhere
  const auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  const auto line_at = [](const std::string& text, size_t pos) {
    const size_t begin = text.rfind('\n', pos);
    const size_t start = begin == std::string::npos ? 0 : begin + 1;
    const size_t end = text.find('\n', pos);
    return std::pair{start, end == std::string::npos ? text.size() : end + 1};
  };
  const std::vector<std::string> numbers = {"300", "-1", "99999999999999999999", "0", "128", ""};

  int accepted = 0, rejected = 0;
  const double start = cpu_seconds();
  for (int i = 0; i < 2000; ++i) {
    std::string text = seeds[static_cast<size_t>(i) % seeds.size()];
    const size_t mutations = 1 + pick(4);
    for (size_t m = 0; m < mutations && !text.empty(); ++m) {
      const size_t pos = pick(text.size());
      switch (pick(7)) {
        case 0:  // truncate
          text.resize(pos);
          break;
        case 1:  // flip one bit
          text[pos] = static_cast<char>(text[pos] ^ (1 << pick(8)));
          break;
        case 2:  // any byte
          text[pos] = static_cast<char>(pick(256));
          break;
        case 3: {  // duplicate a line, sometimes many times
          const auto [begin, end] = line_at(text, pos);
          const std::string line = text.substr(begin, end - begin);
          for (size_t n = 1 + pick(3) * pick(200); n > 0; --n) text.insert(end, line);
          break;
        }
        case 4: {  // delete a line
          const auto [begin, end] = line_at(text, pos);
          text.erase(begin, end - begin);
          break;
        }
        case 5: {  // replace the number under pos
          size_t begin = pos, end = pos;
          while (begin > 0 && std::isdigit(static_cast<unsigned char>(text[begin - 1]))) --begin;
          while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
          text.replace(begin, end - begin, numbers[pick(numbers.size())]);
          break;
        }
        default: {  // splice in a piece of another offer
          const std::string& other = seeds[pick(seeds.size())];
          const size_t from = pick(other.size());
          text.insert(pos, other.substr(from, pick(400)));
          break;
        }
      }
    }

    std::string error;
    const auto offer = parse_sdp_offer(text, error);
    if (!offer) {
      ++rejected;
      EXPECT_FALSE(error.empty());
      continue;
    }
    ++accepted;
    EXPECT_TRUE(error.empty());
    EXPECT_TRUE(offer->has_ice_credentials && offer->has_fingerprint);
    EXPECT_LE(offer->media.size(), kMaxMediaSections);
    for (const auto& media : offer->media) {
      for (const auto& c : media.codecs) {
        EXPECT_TRUE(c.payload >= 0 && c.payload <= 127) << c.payload;
        EXPECT_TRUE(c.rtx_payload >= -1 && c.rtx_payload <= 127) << c.rtx_payload;
        EXPECT_FALSE(c.name.empty());
        EXPECT_LE(c.rtcp_fb.size(), kMaxRtcpFeedbackPerCodec);
      }
      (void)pick_h264(media);
      (void)pick_vp8(media);
      (void)pick_opus(media);
    }
  }
  const double elapsed = cpu_seconds() - start;
  EXPECT_GT(accepted, 100);  // the mutations must leave some offers parseable...
  EXPECT_GT(rejected, 100);  // ...and break others, or the loop tests nothing
  EXPECT_LT(elapsed, 10.0);
}

}  // namespace

// GStreamer's webrtcbin offers port 0 for bundled m-lines after the first,
// without a=bundle-only: they are active, not switched off.
TEST(SdpOfferBundle, PortZeroInTheBundleGroupIsActive) {
  const std::string sdp =
      "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE video0 audio1\r\n"
      "a=ice-ufrag:u\r\na=ice-pwd:p\r\na=fingerprint:sha-256 AA:BB\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 102\r\na=mid:video0\r\na=sendrecv\r\n"
      "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1;profile-level-id=42e01f\r\n"
      "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:audio1\r\na=sendrecv\r\n"
      "a=rtpmap:111 OPUS/48000/2\r\n"
      "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:off\r\na=sendrecv\r\na=rtpmap:0 PCMU/8000\r\n";
  std::string error;
  auto offer = parse_sdp_offer(sdp, error);
  ASSERT_TRUE(offer) << error;
  EXPECT_TRUE(offer->receives("audio"));
  EXPECT_TRUE(offer->sends("audio"));
  EXPECT_TRUE(offer->is_active(offer->media[1]));
  EXPECT_FALSE(offer->is_active(offer->media[2])) << "port 0 outside the bundle: switched off";
}
