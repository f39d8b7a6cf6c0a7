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

}  // namespace mixcast
