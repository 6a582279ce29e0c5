// notify::delivery_result: names of the outcomes, for logs and metrics.
#include "daemon/notify/delivery_result.hpp"

namespace kryptod::daemon::notify {

std::string_view to_string(delivery_outcome outcome) noexcept {
    switch (outcome) {
    case delivery_outcome::delivered:
        return "delivered";
    case delivery_outcome::temporary:
        return "temporary";
    case delivery_outcome::permanent:
        return "permanent";
    }
    return "temporary";
}

} // namespace kryptod::daemon::notify
