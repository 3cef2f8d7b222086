/**
 * Docker image references: the distribution/reference grammar plus the
 * normalisation containerd applies (`busybox` → `docker.io/library/busybox:latest`).
 * Pure functions; the image store and the image verbs build on them.
 *
 * Grammar: https://github.com/distribution/reference/blob/main/reference.go
 */
import { CoreError } from "../../core/core-error.js";

/** A parsed, normalised image reference. */
export interface ImageReference {
  /** Registry host, e.g. `docker.io`, `registry.k8s.io`, `localhost:5000`. */
  readonly domain: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly path: string;
  /** `domain/path`, the repository name a repo tag or digest starts with. */
  readonly name: string;
  /** The tag, `latest` when neither a tag nor a digest was written. */
  readonly tag?: string;
  /** A content digest such as `sha256:…` (lower-case hex). */
  readonly digest?: string;
}

const defaultDomain = "docker.io";
const legacyDefaultDomain = "index.docker.io";
const officialRepoPrefix = "library/";
const maxNameLength = 255;

const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainPattern = new RegExp(
  `^(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const pathPattern = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const anchoredHex64 = /^[a-f0-9]{64}$/;
// go-digest's registered algorithms and their encoded lengths.
const digestHexLength: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };

/**
 * Parse and normalise `ref`. Throws CoreError("invalid_argument") with the
 * reason when it is not a valid reference, e.g.
 * `invalid image reference "Busybox": repository name must be lowercase`.
 */
export function parseImageReference(ref: string): ImageReference {
  const fail = (why: string): never => {
    throw new CoreError("invalid_argument", `invalid image reference "${ref}": ${why}`);
  };
  if (ref === "") fail("empty reference");
  if (anchoredHex64.test(ref)) fail("cannot specify 64-byte hexadecimal strings");

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) fail("invalid digest format");
    const [algorithm = "", hex = ""] = digest.split(":");
    const want = digestHexLength[algorithm];
    if (want === undefined) fail(`unsupported digest algorithm "${algorithm}"`);
    if (hex.length !== want || !/^[a-f0-9]+$/.test(hex)) fail("invalid digest: wrong length or not lower-case hex");
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) fail("invalid tag format");
  }
  if (rest === "") fail("missing repository name");

  // Split the registry off the way distribution's splitDockerDomain does: the
  // first component is a registry only if it looks like a host.
  let domain = defaultDomain;
  let path = rest;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first.toLowerCase() !== first) {
      domain = first;
      path = rest.slice(slash + 1);
    }
  }
  if (domain === legacyDefaultDomain) domain = defaultDomain;
  if (domain === defaultDomain && !path.includes("/")) path = officialRepoPrefix + path;
  if (path.toLowerCase() !== path) fail("repository name must be lowercase");
  if (!domainPattern.test(domain)) fail("invalid registry host");
  if (!pathPattern.test(path)) fail("invalid repository name");
  const name = `${domain}/${path}`;
  if (name.length > maxNameLength) fail(`repository name longer than ${maxNameLength} characters`);

  if (tag === undefined && digest === undefined) tag = "latest";
  return { domain, path, name, tag, digest };
}

/** `name:tag`, or undefined when the reference has no tag. */
export function toRepoTag(ref: ImageReference): string | undefined {
  return ref.tag === undefined ? undefined : `${ref.name}:${ref.tag}`;
}

/** `name@digest`, or undefined when the reference has no digest. */
export function toRepoDigest(ref: ImageReference): string | undefined {
  return ref.digest === undefined ? undefined : `${ref.name}@${ref.digest}`;
}
