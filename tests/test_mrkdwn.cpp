#include <catch2/catch.hpp>

#include <string>

#include "core/mrkdwn.hpp"

using opsbot::mrkdwn_to_plain;

TEST_CASE("mrkdwn: links show their label, then their address", "[mrkdwn]") {
    CHECK(mrkdwn_to_plain("building <https://ci.example.com/job/x/14/|build #14> now") ==
          "building build #14 (https://ci.example.com/job/x/14/) now");
    CHECK(mrkdwn_to_plain("see <http://x.example>") == "see http://x.example");
    CHECK(mrkdwn_to_plain("<https://a.example/|https://a.example/>") == "https://a.example/");
    CHECK(mrkdwn_to_plain("<mailto:ops@example.com|ops@example.com>") == "ops@example.com");
    CHECK(mrkdwn_to_plain("<https://a.example/?a=1&amp;b=2|A &amp; B>") ==
          "A & B (https://a.example/?a=1&b=2)");
    // A link without a scheme, as the dry run shows $JENKINS_URL.
    CHECK(mrkdwn_to_plain("<$JENKINS_URL/job/x/|x>") == "x ($JENKINS_URL/job/x/)");
}

TEST_CASE("mrkdwn: mentions of people, channels, groups and everyone", "[mrkdwn]") {
    CHECK(mrkdwn_to_plain("asked by <@U02BOB0002>") == "asked by @U02BOB0002");
    CHECK(mrkdwn_to_plain("asked by <@U02BOB0002|bob>") == "asked by @bob");
    CHECK(mrkdwn_to_plain("in <#C01OPS|ops> and <#C02DEV>") == "in #ops and #C02DEV");
    CHECK(mrkdwn_to_plain("<!subteam^S01OPS0001|@ops> <!subteam^S01OPS0001|ops>") == "@ops @ops");
    CHECK(mrkdwn_to_plain("<!subteam^S01OPS0001>") == "@S01OPS0001");
    CHECK(mrkdwn_to_plain("<!here> <!channel> <!everyone>") == "@here @channel @everyone");
    CHECK(mrkdwn_to_plain("<!date^1392734382^{date} at {time}|Feb 18, 2014>") == "Feb 18, 2014");
}

TEST_CASE("mrkdwn: bold, italic, strike and code lose their markers", "[mrkdwn]") {
    CHECK(mrkdwn_to_plain("*Deploy acme to prod*") == "Deploy acme to prod");
    CHECK(mrkdwn_to_plain("_alerts_") == "alerts");
    CHECK(mrkdwn_to_plain("~old~ new") == "old new");
    CHECK(mrkdwn_to_plain("type `confirm 5fe4884d` or `cancel 5fe4884d`.") ==
          "type confirm 5fe4884d or cancel 5fe4884d.");
    CHECK(mrkdwn_to_plain("🚀 Deploying *acme stage* (`develop`).") ==
          "🚀 Deploying acme stage (develop).");
    CHECK(mrkdwn_to_plain("*_both_*, (*in brackets*)") == "both, (in brackets)");
    CHECK(mrkdwn_to_plain("*New project `acme-shop`*: x") == "New project acme-shop: x");
    CHECK(mrkdwn_to_plain("*<https://s.example/i/1|Crash in checkout>*") ==
          "Crash in checkout (https://s.example/i/1)");
}

TEST_CASE("mrkdwn: code keeps what looks like markup inside it", "[mrkdwn]") {
    CHECK(mrkdwn_to_plain("`backup <project> [env] [--dry-run]`") ==
          "backup <project> [env] [--dry-run]");
    CHECK(mrkdwn_to_plain("`*not bold* and _snake_case_`") == "*not bold* and _snake_case_");
    CHECK(mrkdwn_to_plain("`a &amp;&amp; b`") == "a && b");
}

TEST_CASE("mrkdwn: fences go, their lines stay as they are", "[mrkdwn]") {
    CHECK(mrkdwn_to_plain("would send:\n```\nPOST x\nA: *b*\n```\nNothing was changed.") ==
          "would send:\nPOST x\nA: *b*\nNothing was changed.");
    CHECK(mrkdwn_to_plain("with\n```GET https://x/?a_b_c=1\nAccept: */*\n```") ==
          "with\nGET https://x/?a_b_c=1\nAccept: */*");
    CHECK(mrkdwn_to_plain("```one line```") == "one line");
    CHECK(mrkdwn_to_plain("```\nkept\n\n```\nafter") == "kept\n\nafter");
    CHECK(mrkdwn_to_plain("```\n{\"channel\":\"<new channel>\"}\n```") ==
          "{\"channel\":\"<new channel>\"}");
    // Never closed: not a fence.
    CHECK(mrkdwn_to_plain("three ``` then nothing") == "three ``` then nothing");
}

TEST_CASE("mrkdwn: Slack's escapes are undone once", "[mrkdwn]") {
    CHECK(mrkdwn_to_plain("a &lt;b&gt; &amp; c") == "a <b> & c");
    CHECK(mrkdwn_to_plain("&amp;lt; stays escaped once") == "&lt; stays escaped once");
    CHECK(mrkdwn_to_plain("&lt;@U123&gt; is no mention") == "<@U123> is no mention");
    CHECK(mrkdwn_to_plain("AT&T &nbsp; &") == "AT&T &nbsp; &");
}

TEST_CASE("mrkdwn: text that only looks like markup is left alone", "[mrkdwn]") {
    for (const std::string text : {"a*b",
                                   "2*3*4",
                                   "2 * 3 * 4",
                                   "snake_case_names",
                                   "x_1 = y_2",
                                   "file_name_.txt",
                                   "~/path/to/~file",
                                   "glob *.css and *.js",
                                   "ends with *",
                                   "* bullet",
                                   "**",
                                   "__init__x",
                                   "<BACKUP_BUCKET>",
                                   "<zone of acme.com>",
                                   "a <b and c> d",
                                   "s3://<BACKUP_BUCKET>/x/",
                                   "x < y > z",
                                   "<>",
                                   "<@>",
                                   "half `code",
                                   "``",
                                   "https://x.example/_a_/b*c*",
                                   "sum = a*b + c*d"})
        CHECK(mrkdwn_to_plain(text) == text);
}

TEST_CASE("mrkdwn: markers close only on their own line", "[mrkdwn]") {
    CHECK(mrkdwn_to_plain("*open\nclose*") == "*open\nclose*");
    CHECK(mrkdwn_to_plain("`open\nclose`") == "`open\nclose`");
    CHECK(mrkdwn_to_plain("<https://x\n|y>") == "<https://x\n|y>");
}

TEST_CASE("mrkdwn: long unclosed runs take linear time", "[mrkdwn]") {
    for (const std::string piece : {"*a ", "_a ", "~a ", "<", "<a|", "&", "h", "`a\n"}) {
        std::string text;
        while (text.size() < (1u << 20)) text += piece;
        CHECK(mrkdwn_to_plain(text) == text);
    }
}
