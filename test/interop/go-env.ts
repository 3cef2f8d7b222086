/**
 * The environment for building Go code offline from Debian's sources: GOPATH
 * mode (no modules, no proxy, no toolchain download), a private cache and
 * home under `work`, static binaries.
 */

/** Debian's Go sources (golang-*-dev packages). */
export const debianGocode = "/usr/share/gocode";

/** Env for `go build` with `gopaths` searched in order (Debian's last). */
export function offlineGoEnv(work: string, gopaths: readonly string[]): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: work,
    GO111MODULE: "off",
    GOPATH: [...gopaths, debianGocode].join(":"),
    GOCACHE: `${work}/gocache`,
    GOENV: "off",
    GOFLAGS: "",
    GOPROXY: "off",
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
  };
}
