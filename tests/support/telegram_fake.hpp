// Test support: the fake Telegram Bot API (tests/notify/telegram_bot_api.py)
// as a process the test starts and drives through its standard input, and
// the token file kryptod reads. Every wait is bounded; the process is
// stopped when the object goes.
#pragma once

#include "tests/support/whole_daemon.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <vector>

namespace kryptod::test {

struct telegram_fake {
    static constexpr char const* token = "123456:kryptod-test-token_A1";
    static constexpr char const* username = "kryptod_test_bot";

    piped_process process{{"/usr/bin/python3",
                           (source_dir() / "tests" / "notify" / "telegram_bot_api.py").string(),
                           "--token", token, "--username", username}};
    std::string port;

    telegram_fake() {
        auto const line = process.read_line(std::chrono::seconds(20));
        BOOST_REQUIRE_MESSAGE(line && line->starts_with("READY "),
                              "the fake Bot API did not start");
        port = line->substr(6);
    }

    std::string api_url() const { return "http://127.0.0.1:" + port; }

    // Writes `text` as a token file at `path`; returns the path.
    static std::filesystem::path token_file(std::filesystem::path const& path,
                                            std::string const& text = token) {
        std::ofstream(path) << text << "\n";
        return path;
    }

    // A text message from `chat` to the bot; its update id.
    std::int64_t update(std::int64_t chat, std::string const& text) {
        process.send("update " + std::to_string(chat) + " " + text);
        auto const line = process.read_line(std::chrono::seconds(5));
        BOOST_REQUIRE(line && line->starts_with("UPDATE "));
        return std::stoll(line->substr(7));
    }

    // A command answered "OK".
    void command(std::string const& line) {
        process.send(line);
        auto const answer = process.read_line(std::chrono::seconds(5));
        BOOST_REQUIRE(answer && *answer == "OK");
    }

    boost::json::object stats() {
        process.send("stats");
        auto const line = process.read_line(std::chrono::seconds(5));
        BOOST_REQUIRE(line && line->starts_with("STATS "));
        return boost::json::parse(line->substr(6)).as_object();
    }

    // Every accepted sendMessage, in order: {"chat_id", "text", "at"}.
    std::vector<boost::json::object> messages() {
        process.send("messages");
        auto const head = process.read_line(std::chrono::seconds(5));
        BOOST_REQUIRE(head && head->starts_with("MESSAGES "));
        std::vector<boost::json::object> out(std::stoul(head->substr(9)));
        for (auto& m : out) {
            auto const line = process.read_line(std::chrono::seconds(5));
            BOOST_REQUIRE(line.has_value());
            m = boost::json::parse(*line).as_object();
        }
        return out;
    }

    // The texts sent to `chat`, in order.
    std::vector<std::string> texts_to(std::int64_t chat) {
        std::vector<std::string> out;
        for (auto const& m : messages())
            if (m.at("chat_id").as_int64() == chat) out.emplace_back(m.at("text").as_string());
        return out;
    }

    // The flags that point kryptod at this fake with the token in `file`.
    std::vector<std::string> flags(std::filesystem::path const& file) const {
        return {"--telegram.bot_token_file=" + file.string(), "--telegram.api_url=" + api_url()};
    }
};

} // namespace kryptod::test
