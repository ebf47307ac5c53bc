// Markdown building blocks shared by the job summary, the README tables (scripts/readme-tables.ts) and the benchmark
// report (bench/report.ts). Cells are written as given: escaping Azure text is the caller's job (escape.ts).

export interface TableOptions {
  /** Column indexes aligned right (numbers). */
  readonly rightAligned?: readonly number[];
}

/** A GitHub-flavoured Markdown table (see tableRow); an empty cell is written as one space so the row keeps its shape. */
export function markdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const align = headers.map((_, i) => (options.rightAligned?.includes(i) ? "---:" : "---"));
  return [headers, align, ...rows].map(tableRow).join("\n");
}

/** One row of a table, for callers that add rows one by one (within a size budget, say). */
export function tableRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => (c === "" ? " " : c)).join(" | ")} |`;
}

/** A collapsed block: `<details><summary>…</summary>` with Markdown content. */
export function details(summary: string, content: string): string {
  return `<details><summary>${summary}</summary>\n\n${content}\n\n</details>`;
}
