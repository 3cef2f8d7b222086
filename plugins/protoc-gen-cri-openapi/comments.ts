/**
 * Proto comments as OpenAPI descriptions. Only descriptors that come with
 * source info (the ones in a CodeGeneratorRequest) have comments; the
 * descriptors embedded in gen/ do not.
 */
import { getComments } from "@bufbuild/protoplugin";
import type { Describe } from "./json-mapping.js";

/**
 * Tidy one comment: drop the single space after `//` on each line, trailing
 * blanks and surrounding empty lines. Returns undefined for a missing or
 * blank comment.
 */
export function normalizeComment(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const lines = text.split("\n").map((line) => (line.startsWith(" ") ? line.slice(1) : line).trimEnd());
  const joined = lines.join("\n").trim();
  return joined === "" ? undefined : joined;
}

/**
 * A {@link Describe} that reads the leading comment of each element in the
 * proto source, or its trailing comment when there is no leading one.
 */
export const describeFromSource: Describe = (desc) => {
  const comments = getComments(desc);
  return normalizeComment(comments.leading) ?? normalizeComment(comments.trailing);
};
