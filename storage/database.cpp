// storage::database: the schema, its migrations and the connection openers.
//
// Conventions of the schema: prices are INTEGER units of 1e-8 (core's fixed
// point), times are INTEGER milliseconds since the Unix epoch (UTC), booleans
// are 0/1 with a CHECK. Tables are STRICT so that a wrong type is an error
// rather than a silent conversion.
#include "storage/database.hpp"

#include "storage/migration_price_mirrors.hpp"

#include <SQLiteCpp/Transaction.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/statvfs.h>
#include <unistd.h>

namespace kryptod::storage {

namespace {

// Migration 1: everything SPEC.md needs.
constexpr std::string_view migration_1 = R"sql(
CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    password_hash  TEXT    NOT NULL,              -- argon2id, PHC string
    role           TEXT    NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    verified       INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    webhook_url    TEXT,
    webhook_secret TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    family      TEXT    NOT NULL,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    rotated_at  INTEGER,                          -- exchanged for a successor
    revoked_at  INTEGER                           -- its family was revoked
) STRICT;
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE email_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  TEXT    NOT NULL UNIQUE,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
) STRICT;
CREATE INDEX email_tokens_by_user ON email_tokens (user_id);

CREATE TABLE coins (
    symbol    TEXT    PRIMARY KEY CHECK (symbol = upper(symbol) AND length(symbol) BETWEEN 1 AND 20),
    added_at  INTEGER NOT NULL
) STRICT;

-- Alerts keep their symbol as text, without a foreign key to coins: history
-- outlives a removed coin, and removing a coin is refused while active alerts
-- use it (checked in the same transaction).
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    symbol           TEXT    NOT NULL,
    target_price     INTEGER NOT NULL CHECK (target_price > 0),
    direction        TEXT    NOT NULL CHECK (direction IN ('above', 'below')),
    name             TEXT    CHECK (name IS NULL OR length(name) <= 200),
    repeat           TEXT    NOT NULL DEFAULT 'once' CHECK (repeat IN ('once', 'every')),
    cooldown_seconds INTEGER NOT NULL DEFAULT 3600 CHECK (cooldown_seconds BETWEEN 60 AND 2592000),
    expires_at       INTEGER,
    channels         INTEGER NOT NULL DEFAULT 1 CHECK (channels BETWEEN 1 AND 3), -- 1 email, 2 webhook
    status           TEXT    NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'triggered', 'disabled', 'expired', 'deleted')),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    armed_at         INTEGER NOT NULL,            -- only later trades may fire it
    triggered_at     INTEGER,
    trigger_price    INTEGER,
    trigger_count    INTEGER NOT NULL DEFAULT 0 CHECK (trigger_count >= 0)
) STRICT;
-- A user's alerts by status, newest first; and all of a user's alerts.
CREATE INDEX alerts_by_user_status ON alerts (user_id, status, id DESC);
CREATE INDEX alerts_by_user ON alerts (user_id, id DESC);
-- Startup loads the armed alerts; coin removal checks for active ones.
CREATE INDEX alerts_armed ON alerts (symbol) WHERE status = 'active';

CREATE TABLE alert_events (
    id            INTEGER PRIMARY KEY,
    alert_id      INTEGER NOT NULL REFERENCES alerts (id),
    type          TEXT    NOT NULL CHECK (type IN ('created', 'updated', 'disabled', 'armed',
                          'triggered', 'notified', 'suppressed', 'expired', 'deleted')),
    time          INTEGER NOT NULL,
    price         INTEGER,                        -- triggered
    exchange_time INTEGER,                        -- triggered
    detected_at   INTEGER,                        -- triggered
    backfilled    INTEGER CHECK (backfilled IN (0, 1)),
    channel       TEXT    CHECK (channel IN ('email', 'webhook')), -- notified, suppressed
    attempt       INTEGER,                        -- notified
    outcome       TEXT,                           -- notified
    CHECK (type <> 'triggered' OR (price IS NOT NULL AND exchange_time IS NOT NULL
                                   AND detected_at IS NOT NULL AND backfilled IS NOT NULL))
) STRICT;
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, id DESC);

-- One row per coin per minute; `minute` is the minute's start.
CREATE TABLE price_samples (
    symbol  TEXT    NOT NULL,
    minute  INTEGER NOT NULL CHECK (minute % 60000 = 0),
    open    INTEGER NOT NULL CHECK (open > 0),
    high    INTEGER NOT NULL,
    low     INTEGER NOT NULL,
    close   INTEGER NOT NULL,
    CHECK (low > 0 AND low <= open AND low <= close AND high >= open AND high >= close),
    PRIMARY KEY (symbol, minute)
) STRICT, WITHOUT ROWID;
-- Retention deletes by age across coins.
CREATE INDEX price_samples_by_minute ON price_samples (minute);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    delivery_id     TEXT    NOT NULL UNIQUE,      -- Message-ID / X-Kryptod-Delivery
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'webhook')),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    alert_id        INTEGER REFERENCES alerts (id), -- NULL for account emails
    payload         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed')),
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_by_user_created ON outbox (user_id, created_at);

CREATE TABLE feed_state (
    symbol          TEXT    PRIMARY KEY,
    last_trade_id   INTEGER NOT NULL,
    last_trade_time INTEGER NOT NULL,
    last_price      INTEGER NOT NULL CHECK (last_price > 0)
) STRICT;
)sql";

// Migration 2: how many alerts each user has, by coin and status, kept by
// triggers in the same statement as the change to `alerts`. A list's `total`
// and the per-user limit of active alerts then read a handful of rows
// instead of counting up to a thousand index entries per request; the
// triggers make the count exact whatever writes the alert (API, fires,
// expiries), and the initial fill makes it exact for an existing file.
// Rows may reach n = 0 and stay: a sum over them is still right.
constexpr std::string_view migration_2 = R"sql(
CREATE TABLE alert_counts (
    user_id  INTEGER NOT NULL,
    symbol   TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    n        INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (user_id, symbol, status)
) STRICT, WITHOUT ROWID;

INSERT INTO alert_counts (user_id, symbol, status, n)
    SELECT user_id, symbol, status, count(*) FROM alerts GROUP BY user_id, symbol, status;

CREATE TRIGGER alert_counts_insert AFTER INSERT ON alerts BEGIN
    INSERT INTO alert_counts (user_id, symbol, status, n)
        VALUES (NEW.user_id, NEW.symbol, NEW.status, 1)
        ON CONFLICT (user_id, symbol, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER alert_counts_update AFTER UPDATE OF user_id, symbol, status ON alerts
WHEN OLD.user_id IS NOT NEW.user_id OR OLD.symbol IS NOT NEW.symbol
     OR OLD.status IS NOT NEW.status BEGIN
    UPDATE alert_counts SET n = n - 1
        WHERE user_id = OLD.user_id AND symbol = OLD.symbol AND status = OLD.status;
    INSERT INTO alert_counts (user_id, symbol, status, n)
        VALUES (NEW.user_id, NEW.symbol, NEW.status, 1)
        ON CONFLICT (user_id, symbol, status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER alert_counts_delete AFTER DELETE ON alerts BEGIN
    UPDATE alert_counts SET n = n - 1
        WHERE user_id = OLD.user_id AND symbol = OLD.symbol AND status = OLD.status;
END;
)sql";

// Migration 3: finished outbox rows by their last change, for the purge of
// notify.retention_days; pending rows (most of the writes) stay out of it.
constexpr std::string_view migration_3 = R"sql(
CREATE INDEX outbox_finished ON outbox (updated_at) WHERE state <> 'pending';
)sql";

// Migration 4: when a user's sessions were last ended (disabled, password
// reset, role changed). Access tokens issued before it are refused, so a
// token from before a lock-out does not work again after the account is
// re-enabled. Milliseconds, always a whole second (a token's iat has whole
// seconds); 0 when never.
constexpr std::string_view migration_4 = R"sql(
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0;
)sql";

// Migration move: move alerts (SPEC §8). An alert has a kind; a move alert
// keeps its percent (hundredths of a percent), window and direction in
// columns of their own, all set for kind 'move' and all NULL for 'price'
// (the CHECK on `kind`, added last, sees the other three). Existing rows
// become price alerts. A move alert's row still fills the price columns,
// whose NOT NULL and CHECKs date from migration 1: SQLite changes a
// column's constraints only by rebuilding the table, which alert_events and
// outbox reference, and that needs foreign keys off, which cannot be
// switched inside the migration's transaction. So a move row holds the
// neutral target_price 1 and direction 'above', which no reader uses for
// kind 'move'. A `triggered` event of a move alert adds the window's low or
// high it was measured from and that trade's exchange time.
constexpr std::string_view migration_move = R"sql(
ALTER TABLE alerts ADD COLUMN move_percent INTEGER CHECK (move_percent BETWEEN 1 AND 100000);
ALTER TABLE alerts ADD COLUMN window_seconds INTEGER CHECK (window_seconds BETWEEN 60 AND 86400);
ALTER TABLE alerts ADD COLUMN move_direction TEXT CHECK (move_direction IN ('up', 'down'));
ALTER TABLE alerts ADD COLUMN kind TEXT NOT NULL DEFAULT 'price'
    CHECK (kind IN ('price', 'move')
           AND (kind = 'move') = (move_percent IS NOT NULL AND window_seconds IS NOT NULL
                                  AND move_direction IS NOT NULL)
           AND (kind = 'move' OR (move_percent IS NULL AND window_seconds IS NULL
                                  AND move_direction IS NULL)));
ALTER TABLE alert_events ADD COLUMN reference_price INTEGER CHECK (reference_price > 0);
ALTER TABLE alert_events ADD COLUMN reference_time INTEGER
    CHECK ((reference_time IS NULL) = (reference_price IS NULL));
)sql";

// Migration prices: what keeps the price history fast and small at scale.
// - price_counts: minutes stored per coin, and price_days: per coin and UTC
//   day, the minutes and the 5- and 15-minute buckets that hold at least one
//   minute. Triggers keep both exact in the statement that inserts or
//   deletes a minute (an upsert that updates a minute changes no count), so
//   a page's `total` and the position of an `offset` are sums over days
//   rather than walks over minutes.
// - price_hours: one-hour candles, written by the rollup for every hour
//   before price_rollup.rolled_until (and for the coins up to `cursor` of the
//   hour at rolled_until, while a rollup of that hour is in progress), kept
//   for prices.hourly_retention_days. `first_minute`/`last_minute` say which
//   minutes the candle has seen, so that a minute merged into it again (a
//   late write after the rollup, or a rollup repeated after a crash) changes
//   nothing that it should not: the merge is idempotent. price_hour_days
//   counts hours and 4-hour buckets per day, like price_days.
// - A minute written below the watermark (a feed gap replayed hours later)
//   is merged into its hour by a trigger, so the hourly table never misses a
//   minute that the minute table holds.
constexpr std::string_view migration_prices = R"sql(
CREATE TABLE price_counts (
    symbol  TEXT    PRIMARY KEY,
    n       INTEGER NOT NULL CHECK (n >= 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE price_days (
    symbol  TEXT    NOT NULL,
    day     INTEGER NOT NULL CHECK (day % 86400000 = 0),
    n1      INTEGER NOT NULL CHECK (n1 >= 0),
    n5      INTEGER NOT NULL CHECK (n5 >= 0),
    n15     INTEGER NOT NULL CHECK (n15 >= 0),
    PRIMARY KEY (symbol, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE price_hours (
    symbol        TEXT    NOT NULL,
    hour          INTEGER NOT NULL CHECK (hour % 3600000 = 0),
    open          INTEGER NOT NULL CHECK (open > 0),
    high          INTEGER NOT NULL,
    low           INTEGER NOT NULL,
    close         INTEGER NOT NULL,
    first_minute  INTEGER NOT NULL,
    last_minute   INTEGER NOT NULL,
    CHECK (low > 0 AND low <= open AND low <= close AND high >= open AND high >= close),
    CHECK (first_minute <= last_minute),
    PRIMARY KEY (symbol, hour)
) STRICT, WITHOUT ROWID;
CREATE INDEX price_hours_by_hour ON price_hours (hour);

CREATE TABLE price_hour_days (
    symbol  TEXT    NOT NULL,
    day     INTEGER NOT NULL CHECK (day % 86400000 = 0),
    n60     INTEGER NOT NULL CHECK (n60 >= 0),
    n240    INTEGER NOT NULL CHECK (n240 >= 0),
    PRIMARY KEY (symbol, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE price_rollup (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    rolled_until  INTEGER NOT NULL CHECK (rolled_until % 3600000 = 0),
    cursor        TEXT    NOT NULL   -- coins <= cursor of that hour are rolled up
) STRICT;
INSERT INTO price_rollup (id, rolled_until, cursor) VALUES (1, 0, '');

INSERT INTO price_counts (symbol, n) SELECT symbol, count(*) FROM price_samples GROUP BY symbol;
INSERT INTO price_days (symbol, day, n1, n5, n15)
    SELECT symbol, minute - minute % 86400000, count(*), count(DISTINCT minute / 300000),
           count(DISTINCT minute / 900000)
    FROM price_samples GROUP BY symbol, minute / 86400000;

CREATE TRIGGER price_samples_counted AFTER INSERT ON price_samples BEGIN
    INSERT INTO price_counts (symbol, n) VALUES (NEW.symbol, 1)
        ON CONFLICT (symbol) DO UPDATE SET n = n + 1;
    INSERT INTO price_days (symbol, day, n1, n5, n15)
        VALUES (NEW.symbol, NEW.minute - NEW.minute % 86400000, 1,
            NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = NEW.symbol
                AND minute >= NEW.minute - NEW.minute % 300000
                AND minute < NEW.minute - NEW.minute % 300000 + 300000 AND minute <> NEW.minute),
            NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = NEW.symbol
                AND minute >= NEW.minute - NEW.minute % 900000
                AND minute < NEW.minute - NEW.minute % 900000 + 900000 AND minute <> NEW.minute))
        ON CONFLICT (symbol, day) DO UPDATE SET n1 = n1 + 1, n5 = n5 + excluded.n5,
            n15 = n15 + excluded.n15;
END;

CREATE TRIGGER price_samples_uncounted AFTER DELETE ON price_samples BEGIN
    UPDATE price_counts SET n = n - 1 WHERE symbol = OLD.symbol;
    UPDATE price_days SET n1 = n1 - 1,
        n5 = n5 - NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = OLD.symbol
            AND minute >= OLD.minute - OLD.minute % 300000
            AND minute < OLD.minute - OLD.minute % 300000 + 300000),
        n15 = n15 - NOT EXISTS (SELECT 1 FROM price_samples WHERE symbol = OLD.symbol
            AND minute >= OLD.minute - OLD.minute % 900000
            AND minute < OLD.minute - OLD.minute % 900000 + 900000)
        WHERE symbol = OLD.symbol AND day = OLD.minute - OLD.minute % 86400000;
    DELETE FROM price_days
        WHERE symbol = OLD.symbol AND day = OLD.minute - OLD.minute % 86400000 AND n1 = 0;
END;

CREATE TRIGGER price_hours_counted AFTER INSERT ON price_hours BEGIN
    INSERT INTO price_hour_days (symbol, day, n60, n240)
        VALUES (NEW.symbol, NEW.hour - NEW.hour % 86400000, 1,
            NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = NEW.symbol
                AND hour >= NEW.hour - NEW.hour % 14400000
                AND hour < NEW.hour - NEW.hour % 14400000 + 14400000 AND hour <> NEW.hour))
        ON CONFLICT (symbol, day) DO UPDATE SET n60 = n60 + 1, n240 = n240 + excluded.n240;
END;

CREATE TRIGGER price_hours_uncounted AFTER DELETE ON price_hours BEGIN
    UPDATE price_hour_days SET n60 = n60 - 1,
        n240 = n240 - NOT EXISTS (SELECT 1 FROM price_hours WHERE symbol = OLD.symbol
            AND hour >= OLD.hour - OLD.hour % 14400000
            AND hour < OLD.hour - OLD.hour % 14400000 + 14400000)
        WHERE symbol = OLD.symbol AND day = OLD.hour - OLD.hour % 86400000;
    DELETE FROM price_hour_days
        WHERE symbol = OLD.symbol AND day = OLD.hour - OLD.hour % 86400000 AND n60 = 0;
END;

-- The merge of one minute into its hour, shared by the two triggers below
-- (SQLite has no procedures): open from the earliest minute seen, close
-- from the latest, the widest range.
CREATE TRIGGER price_samples_late_insert AFTER INSERT ON price_samples
WHEN NEW.minute < (SELECT rolled_until FROM price_rollup)
  OR (NEW.minute < (SELECT rolled_until FROM price_rollup) + 3600000
      AND NEW.symbol <= (SELECT cursor FROM price_rollup)) BEGIN
    INSERT INTO price_hours (symbol, hour, open, high, low, close, first_minute, last_minute)
        VALUES (NEW.symbol, NEW.minute - NEW.minute % 3600000, NEW.open, NEW.high, NEW.low,
                NEW.close, NEW.minute, NEW.minute)
        ON CONFLICT (symbol, hour) DO UPDATE SET
            open = CASE WHEN excluded.first_minute <= first_minute THEN excluded.open ELSE open END,
            close = CASE WHEN excluded.last_minute >= last_minute THEN excluded.close ELSE close END,
            high = max(high, excluded.high), low = min(low, excluded.low),
            first_minute = min(first_minute, excluded.first_minute),
            last_minute = max(last_minute, excluded.last_minute);
END;

CREATE TRIGGER price_samples_late_update AFTER UPDATE ON price_samples
WHEN NEW.minute < (SELECT rolled_until FROM price_rollup)
  OR (NEW.minute < (SELECT rolled_until FROM price_rollup) + 3600000
      AND NEW.symbol <= (SELECT cursor FROM price_rollup)) BEGIN
    INSERT INTO price_hours (symbol, hour, open, high, low, close, first_minute, last_minute)
        VALUES (NEW.symbol, NEW.minute - NEW.minute % 3600000, NEW.open, NEW.high, NEW.low,
                NEW.close, NEW.minute, NEW.minute)
        ON CONFLICT (symbol, hour) DO UPDATE SET
            open = CASE WHEN excluded.first_minute <= first_minute THEN excluded.open ELSE open END,
            close = CASE WHEN excluded.last_minute >= last_minute THEN excluded.close ELSE close END,
            high = max(high, excluded.high), low = min(low, excluded.low),
            first_minute = min(first_minute, excluded.first_minute),
            last_minute = max(last_minute, excluded.last_minute);
END;
)sql";

// Migration channels: the chat and push channels of SPEC §10. The users'
// settings are new columns. The channel CHECKs of alerts, alert_events and
// outbox only widen, to every channel core::channel names (telegram
// included), which no row can violate; SQLite cannot ALTER a CHECK, and
// rebuilding `alerts` would drop the rows its children reference, so the
// three table definitions are edited in place, the documented way for a
// change that leaves the stored rows as they are
// (https://sqlite.org/lang_altertable.html#otheralter). RESET makes this
// connection read the edited schema; the ALTERs after it change the schema
// cookie, so every other connection reads it too.
constexpr std::string_view migration_channels = R"sql(
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, 'CHECK (channels BETWEEN 1 AND 3), -- 1 email, 2 webhook',
                     'CHECK (channels BETWEEN 1 AND 63), -- bits of core::channel')
 WHERE type = 'table' AND name = 'alerts';
UPDATE sqlite_schema
   SET sql = replace(sql, 'channel IN (''email'', ''webhook'')',
                     'channel IN (''email'', ''webhook'', ''telegram'', ''discord'', ''slack'', ''ntfy'')')
 WHERE type = 'table' AND name IN ('alert_events', 'outbox');
PRAGMA writable_schema = RESET;
ALTER TABLE users ADD COLUMN discord_webhook_url TEXT;
ALTER TABLE users ADD COLUMN slack_webhook_url TEXT;
ALTER TABLE users ADD COLUMN ntfy_url TEXT;
ALTER TABLE users ADD COLUMN ntfy_token TEXT;
)sql";

// Telegram (SPEC §10): single-use link codes (hashes only, 15 minutes), each
// user's linked chat (one chat per user, one user per chat), and the
// getUpdates offset, one row, written with what each update changed. The
// channel CHECKs already name telegram (migration_channels).
constexpr std::string_view migration_telegram = R"sql(
CREATE TABLE telegram_codes (
    code_hash  TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX telegram_codes_user ON telegram_codes (user_id);
CREATE TABLE telegram_chats (
    user_id   INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    chat_id   INTEGER NOT NULL UNIQUE,
    linked_at INTEGER NOT NULL
);
CREATE TABLE telegram_offset (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    next_update INTEGER NOT NULL
);
)sql";

constexpr std::array all_migrations{
    migration_1,        migration_2,        migration_3,
    migration_4,        migration_move,     migration_prices,
    migration_channels, migration_telegram, migration_price_mirrors};

void apply_connection_pragmas(SQLite::Database& db) {
    db.exec("PRAGMA foreign_keys = ON");
    // FULL: the WAL is fsynced at every commit, so an acknowledged write
    // survives a power loss, not only a process crash (NORMAL would not).
    db.exec("PRAGMA synchronous = FULL");
    // Each writer job runs in a SAVEPOINT, whose undo journal would otherwise
    // be a temporary file written page by page: in memory it costs nothing.
    db.exec("PRAGMA temp_store = MEMORY");
}

} // namespace

std::span<std::string_view const> migrations() noexcept {
    return all_migrations;
}

int latest_schema_version() noexcept {
    return static_cast<int>(all_migrations.size());
}

int schema_version(SQLite::Database& db) {
    return db.execAndGet("PRAGMA user_version").getInt();
}

void migrate(SQLite::Database& db, int target) {
    if (target < 0 || target > latest_schema_version())
        throw std::runtime_error("kryptod knows schema versions 0 to " +
                                 std::to_string(latest_schema_version()) + ", not " +
                                 std::to_string(target));
    // IMMEDIATE takes the write lock before reading user_version, so two
    // processes migrating the same file cannot both apply a step.
    for (;;) {
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        int const current = schema_version(db);
        if (current > target)
            throw std::runtime_error(
                "database " + db.getFilename() + " has schema version " + std::to_string(current) +
                ", newer than the " + std::to_string(target) +
                " this kryptod knows; refusing to touch it (upgrade kryptod or restore a backup)");
        if (current == target) return;
        db.exec(std::string(all_migrations[static_cast<std::size_t>(current)]));
        db.exec("PRAGMA user_version = " + std::to_string(current + 1));
        tx.commit();
    }
}

void create_private_file(std::filesystem::path const& path) {
    // O_EXCL: an existing file is left as it is (its mode is the
    // operator's); a new one gets at most 0600 whatever the umask, since it
    // holds password hashes and tokens.
    int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::close(fd);
        return;
    }
    if (errno != EEXIST)
        throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
}

SQLite::Database open_database(std::filesystem::path const& path, open_options const& options) {
    // SQLite would create a missing file with 0644; made here first, it is
    // 0600, and SQLite gives the -wal and -shm files the mode of the main
    // file, so all three are private.
    create_private_file(path);
    // NOMUTEX: a connection is used by one thread at a time (the writer's),
    // so SQLite's per-call locking would only cost time.
    SQLite::Database db(path.string(),
                        SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                        options.busy_timeout_ms, options.vfs);
    std::string const mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal")
        throw std::runtime_error("cannot put database " + path.string() +
                                 " in WAL mode (journal_mode is " + mode + ")");
    apply_connection_pragmas(db);
    // Checkpoint every 10,000 WAL pages (about 40 MiB) rather than SQLite's
    // 1,000: a checkpoint copies each page once however many commits rewrote
    // it, and the pages every create touches (the tails of the alert and
    // event tables and their indexes) are rewritten by nearly every commit,
    // so fewer, larger checkpoints copy far fewer pages.
    db.exec("PRAGMA wal_autocheckpoint = 10000");
    migrate(db);
    return db;
}

SQLite::Database open_reader(std::filesystem::path const& path, open_options const& options) {
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX,
                        options.busy_timeout_ms, options.vfs);
    db.exec("PRAGMA query_only = ON");
    int const version = schema_version(db);
    if (version != latest_schema_version())
        throw std::runtime_error("database " + path.string() + " has schema version " +
                                 std::to_string(version) + ", this kryptod reads version " +
                                 std::to_string(latest_schema_version()));
    return db;
}

std::optional<std::string> check_writable(std::filesystem::path const& path) {
    // SQLite writes the -wal and -shm files next to the database, so the
    // directory must be writable as well as the file.
    auto const dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    if (::access(path.c_str(), W_OK) != 0)
        return "database file " + path.string() + " is not writable: " + std::strerror(errno);
    if (::access(dir.c_str(), W_OK) != 0)
        return "database directory " + dir.string() + " is not writable: " + std::strerror(errno);
    struct statvfs fs {};
    if (::statvfs(dir.c_str(), &fs) != 0)
        return "cannot stat the database's file system: " + std::string(std::strerror(errno));
    // Room for a few group commits of WAL frames; below that writes are
    // about to fail with SQLITE_FULL.
    constexpr unsigned long long min_free = 4ull << 20;
    if (static_cast<unsigned long long>(fs.f_bavail) * fs.f_frsize < min_free)
        return "no space left on the database's file system (under 4 MiB free)";
    return std::nullopt;
}

} // namespace kryptod::storage
