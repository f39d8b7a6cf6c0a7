// SDP negotiation against the real server: recorded browser offers
// (tests/unit/data/sdp) and variants rewritten from them are POSTed to WHIP
// (publishers) or WHEP (recvonly viewers), and the answer is checked against
// the offer it answers. Runs inside tests/tools/netns-run like webrtc/whip:
// the server gathers ICE candidates before it answers.
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "live_room_config.h"
#include "test_support.h"

namespace mt = mixcast::testing;

namespace {

std::string lowered(std::string s) {
  std::ranges::transform(s, s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// ---------------------------------------------------------------------------
// A description read with GstSDP, reduced to what the checks look at.

struct Codec {
  std::string name;  // lower case: "h264", "vp8", "opus", "rtx", ...
  int clock_rate = 0;
  std::map<std::string, std::string> fmtp;
};

struct Section {
  std::string kind;
  int port = 0;
  std::string mid;
  std::string direction;  // media level, else session level, else sendrecv
  bool bundle_only = false;
  std::vector<int> payloads;  // m-line order
  std::map<int, Codec> codecs;
  bool has(int pt) const { return std::ranges::find(payloads, pt) != payloads.end(); }
};

struct Description {
  bool parsed = false;
  std::vector<std::string> bundle;  // the mids of a=group:BUNDLE
  bool has_ice = false;
  bool has_fingerprint = false;
  std::vector<Section> media;
  bool bundled(const std::string& mid) const {
    return std::ranges::find(bundle, mid) != bundle.end();
  }
};

std::map<std::string, std::string> parse_fmtp(const std::string& params) {
  std::map<std::string, std::string> out;
  std::stringstream in(params);
  std::string item;
  while (std::getline(in, item, ';')) {
    item.erase(0, item.find_first_not_of(' '));
    const auto eq = item.find('=');
    if (eq == std::string::npos)
      out[lowered(item)] = "";  // e.g. RED's "111/111", telephone-event's "0-15"
    else
      out[lowered(item.substr(0, eq))] = item.substr(eq + 1);
  }
  return out;
}

Description parse(const std::string& text) {
  Description out;
  GstSDPMessage* sdp = nullptr;
  gst_sdp_message_new(&sdp);
  std::unique_ptr<GstSDPMessage, decltype(&gst_sdp_message_free)> owner(sdp, &gst_sdp_message_free);
  if (gst_sdp_message_parse_buffer(reinterpret_cast<const guint8*>(text.data()), guint(text.size()),
                                   sdp) != GST_SDP_OK ||
      gst_sdp_message_medias_len(sdp) == 0)
    return out;
  out.parsed = true;
  std::string session_direction = "sendrecv";
  for (guint i = 0; i < gst_sdp_message_attributes_len(sdp); ++i) {
    const GstSDPAttribute* a = gst_sdp_message_get_attribute(sdp, i);
    const std::string key = a->key ? a->key : "";
    const std::string value = a->value ? a->value : "";
    if (key == "group" && value.rfind("BUNDLE", 0) == 0) {
      std::stringstream words(value.substr(6));
      for (std::string mid; words >> mid;) out.bundle.push_back(mid);
    } else if (key == "sendrecv" || key == "sendonly" || key == "recvonly" || key == "inactive") {
      session_direction = key;
    } else if (key == "ice-ufrag") {
      out.has_ice = true;
    } else if (key == "fingerprint") {
      out.has_fingerprint = true;
    }
  }
  for (guint m = 0; m < gst_sdp_message_medias_len(sdp); ++m) {
    const GstSDPMedia* media = gst_sdp_message_get_media(sdp, m);
    Section section;
    section.kind = gst_sdp_media_get_media(media);
    section.port = int(gst_sdp_media_get_port(media));
    section.direction = session_direction;
    for (guint f = 0; f < gst_sdp_media_formats_len(media); ++f)
      section.payloads.push_back(std::atoi(gst_sdp_media_get_format(media, f)));
    for (guint i = 0; i < gst_sdp_media_attributes_len(media); ++i) {
      const GstSDPAttribute* a = gst_sdp_media_get_attribute(media, i);
      const std::string key = a->key ? a->key : "";
      const std::string value = a->value ? a->value : "";
      if (key == "mid") {
        section.mid = value;
      } else if (key == "sendrecv" || key == "sendonly" || key == "recvonly" || key == "inactive") {
        section.direction = key;
      } else if (key == "bundle-only") {
        section.bundle_only = true;
      } else if (key == "ice-ufrag") {
        out.has_ice = true;
      } else if (key == "fingerprint") {
        out.has_fingerprint = true;
      } else if (key == "rtpmap" || key == "fmtp") {
        const auto space = value.find(' ');
        if (space == std::string::npos) continue;
        Codec& codec = section.codecs[std::atoi(value.c_str())];
        const std::string rest = value.substr(space + 1);
        if (key == "rtpmap") {
          const auto slash = rest.find('/');
          codec.name = lowered(rest.substr(0, slash));
          if (slash != std::string::npos) codec.clock_rate = std::atoi(rest.c_str() + slash + 1);
        } else {
          codec.fmtp = parse_fmtp(rest);
        }
      }
    }
    out.media.push_back(std::move(section));
  }
  return out;
}

// ---------------------------------------------------------------------------
// Rewriting a recorded offer into a variant.

struct Lines {
  std::vector<std::string> session;
  std::vector<std::vector<std::string>> media;  // each starts with its m= line
};

Lines split(const std::string& sdp) {
  Lines out;
  std::stringstream in(sdp);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.rfind("m=", 0) == 0) out.media.emplace_back();
    (out.media.empty() ? out.session : out.media.back()).push_back(line);
  }
  return out;
}

std::string join(const Lines& lines) {
  std::string out;
  for (const auto& l : lines.session) out += l + "\r\n";
  for (const auto& section : lines.media)
    for (const auto& l : section) out += l + "\r\n";
  return out;
}

std::string mid_of(const std::vector<std::string>& section) {
  for (const auto& l : section)
    if (l.rfind("a=mid:", 0) == 0) return l.substr(6);
  return "";
}

// Keeps only the m-sections of `kind` and the BUNDLE group in step.
std::string only(const std::string& sdp, const std::string& kind) {
  Lines lines = split(sdp);
  std::erase_if(lines.media, [&](const auto& s) { return s[0].rfind("m=" + kind, 0) != 0; });
  std::string group = "a=group:BUNDLE";
  for (const auto& s : lines.media) group += " " + mid_of(s);
  for (auto& l : lines.session)
    if (l.rfind("a=group:BUNDLE", 0) == 0) l = group;
  return join(lines);
}

// Port 0 and a=bundle-only on every m-section of `kind` (what Firefox does to
// all but the first bundled section).
std::string bundle_only(const std::string& sdp, const std::string& kind) {
  Lines lines = split(sdp);
  for (auto& s : lines.media) {
    if (s[0].rfind("m=" + kind, 0) != 0) continue;
    std::stringstream m(s[0]);
    std::string media, port, rest;
    m >> media >> port;
    std::getline(m, rest);
    s[0] = media + " 0" + rest;
    std::erase(s, "a=bundle-only");
    s.insert(s.begin() + 1, "a=bundle-only");
  }
  return join(lines);
}

// Renumbers payload types in the m-sections of `kind`: the m= line, rtpmap,
// fmtp and rtcp-fb lines, RTX apt= and RED's "pt/pt". `map` must be a
// permutation of the numbers it touches (swap, or move to an unused number).
std::string renumber(const std::string& sdp, const std::string& kind,
                     const std::map<int, int>& map) {
  auto to = [&](const std::string& number) {
    const auto it = map.find(std::atoi(number.c_str()));
    return it == map.end() ? number : std::to_string(it->second);
  };
  Lines lines = split(sdp);
  for (auto& s : lines.media) {
    if (s[0].rfind("m=" + kind, 0) != 0) continue;
    std::stringstream m(s[0]);
    std::string word, out;
    for (int i = 0; m >> word; ++i) out += (i ? " " : "") + (i >= 3 ? to(word) : word);
    s[0] = out;
    for (auto& l : s) {
      for (const char* prefix : {"a=rtpmap:", "a=fmtp:", "a=rtcp-fb:"}) {
        if (l.rfind(prefix, 0) != 0) continue;
        const size_t at = std::string(prefix).size();
        const size_t end = l.find(' ', at);
        const std::string pt = l.substr(at, end - at);
        std::string params = end == std::string::npos ? "" : l.substr(end);
        if (std::string(prefix) == "a=fmtp:") {
          if (const auto apt = params.find("apt="); apt != std::string::npos) {
            const size_t stop = params.find_first_of("; ", apt);
            params = params.substr(0, apt + 4) + to(params.substr(apt + 4, stop - apt - 4)) +
                     (stop == std::string::npos ? "" : params.substr(stop));
          } else if (params.find('/') != std::string::npos &&
                     params.find('=') == std::string::npos) {
            std::string red = " ";
            std::stringstream parts(params.substr(1));
            for (std::string p; std::getline(parts, p, '/');)
              red += (red.size() > 1 ? "/" : "") + to(p);
            params = red;
          }
        }
        l = prefix + (pt == "*" ? pt : to(pt)) + params;
      }
    }
  }
  return join(lines);
}

std::string fixture(const std::string& name) {
  return mt::read_file(mt::source_root() + "/tests/unit/data/sdp/" + name);
}

// ---------------------------------------------------------------------------
// The cases.

struct Case {
  std::string name;
  std::string endpoint;  // "whip" or "whep"
  std::function<std::string()> offer;
  // Payload numbers (per mid) that must be in the answer, beyond the generic
  // checks: the variants that move codecs to unusual numbers say where.
  std::map<std::string, std::vector<int>> must_answer = {};
};

std::vector<Case> cases() {
  auto file = [](std::string name) { return [name] { return fixture(name); }; };
  return {
      {"ChromeSendrecvVp8First", "whip", file("chrome-sendrecv-av.sdp")},
      {"ChromeSendrecvH264First", "whip", file("chrome-sendrecv-av-h264-first.sdp")},
      {"ChromeSendrecvAudioOnly", "whip", file("chrome-sendrecv-audio-only.sdp")},
      {"ChromeSendonlyVideoOnly", "whip", file("chrome-sendonly-video-only.sdp")},
      {"ChromeRecvonlyWhep", "whep", file("chrome-recvonly-whep.sdp")},
      // Opus 109, VP8 120 and no H.264; the video m-line is bundle-only.
      {"FirefoxSendrecvVp8Only",
       "whip",
       file("firefox-sendrecv-av.sdp"),
       {{"0", {109}}, {"1", {120}}}},
      {"FirefoxRecvonlyWhep",
       "whep",
       file("firefox-recvonly-whep.sdp"),
       {{"0", {109}}, {"1", {120}}}},
      // Odd numbers: the constrained-baseline H.264 (108) moves to 125 and
      // Opus swaps with RED to 63.
      {"OddPayloadNumbers",
       "whip",
       [] {
         return renumber(
             renumber(fixture("chrome-sendrecv-av-h264-first.sdp"), "video", {{108, 125}}), "audio",
             {{111, 63}, {63, 111}});
       },
       {{"0", {63}}, {"1", {125}}}},
      // Each half of it alone: H.264 at 125 (inside the payloaders' dynamic
      // range) and Opus at 63 (below it, where Chrome puts RED).
      {"H264At125",
       "whip",
       [] {
         return renumber(fixture("chrome-sendrecv-av-h264-first.sdp"), "video", {{108, 125}});
       },
       {{"1", {125}}}},
      {"OpusAt63",
       "whip",
       [] {
         return renumber(fixture("chrome-sendrecv-av-h264-first.sdp"), "audio",
                         {{111, 63}, {63, 111}});
       },
       {{"0", {63}}}},
      {"OddPayloadNumbersWhep",
       "whep",
       [] {
         return renumber(
             renumber(fixture("chrome-recvonly-whep.sdp"), "video", {{108, 125}, {102, 121}}),
             "audio", {{111, 63}, {63, 111}});
       },
       {{"0", {63}}, {"1", {125}}}},
      {"BundleOnlyVideo", "whip",
       [] { return bundle_only(fixture("chrome-sendrecv-av-h264-first.sdp"), "video"); }},
      {"BundleOnlyVideoWhep", "whep",
       [] { return bundle_only(fixture("chrome-recvonly-whep.sdp"), "video"); }},
      // One m-line each, keeping the mid it had (1 for video: not the first).
      {"AudioOnlyFromFirefox",
       "whip",
       [] { return only(fixture("firefox-sendrecv-av.sdp"), "audio"); },
       {{"0", {109}}}},
      {"VideoOnlySendrecv", "whip",
       [] { return only(fixture("chrome-sendrecv-av-h264-first.sdp"), "video"); }},
      {"VideoOnlyWhep", "whep", [] { return only(fixture("chrome-recvonly-whep.sdp"), "video"); }},
      {"AudioOnlyWhep", "whep", [] { return only(fixture("chrome-recvonly-whep.sdp"), "audio"); }},
  };
}

std::string complement(const std::string& direction) {
  if (direction == "sendonly") return "recvonly";
  if (direction == "recvonly") return "sendonly";
  return direction;  // sendrecv, inactive
}

bool h264_mode1(const Codec& codec) {
  const auto it = codec.fmtp.find("packetization-mode");
  return codec.name == "h264" && it != codec.fmtp.end() && it->second == "1";
}

// The media codecs the server may answer with; the rest only go along.
bool is_media_codec(const std::string& name) {
  return name != "rtx" && name != "red" && name != "ulpfec" && name != "flexfec-03" &&
         name != "telephone-event" && name != "cn";
}

// gtest prints the case by name, not as bytes.
void PrintTo(const Case& c, std::ostream* os) {
  *os << c.name;
}

// One server per case: a case that breaks the server (or a session that
// cannot be deleted, see DeleteBeforeMediaKeepsTheServerServing) leaves the
// others unharmed.
class Negotiation : public ::testing::TestWithParam<Case> {
 protected:
  static void SetUpTestSuite() { gst_init(nullptr, nullptr); }
  void SetUp() override {
    server_ = std::make_unique<mt::ServerUnderTest>("negotiation");
    started_ = server_->start(mt::live_room_config({.layout = "grid", .recording = false}));
  }
  std::unique_ptr<mt::ServerUnderTest> server_;
  bool started_ = false;
};

TEST_P(Negotiation, AnswerMatchesTheOffer) {
  ASSERT_TRUE(started_) << server_->log();
  const Case& c = GetParam();
  const std::string offer_text = c.offer();
  const Description offer = parse(offer_text);
  ASSERT_TRUE(offer.parsed) << offer_text;

  const auto response = mt::http_request("POST", server_->port(), "/" + c.endpoint + "/live",
                                         offer_text, "application/sdp");
  // No DELETE afterwards: the server goes with the case.
  ASSERT_EQ(response.status, 201) << response.body << "\noffer:\n" << offer_text;
  EXPECT_EQ(response.headers.at("content-type"), "application/sdp");
  const Description answer = parse(response.body);
  ASSERT_TRUE(answer.parsed) << response.body;
  SCOPED_TRACE("answer:\n" + response.body);

  EXPECT_FALSE(answer.bundle.empty()) << "a=group:BUNDLE";
  EXPECT_TRUE(answer.has_ice) << "ICE credentials";
  EXPECT_TRUE(answer.has_fingerprint) << "DTLS fingerprint";
  ASSERT_EQ(answer.media.size(), offer.media.size()) << "every offered m-line is answered";
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const Section& o = offer.media[i];
    const Section& a = answer.media[i];
    SCOPED_TRACE("m-line " + std::to_string(i) + " (" + o.kind + ", mid " + o.mid + ")");
    EXPECT_EQ(a.kind, o.kind) << "in order";
    EXPECT_EQ(a.mid, o.mid);
    if (offer.bundled(o.mid)) {
      EXPECT_NE(a.port, 0) << "a bundled m-line is not rejected";
      EXPECT_TRUE(answer.bundled(a.mid)) << "and stays in the answer's BUNDLE group";
    }
    EXPECT_EQ(a.direction, complement(o.direction));

    // Every payload number answered is the offer's, for the same codec.
    bool sends_h264 = false, sends_vp8 = false, sends_opus = false;
    for (int pt : a.payloads) {
      SCOPED_TRACE("payload " + std::to_string(pt));
      ASSERT_TRUE(o.has(pt)) << "not in the offer";
      const auto offered = o.codecs.find(pt);
      const auto answered = a.codecs.find(pt);
      ASSERT_NE(offered, o.codecs.end()) << "the offer maps it";
      if (answered != a.codecs.end() && !answered->second.name.empty()) {
        EXPECT_EQ(answered->second.name, offered->second.name);
        EXPECT_EQ(answered->second.clock_rate, offered->second.clock_rate);
      }
      const Codec& codec = offered->second;
      if (is_media_codec(codec.name)) {
        EXPECT_TRUE(h264_mode1(codec) || codec.name == "vp8" || codec.name == "opus")
            << codec.name << ": only H.264 packetization-mode=1, VP8 and Opus";
      } else if (codec.name == "rtx") {
        const auto apt = codec.fmtp.find("apt");
        ASSERT_NE(apt, codec.fmtp.end());
        EXPECT_TRUE(a.has(std::atoi(apt->second.c_str())))
            << "RTX for a payload that is not answered";
      }
      sends_h264 = sends_h264 || h264_mode1(codec);
      sends_vp8 = sends_vp8 || codec.name == "vp8";
      sends_opus = sends_opus || codec.name == "opus";
    }
    // The codec the server sends back, when it sends.
    const bool server_sends = a.direction == "sendrecv" || a.direction == "sendonly";
    const bool offers_h264 =
        std::ranges::any_of(o.codecs, [](const auto& p) { return h264_mode1(p.second); });
    if (server_sends && o.kind == "video") {
      if (offers_h264) {
        EXPECT_TRUE(sends_h264) << "H.264 packetization-mode=1 goes back";
      } else {
        EXPECT_TRUE(sends_vp8) << "no H.264 offered: VP8 goes back";
      }
    }
    if (o.kind == "audio") {
      EXPECT_TRUE(sends_opus) << "Opus";
    }
    if (o.kind == "video") {
      EXPECT_TRUE(sends_h264 || sends_vp8) << "a video codec";
    }
    if (const auto must = c.must_answer.find(o.mid); must != c.must_answer.end()) {
      for (int pt : must->second) {
        EXPECT_TRUE(a.has(pt)) << "payload " << pt << " is answered";
      }
    }
  }
  EXPECT_TRUE(server_->process()->running()) << server_->log();
  EXPECT_EQ(server_->get("/healthz").status, 200) << "still serving";
}

INSTANTIATE_TEST_SUITE_P(Offers, Negotiation, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& param) {
                           return param.param.name;
                         });

// A peer that negotiates and leaves before any media flowed (the browser
// tab closed during ICE): DELETE ends the session and the server serves on.
// GSTREAMER-NOTES: the 1.22.0 leave-before-media deadlock.
TEST_F(Negotiation, DeleteBeforeMediaKeepsTheServerServing) {
  ASSERT_TRUE(started_) << server_->log();
  for (const char* file : {"chrome-sendrecv-av-h264-first.sdp", "chrome-recvonly-whep.sdp"}) {
    SCOPED_TRACE(file);
    const std::string endpoint =
        std::string(file).find("whep") != std::string::npos ? "whep" : "whip";
    const auto response = mt::http_request("POST", server_->port(), "/" + endpoint + "/live",
                                           fixture(file), "application/sdp");
    ASSERT_EQ(response.status, 201) << response.body;
    const std::string location = response.headers.at("location");
    const auto deleted =
        mt::http_request("DELETE", server_->port(), location, "", "", "127.0.0.1", 5);
    ASSERT_EQ(deleted.status, 200) << "0: no answer within 5 s (the server hangs)";
    EXPECT_EQ(server_->get("/healthz").status, 200) << "the server still serves";
    EXPECT_TRUE(mt::wait_until(
        [&] { return server_->get("/api/v1/rooms/live").body.find("guest") == std::string::npos; },
        5))
        << server_->get("/api/v1/rooms/live").body;
  }
}

// The rewriting helpers do what the cases rely on.
TEST(NegotiationHelpers, RenumberMovesEveryReference) {
  const std::string sdp =
      "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\na=rtpmap:111 opus/48000/2\r\n"
      "a=fmtp:111 minptime=10\r\na=rtcp-fb:111 transport-cc\r\na=rtpmap:63 red/48000/2\r\n"
      "a=fmtp:63 111/111\r\nm=video 9 UDP/TLS/RTP/SAVPF 108 109\r\n"
      "a=rtpmap:108 H264/90000\r\na=rtpmap:109 rtx/90000\r\na=fmtp:109 apt=108\r\n";
  const std::string out =
      renumber(renumber(sdp, "audio", {{111, 63}, {63, 111}}), "video", {{108, 125}});
  EXPECT_EQ(out,
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 63 111\r\na=rtpmap:63 opus/48000/2\r\n"
            "a=fmtp:63 minptime=10\r\na=rtcp-fb:63 transport-cc\r\na=rtpmap:111 red/48000/2\r\n"
            "a=fmtp:111 63/63\r\nm=video 9 UDP/TLS/RTP/SAVPF 125 109\r\n"
            "a=rtpmap:125 H264/90000\r\na=rtpmap:109 rtx/90000\r\na=fmtp:109 apt=125\r\n");
}

TEST(NegotiationHelpers, OnlyAndBundleOnly) {
  const std::string sdp =
      "v=0\r\na=group:BUNDLE 0 1\r\nm=audio 5 X 111\r\na=mid:0\r\nm=video 7 X 96\r\n"
      "c=IN IP4 0.0.0.0\r\na=mid:1\r\n";
  EXPECT_EQ(only(sdp, "video"),
            "v=0\r\na=group:BUNDLE 1\r\nm=video 7 X 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n");
  EXPECT_EQ(bundle_only(sdp, "video"),
            "v=0\r\na=group:BUNDLE 0 1\r\nm=audio 5 X 111\r\na=mid:0\r\nm=video 0 X 96\r\n"
            "a=bundle-only\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\n");
}

}  // namespace
