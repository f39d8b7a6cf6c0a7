#include "media/gst_ptr.h"

#include <stdexcept>
#include <string>

namespace mixcast {

GstElement* make_element(const char* factory, const char* name) {
  GstElement* element = gst_element_factory_make(factory, name);
  if (!element)
    throw std::runtime_error(std::string("GStreamer element '") + factory +
                             "' is missing: install the plugin package that provides it");
  return element;
}

GstElement* add_element(GstBin* bin, const char* factory, const char* name) {
  GstElement* element = make_element(factory, name);
  gst_bin_add(bin, element);
  return element;
}

void link_or_throw(GstElement* upstream, GstElement* downstream) {
  if (!gst_element_link(upstream, downstream))
    throw std::runtime_error(std::string("cannot link ") + GST_ELEMENT_NAME(upstream) + " to " +
                             GST_ELEMENT_NAME(downstream));
}

void unlink_from_peer(GstPad* pad) {
  if (!pad) return;
  if (GstPad* peer = gst_pad_get_peer(pad)) {
    if (GST_PAD_IS_SRC(pad))
      gst_pad_unlink(pad, peer);
    else
      gst_pad_unlink(peer, pad);
    gst_object_unref(peer);
  }
}

MiniPtr<GstCaps> pad_caps(GstPad* pad) {
  MiniPtr<GstCaps> caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  return caps;
}

void leave_parent_state(GstElement* element) {
  if (element) gst_element_set_locked_state(element, TRUE);
}

void stop_and_remove(GstBin* bin, GstElement* element) {
  leave_parent_state(element);
  gst_element_set_state(element, GST_STATE_NULL);
  gst_bin_remove(bin, element);
}

size_t count_elements(GstElement* element) {
  if (!element) return 0;
  size_t count = 1;
  if (GST_IS_BIN(element))
    for_each_object<GstElement>(
        gst_bin_iterate_recurse(GST_BIN(element)), [&](GstElement*) { ++count; },
        [&] { count = 1; });
  return count;
}

}  // namespace mixcast
