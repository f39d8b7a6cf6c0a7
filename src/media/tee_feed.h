// A branch fed from a shared tee (the room's H.264 stream, the viewers'
// Opus): one request pad of the tee, linked to the branch's sink. Taking a
// branch off happens in two steps, in this order: unlink() at once (no
// stream lock: a push or query in flight finishes on its own and the tee
// skips the pad from then on), then release() once nothing of the branch can
// be waiting inside it any more (its elements are in NULL). The destructor
// releases. Main loop only.
#pragma once

#include <gst/gst.h>

#include <string>

#include "media/gst_ptr.h"

namespace mixcast {

class TeeFeed {
 public:
  TeeFeed() = default;
  // A new pad of `tee` linked to `sink`; empty with `error` set when the link fails.
  static TeeFeed link(GstElement* tee, GstPad* sink, std::string& error);
  TeeFeed(TeeFeed&&) noexcept = default;
  TeeFeed& operator=(TeeFeed&& other) noexcept;
  ~TeeFeed() { release(); }

  void unlink() { unlink_from_peer(pad_.get()); }
  void release();
  explicit operator bool() const { return pad_ != nullptr; }

 private:
  GstPtr<GstElement> tee_;
  GstPtr<GstPad> pad_;
};

}  // namespace mixcast
