/**
 * The parser of the simulated `sh -c`: words with single and double quotes,
 * backslash escapes and `$VAR` / `${VAR}` / `$?` / `$1` expansions, joined by
 * `;`, newline, `&&` and `||`, with `#` comments. Everything else a real
 * shell offers (pipes, redirections, subshells, substitutions, background
 * jobs) is refused with a ShellSyntaxError, so a script never half-works.
 */

/** One piece of a word: literal text, or a variable to expand when the command runs. */
export type Part = { readonly literal: string } | { readonly variable: string };

/** A word is a list of literal and expanded parts; `quoted` keeps an empty word alive. */
export interface Word {
  readonly parts: Part[];
  quoted: boolean;
}

/** One simple command and how it joins the one before. */
export interface Command {
  /** How this command joins the previous one. */
  readonly connector: ";" | "&&" | "||";
  readonly words: Word[];
}

/** A `while` (or `until`) loop: run `body` as long as `condition` succeeds (fails). */
export interface Loop {
  /** How this loop joins the previous command. */
  readonly connector: ";" | "&&" | "||";
  readonly loop: { readonly until: boolean; readonly condition: Program; readonly body: Program };
}

/** A parsed script: its commands and loops in order. */
export type Program = (Command | Loop)[];

/** A script the interpreter cannot run. */
export class ShellSyntaxError extends Error {}

/** Parse a `sh -c` script. Throws ShellSyntaxError for what the interpreter does not support. */
export function parseScript(script: string): Program {
  return nestLoops(parseCommands(script));
}

function parseCommands(script: string): Command[] {
  const program: Command[] = [];
  let words: Word[] = [];
  let word: Word | undefined;
  let connector: Command["connector"] = ";";
  const lit = (text: string) => {
    word ??= { parts: [], quoted: false };
    word.parts.push({ literal: text });
  };
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = (next: Command["connector"]) => {
    endWord();
    if (words.length === 0) {
      if (next !== ";" || connector !== ";") throw new ShellSyntaxError(`syntax error near "${next}"`);
    } else {
      program.push({ connector, words });
    }
    words = [];
    connector = next;
  };
  const readVariable = (at: number): [Part | string, number] => {
    const rest = script.slice(at + 1);
    if (rest.startsWith("(")) throw new ShellSyntaxError("command substitution is not supported");
    const braced = /^\{([A-Za-z_][A-Za-z0-9_]*|[0-9?#$])\}/.exec(rest);
    if (braced !== null) return [{ variable: braced[1] as string }, at + 1 + braced[0].length];
    const plain = /^([A-Za-z_][A-Za-z0-9_]*|[0-9?#$])/.exec(rest);
    if (plain !== null) return [{ variable: plain[1] as string }, at + 1 + plain[0].length];
    return ["$", at + 1];
  };

  let i = 0;
  while (i < script.length) {
    const c = script[i] as string;
    if (c === " " || c === "\t") {
      endWord();
      i++;
    } else if (c === "\n" || c === ";") {
      endCommand(";");
      i++;
    } else if (c === "&" || c === "|") {
      if (script[i + 1] !== c) {
        throw new ShellSyntaxError(c === "|" ? "pipes are not supported" : "background jobs are not supported");
      }
      endCommand(c === "&" ? "&&" : "||");
      i += 2;
    } else if (c === ">" || c === "<" || c === "(" || c === ")" || c === "`") {
      throw new ShellSyntaxError(`"${c}" is not supported`);
    } else if (c === "#" && word === undefined) {
      while (i < script.length && script[i] !== "\n") i++;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) throw new ShellSyntaxError("unterminated quoted string");
      word ??= { parts: [], quoted: false };
      word.quoted = true;
      word.parts.push({ literal: script.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"') {
      word ??= { parts: [], quoted: false };
      word.quoted = true;
      i++;
      for (;;) {
        if (i >= script.length) throw new ShellSyntaxError("unterminated quoted string");
        const d = script[i] as string;
        if (d === '"') break;
        if (d === "`") throw new ShellSyntaxError("command substitution is not supported");
        if (d === "\\" && i + 1 < script.length && '$`"\\\n'.includes(script[i + 1] as string)) {
          if (script[i + 1] !== "\n") lit(script[i + 1] as string);
          i += 2;
        } else if (d === "$") {
          const [part, next] = readVariable(i);
          if (typeof part === "string") lit(part);
          else word.parts.push(part);
          i = next;
        } else {
          lit(d);
          i++;
        }
      }
      i++;
    } else if (c === "\\") {
      if (i + 1 < script.length && script[i + 1] !== "\n") lit(script[i + 1] as string);
      i += 2;
    } else if (c === "$") {
      const [part, next] = readVariable(i);
      if (typeof part === "string") lit(part);
      else {
        word ??= { parts: [], quoted: false };
        word.parts.push(part);
      }
      i = next;
    } else {
      lit(c);
      i++;
    }
  }
  endWord();
  if (words.length > 0) program.push({ connector, words });
  else if (connector !== ";") throw new ShellSyntaxError(`syntax error: "${connector}" at end of script`);
  return program;
}

/** The reserved word a command starts with, if any (an unquoted, literal first word). */
function keywordOf(command: Command): string | undefined {
  const first = command.words[0];
  if (first === undefined || first.quoted) return undefined;
  let text = "";
  for (const part of first.parts) {
    if (!("literal" in part)) return undefined;
    text += part.literal;
  }
  return ["while", "until", "do", "done"].includes(text) ? text : undefined;
}

/** Turn the flat command list into loops: `while A; do B; done` spans several commands. */
function nestLoops(flat: Command[]): Program {
  const commands = flat.slice();
  const dropFirstWord = (at: number): void => {
    const c = commands[at] as Command;
    commands[at] = { connector: ";", words: c.words.slice(1) };
  };
  const block = (from: number, end: string | undefined): [Program, number] => {
    const out: Program = [];
    let i = from;
    while (i < commands.length) {
      const command = commands[i] as Command;
      if (command.words.length === 0) {
        i++;
        continue;
      }
      const keyword = keywordOf(command);
      if (end !== undefined && keyword === end) return [out, i];
      if (keyword === "do" || keyword === "done") throw new ShellSyntaxError(`syntax error near "${keyword}"`);
      if (keyword === "while" || keyword === "until") {
        dropFirstWord(i);
        const [condition, atDo] = block(i, "do");
        if (atDo >= commands.length) throw new ShellSyntaxError(`"${keyword}" without "do"`);
        if (condition.length === 0) throw new ShellSyntaxError(`"${keyword}" without a condition`);
        dropFirstWord(atDo);
        const [body, atDone] = block(atDo, "done");
        if (atDone >= commands.length) throw new ShellSyntaxError(`"${keyword}" without "done"`);
        if ((commands[atDone] as Command).words.length !== 1) throw new ShellSyntaxError('syntax error after "done"');
        if (body.length === 0) throw new ShellSyntaxError(`"${keyword}" with an empty body`);
        out.push({ connector: command.connector, loop: { until: keyword === "until", condition, body } });
        i = atDone + 1;
        continue;
      }
      out.push(command);
      i++;
    }
    if (end !== undefined) return [out, commands.length];
    return [out, i];
  };
  return block(0, undefined)[0];
}
