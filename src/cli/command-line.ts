/**
 * Argument parsing for the project's scripts (`npm run bench`, `npm run
 * postman`): `--help` prints the usage and exits 0; an unknown flag, a
 * missing value or a stray argument prints what was wrong and the usage to
 * stderr and exits 2, the way the `cri-gateway` CLI answers — never a stack
 * trace.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

type ParsedCommandLine<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Parse `argv` (default: the process's arguments) with `config` plus a
 * `--help`/`-h` flag. Exits the process on `--help` and on usage errors.
 *
 * @example
 * const { values } = parseCommandLine("bench", usage, { options: { quick: { type: "boolean" } } });
 */
export function parseCommandLine<const T extends ParseArgsConfig>(
  name: string,
  usage: string,
  config: T,
  argv: string[] = process.argv.slice(2),
): ParsedCommandLine<T> {
  const withHelp = { ...config, args: argv, strict: true, options: { ...config.options, help: { type: "boolean", short: "h" } } } as const;
  let parsed: ParsedCommandLine<T>;
  try {
    parsed = parseArgs(withHelp) as ParsedCommandLine<T>;
  } catch (err) {
    process.stderr.write(`${name}: ${(err as Error).message}\n\n${usage.endsWith("\n") ? usage : `${usage}\n`}`);
    process.exit(2);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage.endsWith("\n") ? usage : `${usage}\n`);
    process.exit(0);
  }
  return parsed;
}

/** Report a usage error found after parsing (a bad value, too many arguments) and exit 2. */
export function usageError(name: string, message: string, usage: string): never {
  process.stderr.write(`${name}: ${message}\n\n${usage.endsWith("\n") ? usage : `${usage}\n`}`);
  process.exit(2);
}
