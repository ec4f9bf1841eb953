// The HTML report's stylesheet (html.cc inlines it; the page loads nothing).
#pragma once

#include <string_view>

namespace clearbox::report::internal {

inline constexpr std::string_view kHtmlStyle = R"css(
:root { --fg: #1d2330; --muted: #5b6475; --line: #d9dde5; --bg: #ffffff; --panel: #f5f7fa;
  --critical: #8b0a1a; --high: #c2410c; --medium: #a16207; --low: #1d4ed8; --info: #4b5563;
  --ok: #15803d; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header { padding: 20px 32px; background: #1d2330; color: #fff; }
header h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; }
header .meta { color: #c8cdd8; font-size: 12px; word-break: break-all; }
nav { padding: 8px 32px; background: var(--panel); border-bottom: 1px solid var(--line); }
nav a { margin-right: 16px; color: var(--fg); text-decoration: none; font-weight: 500; }
main { padding: 8px 32px 48px; max-width: 1400px; }
h2 { margin: 28px 0 10px; font-size: 17px; border-bottom: 2px solid var(--line);
  padding-bottom: 4px; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
  font-size: 12.5px; }
pre { margin: 4px 0; padding: 6px 8px; background: var(--panel); border: 1px solid var(--line);
  border-radius: 4px; white-space: pre-wrap; word-break: break-all; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.path { word-break: break-all; }
.verdict { display: flex; gap: 24px; align-items: center; margin: 16px 0; padding: 16px 20px;
  border-radius: 6px; border: 2px solid; }
.verdict.fail { border-color: var(--critical); background: #fdf1f2; }
.verdict.pass { border-color: var(--ok); background: #f0f9f3; }
.verdict .word { font-size: 26px; font-weight: 700; }
.verdict.fail .word { color: var(--critical); }
.verdict.pass .word { color: var(--ok); }
.counts { display: flex; gap: 10px; flex-wrap: wrap; }
.count { min-width: 92px; padding: 6px 10px; border-radius: 4px; background: var(--panel);
  border-left: 5px solid var(--info); }
.count b { display: block; font-size: 20px; }
.count.critical { border-color: var(--critical); } .count.high { border-color: var(--high); }
.count.medium { border-color: var(--medium); } .count.low { border-color: var(--low); }
.sev { display: inline-block; min-width: 64px; padding: 1px 6px; border-radius: 3px;
  color: #fff; font-size: 11px; font-weight: 700; text-transform: uppercase; text-align: center; }
.sev.critical { background: var(--critical); } .sev.high { background: var(--high); }
.sev.medium { background: var(--medium); } .sev.low { background: var(--low); }
.sev.info { background: var(--info); }
.kept { color: var(--ok); font-weight: 700; } .broken { color: var(--critical); font-weight: 700; }
.finding { margin: 10px 0; padding: 10px 14px; border: 1px solid var(--line);
  border-left: 5px solid var(--info); border-radius: 4px; }
.finding.critical { border-left-color: var(--critical); }
.finding.high { border-left-color: var(--high); }
.finding.medium { border-left-color: var(--medium); }
.finding.low { border-left-color: var(--low); }
.finding h3 { margin: 0 0 4px; font-size: 14px; }
.finding .msg { margin: 4px 0 8px; }
.finding dl { display: grid; grid-template-columns: 130px 1fr; gap: 2px 12px; margin: 6px 0 0; }
.finding dt { color: var(--muted); } .finding dd { margin: 0; }
.muted { color: var(--muted); }
.omitted { color: var(--muted); font-style: italic; }
.tree details { margin-left: 16px; } .tree > details { margin-left: 0; }
.tree summary { cursor: pointer; }
.tree ul { list-style: none; margin: 0 0 0 16px; padding: 0; }
.tree li { white-space: nowrap; }
.tree .hit { background: #fdf1f2; color: var(--critical); font-weight: 600; }
.tree .attrs { color: var(--muted); margin-left: 8px; }
.no { color: var(--critical); font-weight: 600; } .yes { color: var(--ok); }
.partial { color: var(--medium); }
footer { padding: 16px 32px; color: var(--muted); font-size: 12px;
  border-top: 1px solid var(--line); }
)css";

}  // namespace clearbox::report::internal
