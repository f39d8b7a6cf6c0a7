#include "media/tee_feed.h"

namespace mixcast {

TeeFeed TeeFeed::link(GstElement* tee, GstPad* sink, std::string& error) {
  TeeFeed feed;
  feed.tee_ = ref(tee);
  feed.pad_.reset(gst_element_request_pad_simple(tee, "src_%u"));
  if (!feed.pad_ || gst_pad_link(feed.pad_.get(), sink) != GST_PAD_LINK_OK) {
    error = std::string("cannot link ") + GST_OBJECT_NAME(tee) + " to the branch";
    feed.release();
    return {};
  }
  return feed;
}

TeeFeed& TeeFeed::operator=(TeeFeed&& other) noexcept {
  if (this != &other) {
    release();
    tee_ = std::move(other.tee_);
    pad_ = std::move(other.pad_);
  }
  return *this;
}

void TeeFeed::release() {
  if (pad_) {
    unlink();
    gst_element_release_request_pad(tee_.get(), pad_.get());
  }
  pad_.reset();
  tee_.reset();
}

}  // namespace mixcast
