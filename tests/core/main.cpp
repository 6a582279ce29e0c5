// The core_tests executable: Boost.Test module of the tests of core/.
#define BOOST_TEST_MODULE core
#include <boost/test/unit_test.hpp>
