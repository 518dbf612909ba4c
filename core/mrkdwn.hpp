#pragma once
// Slack's mrkdwn read as plain text, for a terminal. Replies are written once,
// in mrkdwn; Slack shows them as they are, the console through this.

#include <string>
#include <string_view>

namespace opsbot {

// What a reader would see in Slack, without the formatting:
//   <http://x|build #14>  → build #14 (http://x)     <http://x> → http://x
//   <@U123> → @U123, <@U123|bob> → @bob, <#C1|ops> → #ops, <!here> → @here
//   *bold*, _italic_, ~strike~, `code` → their text; ``` fences → their lines
//   &lt; &gt; &amp; → < > &
// Markers count as formatting only where Slack takes them as such: at a word
// boundary, closed on the same line. So 2*3*4, a*b and snake_case_names stay
// as they are, as do the insides of code and <placeholders> that are not
// links.
std::string mrkdwn_to_plain(std::string_view text);

}  // namespace opsbot
