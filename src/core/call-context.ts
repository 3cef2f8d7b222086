/**
 * The per-call context a runtime core receives: cancellation, deadline and
 * the request headers a core may act on. It is protocol-neutral so that the
 * Connect services, the REST routes and tests build it the same way.
 */

/** What a core knows about the call it is serving. */
export interface CallContext {
  /** Aborts when the client cancels, the deadline passes or the server shuts down. */
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds, when the client sent one. */
  readonly deadline?: number;
  /** Request headers (lower-case names); cores forward only what they are configured to. */
  readonly headers: Headers;
  /**
   * One request header by lower-case name, without building `headers`
   * (which costs more than a whole fast-path call). Optional: use
   * {@link headerOf}, which falls back to `headers`.
   */
  header?(name: string): string | undefined;
  /**
   * Run `listener` once when the call is cancelled (at once if it already
   * was), without building `signal`; returns a function that unregisters
   * it. Optional: use {@link whenCancelled}, which falls back to `signal`.
   */
  whenCancelled?(listener: (reason: Error) => void): () => void;
}

/** Run `listener` once when `ctx` is cancelled (at once if it is); returns the unregistering function. */
export function whenCancelled(ctx: CallContext, listener: (reason: Error) => void): () => void {
  if (ctx.whenCancelled !== undefined) return ctx.whenCancelled(listener);
  const signal = ctx.signal;
  const onAbort = () => listener(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener("abort", onAbort, { once: true });
  return () => signal.removeEventListener("abort", onAbort);
}

/** The request header `name` (lower case) of `ctx`, cheaply when the context can. */
export function headerOf(ctx: CallContext, name: string): string | undefined {
  return ctx.header !== undefined ? ctx.header(name) : (ctx.headers.get(name) ?? undefined);
}

/**
 * Build a context for in-process use (tests, tools, startup tasks).
 * Defaults: a signal that never aborts, no deadline, no headers.
 */
export function createCallContext(init: Partial<CallContext> = {}): CallContext {
  return {
    signal: init.signal ?? new AbortController().signal,
    deadline: init.deadline,
    headers: init.headers ?? new Headers(),
  };
}

/** Milliseconds left before the deadline, or undefined when there is none. */
export function remainingMs(ctx: CallContext): number | undefined {
  return ctx.deadline === undefined ? undefined : ctx.deadline - Date.now();
}
