/**
 * Assertions on failed calls: the Connect/gRPC code and the message a client
 * sees, whatever the protocol.
 */
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Assert that `call` fails with `code` and, when given, a raw message that
 * equals (string) or matches (RegExp) `message`. Returns the error.
 */
export async function rejectsWithCode(
  call: Promise<unknown> | (() => Promise<unknown>),
  code: Code,
  message?: string | RegExp,
): Promise<ConnectError> {
  let result: unknown;
  try {
    result = await (typeof call === "function" ? call() : call);
  } catch (err) {
    const error = ConnectError.from(err);
    assert.equal(Code[error.code], Code[code], `expected ${Code[code]}, got ${Code[error.code]}: ${error.rawMessage}`);
    if (typeof message === "string") assert.equal(error.rawMessage, message);
    else if (message !== undefined) assert.match(error.rawMessage, message);
    return error;
  }
  assert.fail(`expected ${Code[code]}, but the call succeeded with ${JSON.stringify(result, (_, v) => (typeof v === "bigint" ? `${v}` : v))}`);
}

/** Drain a server stream into an array. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}
