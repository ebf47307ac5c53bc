// Renders a job summary (default demo/out/summary.md, left by `npm run demo`) as GitHub shows it under a workflow run,
// and takes a headless Chromium screenshot of it (default docs/images/summary.png).
//
//   npm run demo && npx node scripts/screenshot.ts [summary.md] [out.png] [--open]
//
// Needs Chromium (Debian: `apt-get install -y chromium`; emoji need `fonts-noto-color-emoji`), or CHROMIUM=path.
// Markdown: GitHub-flavoured, through `marked`. A ```mermaid gantt block (the batch timeline) is drawn as an SVG bar chart, as GitHub draws it with Mermaid.
// `--open` opens the <details> sections (GitHub shows them collapsed).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { marked } from "marked";

const ROOT = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const positional = args.filter((a) => !a.startsWith("--"));
const input = resolve(positional[0] ?? join(ROOT, "demo", "out", "summary.md"));
const output = resolve(positional[1] ?? join(ROOT, "docs", "images", "summary.png"));
const openDetails = args.includes("--open");
const WIDTH = 1012; // GitHub's job summary panel at a common laptop width

// ───────────────────────────── Markdown → HTML ─────────────────────────────

const escapeHtml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

// ───────────────────────────── Mermaid gantt → SVG ─────────────────────────────

/** Draws the report's gantt chart (tasks `name :tags, id, HH:MM:SS, Ns`); other diagrams are shown as source. */
function mermaid(source: string): string {
  const lines = source.split("\n").map((l) => l.trim());
  if (lines[0] !== "gantt") return `<pre><code class="language-mermaid">${escapeHtml(source)}</code></pre>`;
  const title = lines.find((l) => l.startsWith("title "))?.slice(6) ?? "";
  const tasks = lines
    .map((l) => /^(.+?)\s*:(.*)$/.exec(l))
    .filter(
      (m): m is RegExpExecArray =>
        m !== null && !/^(title|dateFormat|axisFormat|todayMarker|section)\b/.test(m[1] ?? ""),
    )
    .map((m) => {
      const meta = (m[2] ?? "").split(",").map((s) => s.trim());
      const start = meta.find((s) => /^\d{2}:\d{2}:\d{2}$/.test(s)) ?? "00:00:00";
      const [h = 0, mi = 0, s = 0] = start.split(":").map(Number);
      const duration = Number(/^(\d+)s$/.exec(meta.find((x) => /^\d+s$/.test(x)) ?? "1s")?.[1] ?? 1);
      const tag = meta.find((x) => ["done", "active", "crit"].includes(x)) ?? "";
      return { name: (m[1] ?? "").trim(), start: h * 3600 + mi * 60 + s, duration, tag };
    });
  if (tasks.length === 0) return "";
  const end = Math.max(...tasks.map((t) => t.start + t.duration));
  const labelWidth = 230;
  const svgWidth = WIDTH - 2 * 16 - 2 * 32 - 2; // the panel's content width
  const chartWidth = svgWidth - labelWidth - 40; // room for the last tick label
  const rowHeight = 28;
  const top = 34;
  const height = top + tasks.length * rowHeight + 30;
  const x = (seconds: number) => labelWidth + (seconds / end) * chartWidth;
  const fill: Record<string, string> = { done: "#9ca3af", active: "#60a5fa", crit: "#f87171", "": "#8b5cf6" };
  const ticks = 6;
  const fmt = (sec: number) =>
    `${String(Math.floor(sec / 3600)).padStart(2, "0")}:${String(Math.floor((sec % 3600) / 60)).padStart(2, "0")}:${String(Math.round(sec % 60)).padStart(2, "0")}`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${svgWidth}" height="${height}" font-family="trebuchet ms, verdana, arial, sans-serif" font-size="12">`,
    `<text x="${(labelWidth + chartWidth) / 2}" y="18" text-anchor="middle" font-size="15" fill="#333">${escapeHtml(title)}</text>`,
    `<rect x="0" y="${top - 4}" width="${labelWidth + chartWidth + 8}" height="${tasks.length * rowHeight + 4}" fill="#f4f4ff"/>`,
  ];
  for (let t = 0; t <= ticks; t++) {
    const sec = (end * t) / ticks;
    parts.push(
      `<line x1="${x(sec)}" x2="${x(sec)}" y1="${top - 4}" y2="${top + tasks.length * rowHeight}" stroke="#ddd"/>`,
    );
    parts.push(
      `<text x="${x(sec)}" y="${top + tasks.length * rowHeight + 16}" text-anchor="middle" fill="#333">${fmt(sec)}</text>`,
    );
  }
  tasks.forEach((task, n) => {
    const y = top + n * rowHeight;
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end" fill="#333">${escapeHtml(task.name)}</text>`,
    );
    parts.push(
      `<rect x="${x(task.start)}" y="${y + 4}" width="${Math.max(2, x(task.start + task.duration) - x(task.start))}" height="${rowHeight - 8}" rx="3" fill="${fill[task.tag] ?? fill[""]}" stroke="#534fbc" stroke-width="0.5"/>`,
    );
  });
  parts.push("</svg>");
  return `<div class="mermaid">${parts.join("")}</div>`;
}

// ───────────────────────────── page and screenshot ─────────────────────────────

const CSS = `
  body { margin: 0; background: #f6f8fa; font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif, "Noto Color Emoji"; font-size: 14px; line-height: 1.5; color: #1f2328; }
  .panel { margin: 16px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
  .panel-title { padding: 16px 24px; border-bottom: 1px solid #d1d9e0; font-weight: 600; font-size: 16px; }
  .markdown-body { padding: 8px 32px 24px; }
  h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0b3; padding-bottom: .3em; margin: 24px 0 16px; font-weight: 600; }
  h3 { font-size: 1.25em; margin: 24px 0 16px; font-weight: 600; }
  h4 { font-size: 1em; margin: 24px 0 16px; font-weight: 600; }
  p, blockquote, ul, table, pre, details { margin: 0 0 16px; }
  blockquote { padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
  code { font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; font-size: 85%; padding: .2em .4em; background: #818b981f; border-radius: 6px; }
  pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto; font-size: 85%; }
  pre code { background: none; padding: 0; font-size: 100%; }
  table { border-collapse: collapse; display: block; width: max-content; max-width: 100%; overflow: auto; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 13px; }
  th { font-weight: 600; }
  tr:nth-child(2n) td { background: #f6f8fa; }
  a { color: #0969da; text-decoration: none; }
  ul { padding-left: 2em; }
  li + li { margin-top: .25em; }
  summary { cursor: pointer; }
  .mermaid { margin: 0 0 16px; }
`;

/** GitHub-flavoured Markdown through marked; the gantt block is drawn as an SVG as GitHub draws it with Mermaid. */
function markdownToHtml(markdown: string): string {
  const mermaidBlocks: string[] = [];
  const withoutMermaid = markdown.replace(/```mermaid\n([\s\S]*?)```/g, (_m, body: string) => {
    mermaidBlocks.push(mermaid(body));
    return `<div data-mermaid="${mermaidBlocks.length - 1}"></div>`;
  });
  const html = marked.parse(withoutMermaid, { gfm: true, async: false });
  return html.replace(/<div data-mermaid="(\d+)"><\/div>/g, (_m, i: string) => mermaidBlocks[Number(i)] ?? "");
}

function chromium(): string {
  const candidates = [
    process.env["CHROMIUM"],
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ].filter((c): c is string => Boolean(c));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error("Chromium not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chrome)");
  return found;
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--hide-scrollbars",
  "--force-device-scale-factor=1",
];

function main(): void {
  if (!existsSync(input)) throw new Error(`${input} does not exist: run \`npm run demo\` first`);
  let body = markdownToHtml(readFileSync(input, "utf8"));
  if (openDetails) body = body.replace(/<details>/g, "<details open>");
  const work = mkdtempSync(join(tmpdir(), "summary-shot-"));
  try {
    const page = join(work, "summary.html");
    const html = (script: string) =>
      `<!doctype html><html><head><meta charset="utf-8"><title>Job summary</title><style>${CSS}</style></head><body>` +
      `<div class="panel"><div class="panel-title">vmss-rollout summary</div><div class="markdown-body">${body}</div></div>${script}</body></html>`;
    // 1. Measure the page: a script writes the height into the DOM, which --dump-dom prints.
    writeFileSync(
      page,
      html(`<script>document.body.dataset.height = Math.ceil(document.documentElement.scrollHeight);</script>`),
    );
    const browser = chromium();
    const profile = join(work, "profile");
    const dom = execFileSync(
      browser,
      [...FLAGS, `--user-data-dir=${profile}`, `--window-size=${WIDTH},800`, "--dump-dom", pathToFileURL(page).href],
      { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
    );
    const height = Math.min(8000, Math.max(200, Number(/data-height="(\d+)"/.exec(dom)?.[1] ?? 1600)));
    // 2. Screenshot at that height.
    writeFileSync(page, html(""));
    mkdirSync(dirname(output), { recursive: true });
    execFileSync(
      browser,
      [
        ...FLAGS,
        `--user-data-dir=${profile}`,
        `--window-size=${WIDTH},${height}`,
        `--screenshot=${output}`,
        pathToFileURL(page).href,
      ],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    if (!existsSync(output)) throw new Error("Chromium wrote no screenshot");
    console.log(`${output} (${WIDTH}×${height})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (err: unknown) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
