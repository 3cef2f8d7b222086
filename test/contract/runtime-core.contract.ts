/**
 * The runtime-core contract suite: behaviours every RuntimeCore must show
 * through its interface, written so that they hold for containerd too (the
 * remote core will run them against one). Following hono's
 * common.case.test.ts, it exports {@link runCoreContract}; each core's test
 * file calls it, and every case a core skips names its reason. The cases
 * live in `*.cases.ts` beside this file.
 *
 * Memory-only behaviours (simulated commands beyond echo, fault injection,
 * stats growth) are tested beside the memory runtime instead.
 */
import { afterEach, describe, it } from "node:test";
import type { RuntimeCore } from "../../src/core/runtime-core.js";
import { registerCatalogCases } from "./catalog.cases.js";
import { registerCheckpointCases } from "./checkpoint.cases.js";
import { type CaseKit, type Fixture, createFixture } from "./contract-fixture.js";
import { registerLifecycleCases } from "./lifecycle.cases.js";
import { registerLookupCases } from "./lookup.cases.js";

export { errorKindOf, rejectsWithKind } from "./contract-fixture.js";

/** Every case of the suite, by the name a `skip` entry uses. */
export const contractCases = [
  "version",
  "status",
  "lifecycle",
  "list filters",
  "unique id prefix",
  "unknown id",
  "ambiguous id prefix",
  "empty id",
  "idempotent stop and remove",
  "sandbox stop cascade",
  "sandbox remove cascade",
  "sandbox name conflict",
  "container name conflict",
  "create container preconditions",
  "start precondition",
  "exec preconditions",
  "streaming urls",
  "update container resources",
  "images",
  "events to two subscribers",
  "stream equals list",
  "pod checkpoint and restore",
  "pod checkpoint refusals",
  "pod restore refusals",
] as const;

/** A case name of the contract suite. */
export type ContractCase = (typeof contractCases)[number];

/** How to run the suite against one core. */
export interface CoreContractOptions {
  /** Shown in the test names, e.g. "memory". */
  readonly name: string;
  /** A ready core; called once per case, closed after it. */
  readonly newCore: () => RuntimeCore | Promise<RuntimeCore>;
  /** Cases this core cannot pass, each with the reason. */
  readonly skip?: Partial<Record<ContractCase, string>>;
  /** An image the core can pull that has `sleep` and `echo`. Default `docker.io/library/busybox:1.36`. */
  readonly image?: string;
}

/** Run the contract suite against the core `newCore` builds. */
export function runCoreContract({ name, newCore, skip = {}, image = "docker.io/library/busybox:1.36" }: CoreContractOptions): void {
  for (const key of Object.keys(skip)) {
    if (!(contractCases as readonly string[]).includes(key)) throw new Error(`skip names an unknown case "${key}"`);
  }
  const opened: Fixture[] = [];
  const kit: CaseKit = {
    image,
    test(caseName, title, body) {
      if (!(contractCases as readonly string[]).includes(caseName)) throw new Error(`unlisted contract case "${caseName}"`);
      const reason = skip[caseName as ContractCase];
      it(`${caseName}: ${title}`, reason === undefined ? {} : { skip: reason }, body);
    },
    async open() {
      const fixture = createFixture(await newCore(), image);
      opened.push(fixture);
      return fixture;
    },
  };

  describe(`runtime core contract: ${name}`, () => {
    afterEach(async () => {
      for (const fixture of opened.splice(0)) await fixture.cleanup();
    });
    registerLifecycleCases(kit);
    registerLookupCases(kit);
    registerCatalogCases(kit);
    registerCheckpointCases(kit);
  });
}
