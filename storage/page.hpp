// storage::page: one page of a list query, as the API's list endpoints return
// it. Invariant: items.size() <= the query's limit; total counts every row the
// query matched, not only this page.
#pragma once

#include <cstdint>
#include <vector>

namespace kryptod::storage {

template <class T>
struct page {
    std::vector<T> items;
    std::int64_t total = 0;
};

// Paging of a list query: `limit` rows after skipping `offset`. The API
// validates the bounds; storage only requires limit >= 0 and offset >= 0.
struct page_request {
    std::int64_t limit = 10;
    std::int64_t offset = 0;
};

} // namespace kryptod::storage
