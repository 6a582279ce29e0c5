// The storage test executable: schema, writer, stores, crash safety, backup.
#define BOOST_TEST_MODULE storage
#include <boost/test/unit_test.hpp>
