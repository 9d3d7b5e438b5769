// The one exception type of the core; the bindings map it to irconv.IrconvError.
#pragma once
#include <stdexcept>
#include <string>

namespace irconv {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// IRCONV_CHECK(cond, "message " << x) throws Error with the streamed message.
#define IRCONV_CHECK(cond, msg)                         \
  do {                                                  \
    if (!(cond)) {                                      \
      std::ostringstream irconv_os_;                    \
      irconv_os_ << msg;                                \
      throw ::irconv::Error(irconv_os_.str());          \
    }                                                   \
  } while (0)

}  // namespace irconv
#include <sstream>
