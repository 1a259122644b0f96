// Where the tests find the binary and the sources (set by CMake).
#include "tests/support/test_paths.h"

namespace cuttle::test {

const char* cuttleBinary() { return CUTTLE_BINARY; }
const char* sourceDir() { return CUTTLE_SOURCE_DIR; }

}  // namespace cuttle::test
