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

}  // namespace mixcast
